"""Spread pure work over every core this process may use.

Markdown and Jinja are pure Python, so threads would not help: we fork.
Forked workers inherit the job (parsed content, the template environment)
instead of receiving it pickled; only results come back.  The parent works
too, taking chunks from the same shared counter as its children: on two
cores that is one child, not two beside an idle parent, and every forked
process counts the parent's memory once more in the tree's RSS.
Small jobs, and machines without ``fork`` or with one core, run in-process.
The order of results is the order of the items, so output is deterministic.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import threading
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Below this many items a fork costs more than it saves.
MIN_PARALLEL_ITEMS = 64
#: Chunks per process: enough to even out uneven items, few enough to keep messages large.
CHUNKS_PER_PROCESS = 8


class WorkerFailed(RuntimeError):
    """A child raised: its traceback, as text, is the message."""


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _claim(counter: Any, total: int) -> int | None:
    with counter.get_lock():
        index = int(counter.value)
        if index >= total:
            return None
        counter.value = index + 1
        return index


def _run(function: Callable[[Any], Any], items: Sequence[Any], bounds: tuple[int, int]) -> list[Any]:
    return [function(item) for item in items[bounds[0] : bounds[1]]]


def _child(
    function: Callable[[Any], Any],
    items: Sequence[Any],
    bounds: list[tuple[int, int]],
    counter: Any,
    sender: Connection,
) -> None:
    """A child's whole life: claim chunks until none is left, send each result, exit.

    It collects its own garbage (Jinja makes reference cycles) but never looks
    at what it inherited: the parent froze that before forking, so collecting
    does not copy the parent's pages.  Stopping is the parent's business.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    gc.enable()
    try:
        while (index := _claim(counter, len(bounds))) is not None:
            sender.send_bytes(pickle.dumps((index, _run(function, items, bounds[index])), -1))
        sender.send_bytes(pickle.dumps((None, None), -1))
    except BaseException:
        sender.send_bytes(pickle.dumps((-1, traceback.format_exc()), -1))
    finally:
        sender.close()


def _receive(receiver: Connection, results: dict[int, list[Any]], failures: list[str]) -> None:
    """In a parent thread: take one child's results as they come, so its pipe never fills."""
    try:
        while True:
            index, value = pickle.loads(receiver.recv_bytes())
            if index is None:
                return
            if index == -1:
                failures.append(value)
                return
            results[index] = value
    except EOFError:
        failures.append("a worker process ended without its results")
    finally:
        receiver.close()


def fork_map(function: Callable[[T], R], items: Sequence[T], *, min_items: int = MIN_PARALLEL_ITEMS) -> list[R]:
    """``[function(i) for i in items]``, on all cores when it pays."""
    cores = available_cores()
    if cores < 2 or len(items) < min_items or "fork" not in multiprocessing.get_all_start_methods():
        return [function(item) for item in items]
    context = multiprocessing.get_context("fork")
    size = max(1, -(-len(items) // (cores * CHUNKS_PER_PROCESS)))
    bounds = [(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    counter = context.Value("i", 0)
    results: dict[int, list[Any]] = {}
    failures: list[str] = []
    children = []
    readers = []
    gc.freeze()  # what exists now is shared with the children: no collection may touch it
    try:
        for _ in range(cores - 1):
            receiver, sender = context.Pipe(duplex=False)
            child = context.Process(target=_child, args=(function, items, bounds, counter, sender), daemon=True)
            child.start()
            sender.close()
            reader = threading.Thread(target=_receive, args=(receiver, results, failures), daemon=True)
            reader.start()
            children.append(child)
            readers.append(reader)
        while (index := _claim(counter, len(bounds))) is not None:
            results[index] = _run(function, items, bounds[index])
        for reader in readers:
            reader.join()
    finally:
        for child in children:
            if child.is_alive() and (failures or len(results) < len(bounds)):
                child.terminate()
            child.join()
    if failures:
        raise WorkerFailed(failures[0])
    return [result for index in range(len(bounds)) for result in results[index]]
