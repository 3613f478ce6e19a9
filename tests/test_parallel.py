"""fork_map: the parent and its forked children share the work; results come back in order."""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest

from inloop.parallel import WorkerFailed, available_cores, fork_map, fork_map_chunks

PARENT = os.getpid()
needs_two_cores = pytest.mark.skipif(available_cores() < 2, reason="fork_map runs in-process on one core")


def square_and_pid(number: int) -> tuple[int, int]:
    time.sleep(0.001)  # long enough that a child starts before the parent has taken every chunk
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
    time.sleep(0.001)
    return [(n * n, os.getpid()) for n in numbers]


def one_result_short(numbers: list[int]) -> list[int]:
    return numbers[1:]


@needs_two_cores
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
