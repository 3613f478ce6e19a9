"""``inloop receive``'s HTTP side: authentication, limits, routes, and the follow-up after each write.

The standard library's threading HTTP server: requests are read in
threads, while :class:`~inloop.alerts.receiver.Receiver` writes one at a
time and :class:`FollowUp` builds (or publishes) one at a time, coalescing
alerts that arrive meanwhile into the next run.  Clients get JSON; never a
traceback, which goes to the receiver's log.
"""

from __future__ import annotations

import hmac
import json
import threading
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .payloads import KINDS, PayloadError, parse
from .receiver import Receiver

MAX_BODY = 1024 * 1024  # 1 MB
READ_TIMEOUT = 10.0


class FollowUp:
    """Runs ``action`` in a thread of its own, one run at a time; requests during a run make one more run."""

    def __init__(self, action: Callable[[], None], log: Callable[[str], None]) -> None:
        self.action = action
        self.log = log
        self._wanted = threading.Condition()
        self._pending = False
        self._stopping = False
        self._finished = threading.Condition()
        self.requests = 0
        self.runs = 0
        self._thread = threading.Thread(target=self._loop, name="inloop-follow-up", daemon=True)
        self._thread.start()

    def request(self) -> None:
        with self._wanted:
            self.requests += 1
            self._pending = True
            self._wanted.notify()

    def wait_for_runs(self, count: int, timeout: float) -> bool:
        """Whether ``count`` runs have finished within ``timeout`` seconds: a caller can wait for a build."""
        with self._finished:
            return self._finished.wait_for(lambda: self.runs >= count, timeout)

    def stop(self) -> None:
        with self._wanted:
            self._stopping = True
            self._wanted.notify()
        self._thread.join(timeout=60)

    def _loop(self) -> None:
        while True:
            with self._wanted:
                while not self._pending and not self._stopping:
                    self._wanted.wait()
                if self._stopping:
                    return
                self._pending = False
            try:
                self.action()
            except Exception:  # the receiver must keep receiving: log it, try again on the next alert
                self.log("the follow-up failed:\n" + traceback.format_exc().rstrip())
            with self._finished:
                self.runs += 1
                self._finished.notify_all()


class ReceiverServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        receiver: Receiver,
        token: str,
        follow_up: FollowUp | None,
        log: Callable[[str], None],
    ) -> None:
        self.receiver = receiver
        self.token = token.encode("utf-8")
        self.follow_up = follow_up
        self.log = log
        super().__init__(address, Handler)


class Handler(BaseHTTPRequestHandler):
    server: ReceiverServer
    protocol_version = "HTTP/1.1"
    timeout = READ_TIMEOUT
    server_version = "inloop-receive"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        self.server.log(f"{self.address_string()} {format % args}")

    def log_error(self, format: str, *args: Any) -> None:
        message = format % args
        if "timed out" not in message:  # an idle kept-alive connection closing is no error
            self.server.log(f"{self.address_string()} {message}")

    def _reply(self, code: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = (json.dumps(body, ensure_ascii=False) + "\n").encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        """Answer without reading the body: the connection is closed after it."""
        self.close_connection = True
        self._reply(code, {"status": "error", "error": message}, headers)

    def _authorized(self) -> bool:
        given = self.headers.get("Authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer":
            token = ""
        # compare_digest takes as long for any wrong token of a length; hash nothing else
        return hmac.compare_digest(token.strip().encode("utf-8"), self.server.token) and bool(token.strip())

    def do_POST(self) -> None:
        try:
            self._post()
        except Exception:
            self.server.log("error while answering a webhook:\n" + traceback.format_exc().rstrip())
            try:
                self._refuse(500, "internal error: see the receiver's log")
            except OSError:
                pass

    def _post(self) -> None:
        if not self._authorized():
            self._refuse(401, "missing or wrong bearer token", {"WWW-Authenticate": 'Bearer realm="inloop"'})
            return
        kind = self.path.split("?", 1)[0].strip("/")
        if kind not in KINDS:
            self._refuse(404, f"unknown path {self.path[:100]!r}: POST to /alertmanager, /grafana or /generic")
            return
        if self.headers.get("Transfer-Encoding", "").lower() not in ("", "identity"):
            self._refuse(411, "send the body with a Content-Length")
            return
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            self._refuse(411, "send the body with a Content-Length")
            return
        try:
            length = int(length_text)
        except ValueError:
            self._refuse(400, "Content-Length is not a number")
            return
        if length > MAX_BODY:
            self._refuse(413, f"the body is {length} bytes: at most {MAX_BODY} are accepted")
            return
        if length < 0:
            self._refuse(400, "Content-Length is negative")
            return
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            self._refuse(408, "the body did not arrive in time")
            return
        if len(body) < length:
            self._refuse(400, "the body is shorter than its Content-Length")
            return
        try:
            batch = parse(kind, body)
        except PayloadError as exc:
            self._reply(400, {"status": "error", "error": str(exc)})
            return
        outcome = self.server.receiver.receive(batch)
        if outcome.changed and self.server.follow_up is not None:
            self.server.follow_up.request()  # before the answer: a client that has it knows the build is asked for
        status = "ok" if outcome.code == 200 else ("ignored" if outcome.code == 202 else "error")
        self._reply(outcome.code, {"status": status, "message": outcome.message, "incidents": outcome.incidents})

    def _not_allowed(self) -> None:
        self._refuse(405, "only POST is accepted", {"Allow": "POST"})

    do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = _not_allowed
