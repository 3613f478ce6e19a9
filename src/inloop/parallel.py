"""Spread pure work over every core this process may use.

Markdown and Jinja are pure Python, so threads would not help: we fork.
Forked workers inherit the job (parsed content, the template environment)
instead of receiving it pickled; only indices go out and results come back.
Small jobs, and machines without ``fork`` or with one core, run in-process.
The order of results is the order of the items, so output is deterministic.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Below this many items a pool costs more than it saves.
MIN_PARALLEL_ITEMS = 64

_job: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _worker_signals() -> None:
    """Workers leave stopping to the parent: Ctrl-C reaches the whole process group."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_chunk(bounds: tuple[int, int]) -> list[Any]:
    assert _job is not None
    function, items = _job
    return [function(item) for item in items[bounds[0] : bounds[1]]]


def fork_map(function: Callable[[T], R], items: Sequence[T], *, min_items: int = MIN_PARALLEL_ITEMS) -> list[R]:
    """``[function(i) for i in items]``, on all cores when it pays."""
    global _job
    workers = available_cores()
    if workers < 2 or len(items) < min_items or "fork" not in multiprocessing.get_all_start_methods():
        return [function(item) for item in items]
    chunk = max(1, -(-len(items) // (workers * 4)))
    bounds = [(start, min(start + chunk, len(items))) for start in range(0, len(items), chunk)]
    _job = (function, items)
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_signals) as pool:
            parts = pool.map(_run_chunk, bounds, chunksize=1)
    finally:
        _job = None
    return [result for part in parts for result in part]
