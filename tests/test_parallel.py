"""fork_map: the parent and its forked children share the work; results come back in order."""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from inloop.build.parallel import (
    CHUNKS_PER_PROCESS,
    LATER_PARTS,
    WorkerFailed,
    available_cores,
    fork_map,
    fork_map_chunks,
    fork_map_deferred,
)

PARENT = os.getpid()
needs_two_cores = pytest.mark.skipif(available_cores() < 2, reason="fork_map runs in-process on one core")


#: Set by a test before it forks: each process's first item waits there until every core has one.
BARRIER: Path | None = None


def wait_for_every_core() -> None:
    """Each process waits, at its first item, until each core's process has taken work (10 s at most).

    On a loaded machine the parent could otherwise finish every item before a
    child is scheduled; with the wait, a process that is never given work is
    what makes the test fail, not the scheduler.
    """
    if BARRIER is None:
        return
    mine = BARRIER / str(os.getpid())
    if mine.exists():
        return
    mine.touch()
    deadline = time.monotonic() + 10
    while len(list(BARRIER.iterdir())) < available_cores() and time.monotonic() < deadline:
        time.sleep(0.005)


@pytest.fixture
def every_core(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "BARRIER", tmp_path)


def square_and_pid(number: int) -> tuple[int, int]:
    wait_for_every_core()
    time.sleep(0.001)
    return number * number, os.getpid()


def fail_in_child(number: int) -> int:
    time.sleep(0.001)
    if os.getpid() != PARENT:
        raise ValueError(f"item {number} failed in a child")
    return number


def fail_in_parent(number: int) -> int:
    time.sleep(0.001)
    if os.getpid() == PARENT:
        raise KeyError("the parent's item failed")
    return number


@needs_two_cores
@pytest.mark.usefixtures("every_core")
def test_results_are_in_item_order_and_made_on_every_core() -> None:
    results = fork_map(square_and_pid, list(range(600)))
    assert [value for value, _ in results] == [n * n for n in range(600)]
    assert PARENT in {pid for _, pid in results}  # the parent works too
    assert len({pid for _, pid in results}) == available_cores()
    assert multiprocessing.active_children() == []


def test_small_jobs_stay_in_this_process() -> None:
    results = fork_map(square_and_pid, list(range(10)))
    assert results == [(n * n, PARENT) for n in range(10)]


@needs_two_cores
def test_a_failure_in_a_child_is_raised_with_its_traceback() -> None:
    with pytest.raises(WorkerFailed, match=r"(?s)Traceback.*ValueError: item \d+ failed in a child"):
        fork_map(fail_in_child, list(range(600)))
    assert multiprocessing.active_children() == []


@needs_two_cores
def test_a_failure_in_the_parent_stops_the_children() -> None:
    with pytest.raises(KeyError, match="the parent's item failed"):
        fork_map(fail_in_parent, list(range(600)))
    assert multiprocessing.active_children() == []


def squares_of_a_run(numbers: list[int]) -> list[tuple[int, int]]:
    wait_for_every_core()
    time.sleep(0.001)
    return [(n * n, os.getpid()) for n in numbers]


def one_result_short(numbers: list[int]) -> list[int]:
    return numbers[1:]


@needs_two_cores
@pytest.mark.usefixtures("every_core")
def test_runs_of_items_go_to_every_core_and_come_back_in_order() -> None:
    results = fork_map_chunks(squares_of_a_run, list(range(600)))
    assert [value for value, _ in results] == [n * n for n in range(600)]
    assert len({pid for _, pid in results}) == available_cores()
    assert multiprocessing.active_children() == []


def test_a_run_function_must_give_one_result_per_item() -> None:
    assert fork_map_chunks(squares_of_a_run, []) == []
    with pytest.raises(ValueError, match="599 results for 600 items"):
        fork_map_chunks(one_result_short, list(range(600)), min_items=10**6)
    if available_cores() >= 2:
        # the parent's run or a child's, whichever fails first
        with pytest.raises((ValueError, WorkerFailed), match=r"\d+ results for \d+ items"):
            fork_map_chunks(one_result_short, list(range(600)))


def tag_run(tag: str) -> Callable[[Sequence[int]], list[tuple[str, int, int]]]:
    def run(numbers: Sequence[int]) -> list[tuple[str, int, int]]:
        time.sleep(0.002)
        return [(tag, n, os.getpid()) for n in numbers]

    return run


def later_of_run(numbers: Sequence[int], firsts: list[tuple[str, int, int]]) -> list[tuple[int, int]]:
    assert [n for _, n, _ in firsts] == list(numbers)  # the first results of this very run
    time.sleep(0.002)
    return [(n * 10, os.getpid()) for n in numbers]


