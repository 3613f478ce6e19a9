"""A real SMTP server (aiosmtpd) and a real HTTP receiver on 127.0.0.1, and a small site."""

from __future__ import annotations

import email
import email.policy
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    #: (envelope recipients, raw bytes) of every message, as the server received it
    envelopes: list[tuple[list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Mailbox]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


@dataclass
class Receiver:
    port: int
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    fail_with: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    port = free_port()
    state = Receiver(port)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            if state.fail_with:
                self.send_response(state.fail_with)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with state.lock:
                state.requests.append(({k: v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    # shutdown() waits for the loop's next poll: every 10 ms, not the default 0.5 s
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


CONFIG = """title = "Test Status"
base_url = "https://status.test.example/"
timezone = "Europe/Berlin"

[[components]]
id = "api"
name = "API"

[[components]]
id = "web"
name = "Website"

[notify]
subscribers = "subscribers.csv"
max_age_hours = 24
state = ".inloop/notify-state.json"
retries = 2
retry_seconds = 0.01

[notify.smtp]
host = "127.0.0.1"
port = {smtp_port}
starttls = false
sender = "Test Status <status@test.example>"
unsubscribe = "mailto:unsubscribe@test.example"

[[notify.webhooks]]
url = "http://127.0.0.1:{hook_port}/hook"
secret_env = "INLOOP_TEST_WEBHOOK_SECRET"
format = "inloop"
"""

SUBSCRIBERS = """email,language,components
all@example.com,,
api-only@example.com,de,api
web-only@example.com,,web
"""


def incident(name: str, updates: list[tuple[str, str, str]], components: str = "api") -> str:
    body = "".join(f"## {when} — {status}\n{text}\n\n" for when, status, text in updates)
    return f"---\ntitle: {name}\nimpact: minor\ncomponents: [{components}]\ncause: A bad deploy.\n---\n" + body


@pytest.fixture
def notify_site(
    tmp_path: Path, smtp_server: tuple[int, Mailbox], receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.setenv("INLOOP_TEST_WEBHOOK_SECRET", "s3cret")
    site = tmp_path / "site-src"
    (site / "content" / "incidents").mkdir(parents=True)
    (site / "content" / "maintenance").mkdir(parents=True)
    (site / "inloop.toml").write_text(
        CONFIG.replace("{smtp_port}", str(smtp_server[0])).replace("{hook_port}", str(receiver.port))
    )
    (site / "subscribers.csv").write_text(SUBSCRIBERS)
    (site / "content" / "incidents" / "old-one.md").write_text(
        incident(
            "Old one",
            [("2026-11-20 10:00 UTC", "Investigating", "Looking."), ("2026-11-20 11:00 UTC", "Resolved", "Fixed.")],
        )
    )
    return site
