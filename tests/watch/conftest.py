"""Fixtures for the watcher and server tests: a copy of the example site, a running watcher, the CLI."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import browser_support
import pytest

from inloop.build.builder import Builder

from .support import NOW, Process, Served, WatchSession, copy_example, start_serve


@pytest.fixture(scope="session")
def built_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's sources, built once (so that its build cache is warm); read-only by convention."""
    source = copy_example(tmp_path_factory.mktemp("built-example") / "acme")
    Builder(source, source / "site").build(NOW)
    return source


@pytest.fixture
def acme(tmp_path: Path, built_example: Path) -> Path:
    """A fresh copy of the example site's sources (no output yet, a warm cache) in ``tmp_path/acme``."""
    return copy_example(tmp_path / "acme", warm_from=built_example)


@pytest.fixture
def make_watch() -> Iterator[Callable[..., WatchSession]]:
    """``make_watch(source, now=..., follow_clock=...)`` → a :class:`WatchSession`, not started yet."""
    sessions: list[WatchSession] = []

    def make(source: Path, **options: Any) -> WatchSession:
        session = WatchSession(source, **options)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        if session.thread.is_alive():
            session.close()


@pytest.fixture
def watching(acme: Path, make_watch: Callable[..., WatchSession]) -> Iterator[WatchSession]:
    """A watcher on ``acme`` whose first build succeeded; at the end it must still be running."""
    session = make_watch(acme)
    first = session.start()
    assert first.ok, first.problems
    assert first.changed == []
    yield session
    session.assert_running()


@pytest.fixture
def inloop() -> Iterator[Callable[..., Process]]:
    """``inloop(["watch", ...], cwd=folder)`` → a running :class:`Process`; killed at the end if still running."""
    started: list[Process] = []

    def start(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> Process:
        process = Process(args, cwd, env)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()


@pytest.fixture
def served(acme: Path) -> Iterator[Served]:
    """``inloop serve`` on ``acme`` (port chosen by the system); stopped with Ctrl-C at the end."""
    server = start_serve(acme)
    yield server
    if server.process.popen.poll() is None:
        server.stop(signal.SIGINT)
    else:
        server.process.kill()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright launches Debian's chromium (see tests/browser_support.py)."""
    return browser_support.launch_args(browser_type_launch_args)