def run_size(count: int) -> int:
    return -(-count // (available_cores() * CHUNKS_PER_PROCESS))


@needs_two_cores
def test_every_process_leaves_its_runs_later_work_and_a_free_child_takes_the_parents(tmp_path: Path) -> None:
    took_the_parents = tmp_path / "took"

    def later(numbers: Sequence[int], firsts: list[tuple[str, int, int]]) -> list[tuple[int, int]]:
        if os.getpid() != PARENT and firsts[0][2] == PARENT:
            took_the_parents.touch()  # a run the parent parsed, its first results asked of it
        return later_of_run(numbers, firsts)

    firsts, deferred = fork_map_deferred(tag_run("at once"), tag_run("first"), later, list(range(600)))
    assert firsts == [("first", n, pid) for n, (_, _, pid) in enumerate(firsts)]
    by_parent = {n for _, n, pid in firsts if pid == PARENT}
    assert by_parent and len(by_parent) < 600  # both took runs
    assert deferred.indexes == list(range(600))  # the later work of every run waits
    deadline = time.monotonic() + 30
    while not took_the_parents.exists() and time.monotonic() < deadline:  # the parent's "own work"
        time.sleep(0.01)
    later_results = deferred.finish()
    assert sorted(later_results) == list(range(600))
    assert deferred.indexes == []  # nothing pending any more
    assert all(value == n * 10 for n, (value, _) in later_results.items())
    children = {n for n, (_, pid) in later_results.items() if pid != PARENT}
    assert children - by_parent and children & by_parent  # a child did later work of its runs and the parent's
    assert multiprocessing.active_children() == []


@needs_two_cores
@pytest.mark.usefixtures("every_core")
def test_the_parent_does_its_runs_later_work_while_a_child_finishes_its_first() -> None:
    def first(numbers: Sequence[int]) -> list[tuple[str, int, int]]:
        wait_for_every_core()  # both take a run
        if os.getpid() != PARENT:
            time.sleep(0.3)  # a child slow with each run: the parent is done with the first work long before
        return tag_run("first")(numbers)

    early: list[int] = []  # later work the parent did before the first results were all in

    def later(numbers: Sequence[int], firsts: list[tuple[str, int, int]]) -> list[tuple[int, int]]:
        if os.getpid() == PARENT:
            early.extend(numbers)
        return later_of_run(numbers, firsts)

    firsts, deferred = fork_map_deferred(tag_run("at once"), first, later, list(range(600)))
    assert [n for _, n, _ in firsts] == list(range(600))  # every first result, the child's last run's too
    assert early and set(early) <= {n for _, n, pid in firsts if pid == PARENT}  # its own runs' parts
    later_results = deferred.finish()
    assert sorted(later_results) == list(range(600))
    assert all(value == n * 10 for n, (value, _) in later_results.items())
    assert multiprocessing.active_children() == []


@needs_two_cores
def test_a_parent_free_early_takes_the_later_work_children_have_not_started() -> None:
    def slow_later(numbers: Sequence[int], firsts: list[tuple[str, int, int]]) -> list[tuple[int, int]]:
        time.sleep(0.02)
        return later_of_run(numbers, firsts)

    _, deferred = fork_map_deferred(tag_run("at once"), tag_run("first"), slow_later, list(range(600)))
    pending = deferred.indexes
    later = deferred.finish()  # at once: the parent takes runs from the end while the child goes forward
    assert sorted(later) == pending
    assert PARENT in {pid for _, pid in later.values()}
    assert multiprocessing.active_children() == []


@needs_two_cores
def test_a_parent_free_early_takes_the_parts_of_a_run_a_child_has_not_reached(tmp_path: Path) -> None:
    started = tmp_path / "started"

    def slow_in_child(numbers: Sequence[int], firsts: list[tuple[str, int, int]]) -> list[tuple[int, int]]:
        if os.getpid() != PARENT:
            started.touch()
            time.sleep(1)
        return later_of_run(numbers, firsts)

    firsts, deferred = fork_map_deferred(tag_run("at once"), tag_run("first"), slow_in_child, list(range(600)))
    pending = deferred.indexes
    deadline = time.monotonic() + 30
    while not started.exists() and time.monotonic() < deadline:  # the child has begun its first part
        time.sleep(0.01)
    later = deferred.finish()
    assert sorted(later) == pending
    size = run_size(600)
    childs_first = min(n for _, n, pid in firsts if pid != PARENT) // size  # the child's own runs come first
    first_run = list(range(childs_first * size, min(600, (childs_first + 1) * size)))
    by_child = [n for n in later if later[n][1] != PARENT]
    # the child did the first part of its first run; the parent the rest of it, and every other run
    assert by_child == first_run[: len(first_run) // LATER_PARTS]
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("count", [64, 67, 70, 131])
def test_later_work_is_complete_and_in_order_for_runs_of_any_length(count: int) -> None:
    firsts, deferred = fork_map_deferred(tag_run("at once"), tag_run("first"), later_of_run, list(range(count)))
    pending = deferred.indexes
    later = deferred.finish()
    assert [n for _, n, _ in firsts] == list(range(count))
    assert sorted(later) == pending
    assert all(value == n * 10 for n, (value, _) in later.items())


def fail_later_in_child(numbers: Sequence[int], firsts: list[tuple[str, int, int]]) -> list[int]:
    if os.getpid() != PARENT:
        raise ValueError("later work failed in a child")
    return list(numbers)


@needs_two_cores
def test_a_failure_in_a_childs_later_work_is_raised_with_its_traceback() -> None:
    with pytest.raises(WorkerFailed, match=r"(?s)Traceback.*ValueError: later work failed in a child"):
        # by finish, or already at the end of the first work if the child failed that soon
        _, deferred = fork_map_deferred(tag_run("at once"), tag_run("first"), fail_later_in_child, list(range(600)))
        time.sleep(0.2)
        deferred.finish()
    assert multiprocessing.active_children() == []


@needs_two_cores
def test_cancel_ends_the_children_without_waiting() -> None:
    def endless(numbers: Sequence[int], firsts: list[tuple[str, int, int]]) -> list[int]:
        if os.getpid() != PARENT:  # (the parent does later work too, while a child finishes its first)
            time.sleep(60)
        return list(numbers)

    _, deferred = fork_map_deferred(tag_run("at once"), tag_run("first"), endless, list(range(600)))
    started = time.monotonic()
    deferred.cancel()
    assert time.monotonic() - started < 10
    assert multiprocessing.active_children() == []


def test_a_small_job_has_nothing_deferred() -> None:
    firsts, deferred = fork_map_deferred(tag_run("at once"), tag_run("first"), later_of_run, list(range(10)))
    assert firsts == [("at once", n, PARENT) for n in range(10)]
    assert deferred.indexes == [] and deferred.finish() == {}
