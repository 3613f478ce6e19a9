"""``inloop subscriptions serve``: the standard library's WSGI server, threaded, logging no tokens."""

from __future__ import annotations

import logging
import signal
import socketserver
import threading
import time
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .app import Service

log = logging.getLogger("inloop.subscriptions")


#: How long a stopping service waits for the requests it is answering (each is logged when done).
DRAIN_SECONDS = 5.0


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: Any, bind_and_activate: bool = True) -> None:
        super().__init__(address, handler, bind_and_activate)
        self.in_flight = 0
        self.lock = threading.Lock()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self.lock:
            self.in_flight += 1
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.lock:
                self.in_flight -= 1

    def drain(self, seconds: float = DRAIN_SECONDS) -> None:
        """Let the requests being answered finish (and be logged), for ``seconds`` at most."""
        deadline = time.monotonic() + seconds
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.01)


class _QuietHandler(WSGIRequestHandler):
    """Logs method, path and status: never the query string, which holds personal tokens."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.split("?", 1)[0]
        log.info("%s %s %s", self.command, path, code)

    def log_message(self, format: str, *args: object) -> None:
        log.info("%s", (format % args).split("?", 1)[0])


def make(service: Service, host: str, port: int) -> _ThreadingServer:
    server = make_server(host, port, service, server_class=_ThreadingServer, handler_class=_QuietHandler)
    assert isinstance(server, _ThreadingServer)
    return server


def run(service: Service, host: str, port: int) -> None:
    server = make(service, host, port)
    where = f"http://{host}:{server.server_port}/"
    log.info("subscription service on %s (Ctrl+C stops it)", where)
    print(f"serving the subscription service on {where}", flush=True)
    # Ctrl-C and SIGTERM (what systemd and docker stop with) both drain and stop, also in a process started
    # with SIGINT ignored (a shell's background job), as `inloop serve` does.
    previous = {signum: signal.signal(signum, _interrupt) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.drain()
    finally:
        server.server_close()
        for signum, handler in previous.items():
            if handler is not None:  # (None: a handler not set from Python, which cannot be set back)
                signal.signal(signum, handler)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
