"""Spread pure work over every core this process may use.

Markdown and Jinja are pure Python, so threads would not help: we fork.
Forked workers inherit the job (parsed content, the template environment)
instead of receiving it pickled; only results come back (and the first
results of a run, to a child that asks: see :func:`fork_map_deferred`).  The parent works
too, taking chunks from the same shared counter as its children: on two
cores that is one child, not two beside an idle parent, and every forked
process counts the parent's memory once more in the tree's RSS.
Small jobs, and machines without ``fork`` or with one core, run in-process.
The order of results is the order of the items, so output is deterministic.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

from inloop.build import gc_policy

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")

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


#: prctl(2)'s option that asks the kernel for a signal when the parent dies (Linux).
_PR_SET_PDEATHSIG = 1
#: How often a worker without that signal looks whether its parent is still there.
ORPHAN_POLL_SECONDS = 0.1


def _die_with_parent(parent: int, inherited: Sequence[Connection]) -> None:
    """In a child, first thing: end at once when the parent dies, however it dies.

    A parent killed with ``kill -9`` runs no cleanup: its worker would block
    for ever on a full pipe, holding the caller's stdout open (``inloop build |
    cat`` never ending).  Linux sends the child SIGKILL when its parent dies;
    elsewhere a thread watches the parent's pid.  The child also closes the
    parent's ends of the pipes it inherited, its own among them, so that a
    write to a parent that is gone fails instead of filling a pipe only it
    can read.
    """
    for end in inherited:
        end.close()
    if not _parent_death_signal(signal.SIGKILL):
        threading.Thread(target=_watch_parent, args=(parent,), name="inloop-orphan-check", daemon=True).start()
    if os.getppid() != parent:  # it died before the signal was asked for
        os._exit(1)


def _parent_death_signal(signum: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(ORPHAN_POLL_SECONDS)
    os._exit(1)


def _send(sender: Connection, message: object) -> None:
    """Send to the parent; a parent that is gone ends the child quietly (no traceback on the caller's stderr)."""
    try:
        sender.send_bytes(pickle.dumps(message, -1))
    except OSError:
        os._exit(1)


def _child(
    function: Callable[[Sequence[Any]], list[Any]],
    items: Sequence[Any],
    bounds: list[tuple[int, int]],
    counter: Any,
    sender: Connection,
    parent: int,
    inherited: Sequence[Connection],
) -> None:
    """A child's whole life: claim chunks until none is left, send each result, exit.

    It collects its own garbage (Jinja makes reference cycles) but never looks
    at what it inherited: the parent froze that before forking, so collecting
    does not copy the parent's pages.  Stopping is the parent's business.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent, inherited)
    gc_policy.in_child()
    try:
        while (index := _claim(counter, len(bounds))) is not None:
            _send(sender, (index, _run(function, items, bounds[index])))
        _send(sender, (None, None))
    except BaseException:
        _send(sender, (-1, traceback.format_exc()))
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


def _runs(count: int, cores: int) -> list[tuple[int, int]]:
    """The bounds of the runs ``count`` items are taken in: :data:`CHUNKS_PER_PROCESS` per process."""
    size = max(1, -(-count // (cores * CHUNKS_PER_PROCESS)))
    return [(start, min(start + size, count)) for start in range(0, count, size)]


#: A function and the arguments it is called with (a child's with its pipe's end last, a reader's first).
_Call = tuple[Callable[..., None], tuple[Any, ...]]


def _start(
    context: Any,
    count: int,
    child: _Call,
    reader: _Call,
    children: list[Any],
    readers: list[threading.Thread],
    *,
    answering: bool = False,
) -> None:
    """Fork ``count`` children, each with a pipe back and a thread of this process reading it.

    With ``answering``, each also has a pipe from the parent, on which its
    reader thread answers what the child asks (a child's end comes after its
    pipe back, the thread's after the child's pipe).  They are added to
    ``children`` and ``readers`` as they start, so that a caller can end
    those that started if starting another fails.
    """
    inherited: list[Connection] = []  # the parent's ends: each child closes those it inherits (see _die_with_parent)
    for _ in range(count):
        receiver, sender = context.Pipe(duplex=False)
        ends, parents_ends = [sender], [receiver]
        if answering:
            answers, answerer = context.Pipe(duplex=False)
            ends.append(answers)
            parents_ends.append(answerer)
        inherited += parents_ends
        process = context.Process(target=child[0], args=(*child[1], *ends, os.getpid(), list(inherited)), daemon=True)
        process.start()
        for end in ends:
            end.close()
        thread = threading.Thread(target=reader[0], args=(*parents_ends, *reader[1]), daemon=True)
        thread.start()
        children.append(process)
        readers.append(thread)


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
    bounds = _runs(len(items), cores)
    counter = context.Value("i", 0)
    results: dict[int, list[Any]] = {}
    failures: list[str] = []
    children: list[Any] = []
    readers: list[threading.Thread] = []
    gc_policy.before_fork()
    try:
        work, reading = (_child, (function, items, bounds, counter)), (_receive, (results, failures))
        _start(context, cores - 1, work, reading, children, readers)
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


#: What a child of :func:`fork_map_deferred` sends: a first result, a later result, its end, its
#: failure, and a question: the first results of a run it did not take, whose later work it took.
_FIRST, _LATER, _DONE, _FAILED, _WANT = range(5)
#: Each run's later work is claimed in this many parts: whichever process is free takes the next
#: part, so that at the end the other waits at most for the part it is doing.
LATER_PARTS = 8


def _parts(bounds: tuple[int, int]) -> list[tuple[int, int]]:
    """A run's bounds cut into :data:`LATER_PARTS` nearly equal parts (some empty for a short run)."""
    start, end = bounds
    cuts = [start + (end - start) * part // LATER_PARTS for part in range(LATER_PARTS + 1)]
    return list(itertools.pairwise(cuts))


def _later_part(
    later: Callable[[Sequence[Any], list[Any]], list[Any]],
    items: Sequence[Any],
    bounds: tuple[int, int],
    part: int,
    results: list[Any],
) -> list[Any]:
    """The later work of one part of the run at ``bounds``, whose first results are ``results``."""
    start, end = _parts(bounds)[part]
    return _run_later(later, items, (start, end), results[start - bounds[0] : end - bounds[0]])


def _take(flags: Any, index: int) -> bool:
    """Claim later work ``index`` (a run's part), for whichever process asks first."""
    with flags.get_lock():
        if flags[index]:
            return False
        flags[index] = 1
        return True


def _ask(sender: Connection, answers: Connection, run: int) -> list[Any]:
    """In a child: the first results of another process's ``run``, from the parent, which has them all."""
    _send(sender, (_WANT, run, None))
    try:
        return pickle.loads(answers.recv_bytes())  # type: ignore[no-any-return]
    except (EOFError, OSError):  # the parent is gone, or failed and will end this child
        os._exit(1)


def _deferring_child(
    first: Callable[[Sequence[Any]], list[Any]],
    later: Callable[[Sequence[Any], list[Any]], list[Any]],
    items: Sequence[Any],
    bounds: list[tuple[int, int]],
    counter: Any,
    flags: Any,
    sender: Connection,
    answers: Connection,
    parent: int,
    inherited: Sequence[Connection],
) -> None:
    """Claim runs for the first work and send each result; then do later work, its own runs' first.

    The child keeps its own first results for their later work.  Then it
    goes on with the other runs' parts, forward, asking the parent for the
    first results of a run when it takes one of its parts, while the parent,
    free at last, takes parts backward: the two meet wherever the work ends.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent, inherited)
    gc_policy.in_child()
    try:
        kept: dict[int, list[Any]] = {}
        while (index := _claim(counter, len(bounds))) is not None:
            kept[index] = _run(first, items, bounds[index])
            _send(sender, (_FIRST, index, kept[index]))
        for index in [*sorted(kept), *(run for run in range(len(bounds)) if run not in kept)]:
            results = kept.pop(index, None)
            for part in range(LATER_PARTS):
                if _take(flags, index * LATER_PARTS + part):
                    if results is None:
                        results = _ask(sender, answers, index)
                    done = _later_part(later, items, bounds[index], part, results)
                    _send(sender, (_LATER, index * LATER_PARTS + part, done))
        _send(sender, (_DONE, None, None))
    except BaseException:
        _send(sender, (_FAILED, -1, traceback.format_exc()))
    finally:
        sender.close()


def _run_later(
    later: Callable[[Sequence[Any], list[Any]], list[Any]],
    items: Sequence[Any],
    bounds: tuple[int, int],
    results: list[Any],
) -> list[Any]:
    done = later(items[bounds[0] : bounds[1]], results)
    if len(done) != bounds[1] - bounds[0]:
        raise ValueError(f"{len(done)} later results for {bounds[1] - bounds[0]} items")
    return done


@dataclass
class _Shared:
    """What the parent's threads share with it: the results as they arrive, and the failures."""

    firsts: dict[int, list[Any]] = field(default_factory=dict)
    done: dict[int, list[Any]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)


def _part_here(
    later: Callable[[Sequence[Any], list[Any]], list[Any]],
    items: Sequence[Any],
    bounds: list[tuple[int, int]],
    flags: Any,
    shared: _Shared,
    run: int,
    part: int,
) -> None:
    """In the parent: one part of a run's later work, unless a child took it first."""
    piece = run * LATER_PARTS + part
    if _take(flags, piece):
        shared.done[piece] = _later_part(later, items, bounds[run], part, shared.firsts[run])


class Deferred(Generic[T, R, S]):
    """The later work of every run, which the children do while the parent does something else.

    :meth:`finish` when the parent is free: it does the parts no child has
    started (its own runs' first), collects the rest and ends the children.
    :meth:`cancel` ends them without waiting, when the result is not wanted any more.
    """

    def __init__(
        self,
        later: Callable[[Sequence[T], list[R]], list[S]] | None = None,
        items: Sequence[T] = (),
        bounds: list[tuple[int, int]] | None = None,
        shared: _Shared | None = None,
        flags: Any = None,
        ours: set[int] | None = None,
        children: list[Any] | None = None,
        readers: list[threading.Thread] | None = None,
    ) -> None:
        self._later = later
        self._items = items
        self._bounds = bounds or []
        self._shared = shared or _Shared()
        self._flags = flags
        self._ours = ours or set()
        self._children = children or []
        self._readers = readers or []
        #: The runs whose later work is pending, by number.
        self.runs = sorted(self._shared.firsts) if later is not None else []

    @property
    def indexes(self) -> list[int]:
        """The items whose later work is pending, in order."""
        return [i for run in self.runs for i in range(*self._bounds[run])]

    def finish(self) -> dict[int, S]:
        """The later result of every pending item, by the item's index."""
        shared = self._shared
        try:
            if self._later is not None:
                # the children go forward, their own runs first: meet them in the middle
                backward = sorted(self.runs, key=lambda run: (run not in self._ours, -run))
                for run in backward:
                    for part in reversed(range(LATER_PARTS)):
                        _part_here(self._later, self._items, self._bounds, self._flags, shared, run, part)
            for reader in self._readers:
                reader.join()
        finally:
            self.cancel()
        if shared.failures:
            raise WorkerFailed(shared.failures[0])
        found: dict[int, S] = {}
        for run in self.runs:
            for part, (start, end) in enumerate(_parts(self._bounds[run])):
                piece = run * LATER_PARTS + part
                if piece not in shared.done:
                    raise WorkerFailed(f"a worker process ended without the later results of run {run}")
                found.update(zip(range(start, end), shared.done[piece], strict=True))
        self.runs = []
        return found

    def cancel(self) -> None:
        for child in self._children:
            if child.is_alive():
                child.terminate()
            child.join()
        self._children = []


def _receive_deferred(receiver: Connection, answerer: Connection, shared: _Shared) -> None:
    """In a parent thread: one child's first results, then its later ones, as they come; answer its questions."""
    try:
        while True:
            kind, index, value = pickle.loads(receiver.recv_bytes())
            if kind == _WANT:
                _answer(answerer, shared, index)
                continue
            with shared.arrived:
                if kind == _FIRST:
                    shared.firsts[index] = value
                elif kind == _LATER:
                    shared.done[index] = value
                elif kind == _FAILED:
                    shared.failures.append(value)
                shared.arrived.notify_all()
            if kind in (_DONE, _FAILED):
                return
    except EOFError:
        with shared.arrived:
            shared.failures.append("a worker process ended without its results")
            shared.arrived.notify_all()
    finally:
        receiver.close()
        answerer.close()


def _answer(answerer: Connection, shared: _Shared, run: int) -> None:
    """Send a child the first results of ``run`` (which may still be in the making), unless the work failed."""
    with shared.arrived:
        shared.arrived.wait_for(lambda: run in shared.firsts or bool(shared.failures))
        firsts = shared.firsts.get(run)
    if firsts is not None:
        with contextlib.suppress(OSError):  # the child is gone: its reader finds out
            answerer.send_bytes(pickle.dumps(firsts, -1))


def _later_until_all_first(
    later: Callable[[Sequence[Any], list[Any]], list[Any]],
    items: Sequence[Any],
    bounds: list[tuple[int, int]],
    flags: Any,
    shared: _Shared,
    ours: set[int],
) -> None:
    """In the parent, once no run is left to take: the later work of its own runs, a part at a time, until
    every child's first results are in (a child may be in the middle of a run, a few tenths of a second)."""

    def all_in() -> bool:
        return len(shared.firsts) == len(bounds) or bool(shared.failures)

    for run in sorted(ours, reverse=True):  # backward, as Deferred.finish goes: a child asks for them forward
        for part in reversed(range(LATER_PARTS)):
            with shared.arrived:
                if all_in():
                    return
            _part_here(later, items, bounds, flags, shared, run, part)
    with shared.arrived:
        shared.arrived.wait_for(all_in)


def fork_map_deferred(
    at_once: Callable[[Sequence[T]], list[R]],
    first: Callable[[Sequence[T]], list[R]],
    later: Callable[[Sequence[T], list[R]], list[S]],
    items: Sequence[T],
    *,
    min_items: int | None = None,
) -> tuple[list[R], Deferred[T, R, S]]:
    """Like :func:`fork_map_chunks`, where the work of each run comes in two parts, the second left for later.

    Every process does ``first`` for the runs it takes, and the parent
    returns all the first results in order, with the :class:`Deferred`
    ``later(run, results)`` of every run.  The children do that later work
    at once, theirs first and then the parent's, while the parent goes on
    with work of its own; :meth:`Deferred.finish` takes what is left.  A job
    too small to fork does ``at_once`` (both parts) here, nothing deferred.

    Made for a build: parsing is the first work, rendering each item's page
    the later; the parent, which must then plan and render the pages that
    list everything, leaves the items' pages to the worker for that time.
    """
    if not will_fork(len(items), min_items):
        return (_run(at_once, items, (0, len(items))) if items else []), Deferred()
    cores = available_cores()
    context = multiprocessing.get_context("fork")
    bounds = _runs(len(items), cores)
    counter = context.Value("i", 0)
    flags = context.Array("b", len(bounds) * LATER_PARTS)
    shared = _Shared()
    children: list[Any] = []
    readers: list[threading.Thread] = []
    ours: set[int] = set()
    gc_policy.before_fork()
    try:
        work = (_deferring_child, (first, later, items, bounds, counter, flags))
        _start(context, cores - 1, work, (_receive_deferred, (shared,)), children, readers, answering=True)
        while (index := _claim(counter, len(bounds))) is not None:
            results = _run(first, items, bounds[index])
            with shared.arrived:
                shared.firsts[index] = results
                shared.arrived.notify_all()  # a child may be waiting for it (see _answer)
            ours.add(index)
        _later_until_all_first(later, items, bounds, flags, shared, ours)
    except BaseException:
        Deferred(children=children).cancel()
        raise
    deferred = Deferred(later, items, bounds, shared, flags, ours, children, readers)
    if shared.failures:
        deferred.cancel()
        raise WorkerFailed(shared.failures[0])
    return [result for index in range(len(bounds)) for result in shared.firsts[index]], deferred
