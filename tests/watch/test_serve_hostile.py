"""The preview server against crafted requests and slow clients (issue 21), over real sockets.

``%0d%0a`` in a path put a ``Set-Cookie`` header into the server's 301, a
path outside Latin-1 gave a traceback, a request sent halfway held a thread
for ever, and a link inside ``site/`` to a file elsewhere was served.  Most
tests run a :class:`PreviewServer` in this process with a short idle time, so
that they wait one second, not ten; the last ones ask ``inloop serve`` itself.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from inloop.dev.serve import IDLE_SECONDS, LiveState, PreviewServer, open_server

from .support import WAIT, Served, start_serve

pytestmark = [pytest.mark.server, pytest.mark.timeout(60)]  # runs inloop serve

IDLE = 1.0
CRLF_FOLDER = "a\r\nSet-Cookie: stolen=1"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """An output folder with a page, odd folder names and links in and out of it."""
    output = tmp_path / "site"
    (output / "incidents" / "one").mkdir(parents=True)
    (output / "index.html").write_text("<!DOCTYPE html><title>home</title><body><p>home</p></body>\n")
    (output / "404.html").write_text("<!DOCTYPE html><title>404</title><body><p>not here</p></body>\n")
    (output / "incidents" / "one" / "index.html").write_text("<!DOCTYPE html><body><p>one</p></body>\n")
    (output / CRLF_FOLDER).mkdir()
    (output / "€uro").mkdir()
    (output / "€uro" / "index.html").write_text("<!DOCTYPE html><body><p>euro</p></body>\n")
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (output / "leak.txt").symlink_to(secrets / "passwd")
    (output / "leakdir").symlink_to(secrets)
    (output / "incidents" / "up.txt").symlink_to("../../secrets/passwd")
    (output / "alias.html").symlink_to("index.html")  # a link that stays inside: served
    (output / "loop").symlink_to("loop")
    return output


@pytest.fixture
def server(site: Path) -> Iterator[PreviewServer]:
    running = open_server("127.0.0.1", 0, site, LiveState(), idle_seconds=IDLE)
    thread = threading.Thread(target=running.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()


def exchange(server: PreviewServer, request: bytes) -> tuple[bytes, dict[str, list[str]], bytes]:
    """Send raw bytes, read to the end: (status line, headers by lowercased name, body)."""
    with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=WAIT) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    headers: dict[str, list[str]] = {}
    for line in lines:
        name, _, value = line.decode("latin-1").partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return status, headers, body


def get(server: PreviewServer, path: bytes) -> tuple[bytes, dict[str, list[str]], bytes]:
    return exchange(server, b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")


# -- nothing of the request reaches a header raw ----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "location"),
    [
        (b"/a%0d%0aSet-Cookie:%20stolen=1", "/a%0D%0ASet-Cookie:%20stolen=1/"),
        (b"/a%0D%0ASet-Cookie:%20stolen=1?x=%0d%0a", "/a%0D%0ASet-Cookie:%20stolen=1/?x=%0d%0a"),
        (b"/incidents/%0d%0aSet-Cookie:%20stolen=1/..", "/incidents/"),
        (b"/incidents/one/%0d%0aLocation:%20https://evil.example/%2e%2e/%2e%2e", "/incidents/one/"),
        (b"/%E2%82%ACuro", "/%E2%82%ACuro/"),
        ("/€uro".encode(), "/%E2%82%ACuro/"),  # sent as raw UTF-8, not escaped
        (b"/incidents/one?q=\xe2\x82\xac%20\x01", "/incidents/one/?q=%E2%82%AC%20%01"),  # the query's bytes kept
    ],
)
def test_a_redirect_location_is_percent_encoded(server: PreviewServer, path: bytes, location: str) -> None:
    status, headers, _ = get(server, path)
    assert status == b"HTTP/1.0 301 Moved Permanently"
    assert headers["location"] == [location]
    assert "set-cookie" not in headers
    assert all(value.isascii() and value.isprintable() for values in headers.values() for value in values)


def test_a_redirect_to_a_path_outside_latin_1_is_followed(server: PreviewServer) -> None:
    status, headers, _ = get(server, b"/%E2%82%ACuro")
    assert status.endswith(b"301 Moved Permanently")
    status, _, body = get(server, headers["location"][0].encode())
    assert status == b"HTTP/1.0 200 OK" and b"<p>euro</p>" in body


# -- only real paths inside the output -------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [b"/leak.txt", b"/leakdir/passwd", b"/leakdir/", b"/leakdir", b"/incidents/up.txt", b"/loop", b"/loop/"]
)
def test_links_out_of_the_output_are_not_served(server: PreviewServer, path: bytes) -> None:
    status, _, body = get(server, path)
    assert status == b"HTTP/1.0 404 Not Found"
    assert b"not here" in body and b"root:" not in body


def test_a_link_that_stays_inside_the_output_is_served(server: PreviewServer) -> None:
    status, _, body = get(server, b"/alias.html")
    assert status == b"HTTP/1.0 200 OK" and b"<p>home</p>" in body


# -- slow and silent clients -----------------------------------------------------------------------


def closed_after(connection: socket.socket, trickle: bytes = b"") -> float:
    """Seconds until the server closes ``connection``, sending ``trickle`` a byte every 0.2 s meanwhile."""
    started = time.monotonic()
    connection.settimeout(0.2)
    for byte in [trickle[i : i + 1] for i in range(len(trickle))] or [b""] * 100:
        try:
            if byte:
                connection.sendall(byte)
            if connection.recv(1024) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - started
    raise AssertionError("the server kept the connection open")


@pytest.mark.parametrize(
    "sent",
    [b"", b"GET / HTTP/1.1\r\n", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "],
    ids=["nothing", "the request line", "part of the headers"],
)
def test_a_silent_client_is_dropped_after_the_idle_time(server: PreviewServer, sent: bytes) -> None:
    with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=WAIT) as connection:
        connection.sendall(sent)
        assert IDLE * 0.8 < closed_after(connection) < IDLE + 1.5


def test_a_request_sent_a_byte_at_a_time_is_dropped_after_the_idle_time(server: PreviewServer) -> None:
    """Each byte comes well within the idle time, but the request never ends: dropped all the same."""
    request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Padding: " + b"x" * 100
    with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=WAIT) as connection:
        assert closed_after(connection, request) < IDLE + 1.5


def test_half_sent_requests_hold_no_thread_after_the_idle_time(server: PreviewServer) -> None:
    before = threading.active_count()
    connections = [socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=WAIT) for _ in range(20)]
    try:
        for connection in connections:
            connection.sendall(b"GET / HTTP/1.1\r\n")
        deadline = time.monotonic() + IDLE + 5
        while threading.active_count() > before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert threading.active_count() == before
    finally:
        for connection in connections:
            connection.close()


def test_the_live_reload_stream_outlives_the_idle_time(server: PreviewServer) -> None:
    assert server.live is not None
    with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=WAIT) as connection:
        connection.sendall(b"GET /__inloop/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        stream = connection.makefile("rb")
        while stream.readline() not in (b"\r\n", b""):
            pass
        assert stream.readline() == b"retry: 1000\n"
        assert stream.readline() == b"data: 0\n"
        time.sleep(IDLE + 0.5)
        server.live.publish([])
        assert [stream.readline() for _ in range(2)] == [b"\n", b"data: 1\n"]
        stream.close()


def test_the_idle_time_of_inloop_serve_is_ten_seconds() -> None:
    assert IDLE_SECONDS == 10.0


# -- the same through inloop serve -----------------------------------------------------------------


def test_inloop_serve_encodes_its_redirects_and_serves_no_link_out(acme: Path, tmp_path: Path) -> None:
    served: Served = start_serve(acme)
    try:
        output = acme / "site"
        (output / "leak.txt").symlink_to(acme / "inloop.toml")
        with socket.create_connection(("127.0.0.1", served.port), timeout=WAIT) as connection:
            connection.sendall(b"GET /incidents/%0d%0aSet-Cookie:%20stolen=1/.. HTTP/1.0\r\n\r\n")
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
        head = answer.partition(b"\r\n\r\n")[0].split(b"\r\n")
        assert head[0] == b"HTTP/1.0 301 Moved Permanently"
        assert b"Location: /incidents/" in head and not any(b"stolen" in line for line in head)
        assert served.get("/%E2%82%AC").status == 404
        leak = served.get("/leak.txt")
        assert leak.status == 404 and b"[[components]]" not in leak.body
        os.unlink(output / "leak.txt")
    finally:
        status = served.process.stop(signal.SIGINT)
    assert status == 0
    assert served.process.stderr == []
