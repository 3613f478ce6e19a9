"""``inloop watch`` and ``inloop serve``: the watcher, the server, and a clean stop.

Ctrl-C and SIGTERM both end the loop with exit status 0: the signal only sets
an event; the watcher and the server finish what they are doing and close.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import webbrowser
from collections.abc import Callable
from datetime import datetime
from types import FrameType

import click

from inloop.build.builder import Builder
from inloop.build.lock import OutputLock
from inloop.cli.options import say_waiting
from inloop.dev.serve import LiveState, mount_path, open_server
from inloop.dev.watch import RebuildOutcome, Watcher, describe
from inloop.read.config import load_config


def _echo(lines: list[str]) -> None:
    for line in lines:
        click.echo(line)
    sys.stdout.flush()


_forks_reset = False  # the at-fork hook below is registered once a process


def _default_signals_in_child() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    global _forks_reset
    if not _forks_reset:
        # A build may fork worker processes (parallel.fork_map).  They would inherit this
        # handler and shrug off the SIGTERM with which their pool ends them, so that the
        # build waited for them forever; and a Ctrl-C in the terminal, sent to them too,
        # is the watcher's to handle, not theirs.
        os.register_at_fork(after_in_child=_default_signals_in_child)
        _forks_reset = True
    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _mount(builder: Builder) -> str | None:
    """Where the site is served: base_url's path, from the config the last build read.

    After a failed rebuild the builder keeps the config of the attempt, which
    is why callers ask only after good ones.
    """
    config = builder.config
    if config is None:  # before the first build: read what it will read
        config = load_config(builder.source, "inloop.toml").config
    return mount_path(builder.base_url or config.base_url) if config else None


def _locking(builder: Builder, command: str, stop: threading.Event) -> OutputLock:
    """Each rebuild holds the output folder's lock: another build of it waits, or is waited for."""
    return OutputLock(builder.output, command, on_wait=say_waiting, stop=stop, again=True)


def run_watch(builder: Builder, now: Callable[[], datetime], follow_clock: bool) -> None:
    stop = threading.Event()
    _stop_on_signals(stop)
    watcher = Watcher(
        builder,
        now,
        follow_clock=follow_clock,
        on_rebuild=lambda o: _echo(describe(o)),
        holding=(lock := _locking(builder, "inloop watch", stop)).held,
    )
    watcher.start()
    _echo([f"watching {builder.shown_source} (Ctrl-C to stop)"])
    loop = threading.Thread(target=watcher.run, args=(stop,), name="inloop-watch", daemon=True)
    loop.start()
    try:
        while not stop.wait(0.5) and loop.is_alive():
            pass
    finally:
        stop.set()
        watcher.stop()
        loop.join(timeout=10)
        lock.close()


def run_serve(
    builder: Builder, now: Callable[[], datetime], follow_clock: bool, host: str, port: int, open_browser: bool
) -> None:
    stop = threading.Event()
    _stop_on_signals(stop)
    live = LiveState()
    server = open_server(host, port, builder.output, live)  # first: a port in use leaves nothing behind

    def on_rebuild(outcome: RebuildOutcome) -> None:
        live.publish(outcome.problems, _mount(builder) if outcome.ok else None)
        _echo(describe(outcome))

    watcher = Watcher(
        builder,
        now,
        follow_clock=follow_clock,
        on_rebuild=on_rebuild,
        holding=(lock := _locking(builder, "inloop serve", stop)).held,
    )
    try:
        watcher.start()  # a source folder that is not there: an error, and no site/ made in it
    except BaseException:
        server.server_close()
        raise
    builder.output.mkdir(parents=True, exist_ok=True)
    bound_port = server.server_address[1]
    live.mount = _mount(builder) or "/"
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    serving.start()
    url = f"http://{host}:{bound_port}{live.mount}"
    _echo([f"watching {builder.shown_source} (Ctrl-C to stop)", f"serving {builder.output} on {url}"])
    loop = threading.Thread(target=watcher.run, args=(stop,), name="inloop-watch", daemon=True)
    loop.start()
    if open_browser:
        webbrowser.open(url)
    try:
        while not stop.wait(0.5) and loop.is_alive():
            pass
    finally:
        stop.set()
        live.close()
        watcher.stop()
        server.shutdown()
        server.server_close()
        loop.join(timeout=10)
        lock.close()
