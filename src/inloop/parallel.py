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


def _run(function: Callable[[Sequence[Any]], list[Any]], items: Sequence[Any], bounds: tuple[int, int]) -> list[Any]:
    results = function(items[bounds[0] : bounds[1]])
    if len(results) != bounds[1] - bounds[0]:
        raise ValueError(f"{len(results)} results for {bounds[1] - bounds[0]} items")
    return results


def _child(
    function: Callable[[Sequence[Any]], list[Any]],
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


def will_fork(count: int, min_items: int | None = None) -> bool:
    """Whether :func:`fork_map` would spread ``count`` items over other processes."""
    return (
        available_cores() >= 2
        and count >= (MIN_PARALLEL_ITEMS if min_items is None else min_items)
        and "fork" in multiprocessing.get_all_start_methods()
    )


def fork_map(function: Callable[[T], R], items: Sequence[T], *, min_items: int | None = None) -> list[R]:
    """``[function(i) for i in items]``, on all cores when it pays (``min_items`` or more)."""
    return fork_map_chunks(lambda chunk: [function(item) for item in chunk], items, min_items=min_items)


def fork_map_chunks(
    function: Callable[[Sequence[T]], list[R]], items: Sequence[T], *, min_items: int | None = None
) -> list[R]:
    """Like :func:`fork_map`, for a ``function`` that takes a run of items and returns one result for each.

    For work that goes faster done a run at a time: one phase for many items
    and then the next, rather than both phases turn about for each item.
    """
    if not will_fork(len(items), min_items):
        return _run(function, items, (0, len(items))) if items else []
    cores = available_cores()
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
