"""``inloop import`` of a URL has an overall deadline: a server that trickles cannot hold it.

The servers here are real sockets on 127.0.0.1: one that sends its headers
and then a byte now and then, forever; one that never answers at all.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from inloop.errors import UsageError
from inloop.importer import DEFAULT_DEADLINE, import_feed
from inloop.importer.feed import read_source

NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)


class SlowServer:
    """Accepts connections; ``behaviour`` is "trickle" (headers, then a byte every ``every`` s)
    or "silent" (reads the request, answers nothing)."""

    def __init__(self, behaviour: str, every: float = 0.25) -> None:
        self.behaviour = behaviour
        self.every = every
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.threads: list[threading.Thread] = []
        self.accepted = threading.Thread(target=self._accept, daemon=True)
        self.accepted.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)
                if self.behaviour == "trickle":
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 1000000\r\n\r\n"
                    )
                while not self.stop.wait(self.every):
                    if self.behaviour == "trickle":
                        conn.sendall(b"<")
            except OSError:  # the client gave up and closed: what the test wants
                return

    def close(self) -> None:
        self.stop.set()
        self.accepted.join()
        for thread in self.threads:
            thread.join()
        self.listener.close()


@pytest.fixture
def slow_server() -> Iterator[Callable[[str], SlowServer]]:
    servers: list[SlowServer] = []

    def start(behaviour: str) -> SlowServer:
        server = SlowServer(behaviour)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def test_the_default_deadline_is_a_minute() -> None:
    assert DEFAULT_DEADLINE == 60.0


@pytest.mark.parametrize("behaviour", ["trickle", "silent"])
def test_a_slow_server_meets_the_deadline(
    slow_server: Callable[[str], SlowServer], tmp_path: Path, behaviour: str
) -> None:
    server = slow_server(behaviour)
    url = f"http://127.0.0.1:{server.port}/history.rss"
    started = time.monotonic()
    with pytest.raises(UsageError) as caught:
        import_feed(url, tmp_path / "site", now=NOW, deadline=1.0)
    elapsed = time.monotonic() - started
    assert str(caught.value) == (
        f"cannot fetch {url}: no complete answer within 1 seconds (the deadline; give more with --timeout)"
    )
    assert 0.9 <= elapsed < 2.5
    assert not (tmp_path / "site").exists()


def test_the_command_takes_a_timeout(slow_server: Callable[[str], SlowServer], tmp_path: Path, run_cli: Any) -> None:
    server = slow_server("trickle")
    url = f"http://127.0.0.1:{server.port}/history.rss"
    started = time.monotonic()
    result = run_cli(["import", url, "--source", str(tmp_path / "site"), "--timeout", "0.5"])
    assert time.monotonic() - started < 2.5
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: cannot fetch {url}: no complete answer within 0.5 seconds (the deadline; give more with --timeout)\n"
    )
    bad = run_cli(["import", url, "--source", str(tmp_path / "site"), "--timeout", "0"])
    assert bad.exit_code == 2 and "'--timeout'" in bad.stderr  # click's own wording varies by version


def test_a_server_within_the_deadline_is_read_whole(feeds_dir: Path) -> None:
    # the deadline does not cut a feed that arrives in time (a real server, a real file)
    import functools
    import http.server

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(feeds_dir))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/statuspage-streamyard-history.rss"
        data, headers = read_source(url, deadline=5.0)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert data == (feeds_dir / "statuspage-streamyard-history.rss").read_bytes()
    assert headers["content-length"] == str(len(data))
