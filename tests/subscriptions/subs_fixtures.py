"""A site with [subscriptions], the service running on 127.0.0.1 with a clock the test sets, a real SMTP
server (aiosmtpd), and both databases: SQLite, and a throwaway PostgreSQL cluster from Debian's package."""

from __future__ import annotations

import email
import email.policy
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aiosmtpd.controller import Controller

from inloop.subscriptions.app import Service
from inloop.subscriptions.server import make


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    #: the bytes of each message as they arrived, and the client's (host, port): one port per connection
    raw: list[bytes] = field(default_factory=list)
    peers: list[tuple[str, int]] = field(default_factory=list)
    #: address -> the replies its next RCPT TOs get, one each (e.g. "550 5.1.1 no such user"); then accepted
    refuse: dict[str, list[str]] = field(default_factory=dict)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        replies = self.refuse.get(address)
        if replies:
            return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        self.raw.append(bytes(envelope.content))
        self.peers.append(tuple(session.peer[:2]))
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


# -- PostgreSQL ---------------------------------------------------------------------------------


def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL cluster in a temporary folder, on a free port of 127.0.0.1; the URL of its server."""
    bindir = postgres_bin()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed (apt-get install postgresql), and CI must run these tests")
        pytest.skip("PostgreSQL's binaries are not installed (Debian package 'postgresql')")
    root = Path(tempfile.mkdtemp(prefix="inloop-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as nobody, in a folder nobody owns
        nobody = pwd.getpwnam("nobody")
        os.chmod(root, 0o755)
        os.chown(root, nobody.pw_uid, nobody.pw_gid)
        prefix = ["runuser", "-u", "nobody", "--"]
    data, port = root / "data", free_port()

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120, cwd=root)

    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
    options = f"-k {root} -p {port} -h 127.0.0.1 -F -c fsync=off -c full_page_writes=off"
    try:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start")
        yield f"postgresql://postgres@127.0.0.1:{port}/"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
            cwd=root,
        )
        shutil.rmtree(root, ignore_errors=True)


def new_postgres_database(server: str) -> str:
    import psycopg

    name = f"subs_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server + "postgres", autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return server + name


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return "sqlite:///data/subscribers.db"
    return new_postgres_database(request.getfixturevalue("postgres_server"))


# -- the site and the running service --------------------------------------------------------------

CONFIG = """title = "Test Status"
base_url = "https://status.test.example/"
timezone = "UTC"

[[components]]
id = "api"
name = "API"

[[components]]
id = "web"
name = "Website"
group = "Public"

[subscriptions]
url = "http://127.0.0.1:{port}/"
database = "{database}"
{extra}
[notify.smtp]
host = "127.0.0.1"
port = {smtp_port}
starttls = false
sender = "Test Status <status@test.example>"
"""

START = float(int(time.time()))  # the real time: the commands run with the real clock


@dataclass
class Clock:
    now: float = START

    def __call__(self) -> float:
        return self.now


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Running:
    site: Path
    url: str
    mailbox: Mailbox
    clock: Clock
    service: Service

    def request(
        self, method: str, path: str, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Answer:
        target = path if path.startswith("http") else self.url + path.lstrip("/")
        request = urllib.request.Request(target, data=data, method=method, headers=headers or {})
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=30) as answer:
                return Answer(answer.status, dict(answer.headers.items()), answer.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            with exc:
                return Answer(exc.code, dict(exc.headers.items()), exc.read().decode("utf-8"))

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, fields: dict[str, Any] | list[tuple[str, str]], **headers: str) -> Answer:
        body = urlencode(fields, doseq=True).encode("utf-8")
        kinds = {"Content-Type": "application/x-www-form-urlencoded", **headers}
        return self.request("POST", path, body, kinds)

    def sign_up(self, address: str, **fields: Any) -> Answer:
        return self.post("subscribe", {"email": address, "language": "en", "components": ["api", "web"], **fields})


def links(message: EmailMessage) -> list[str]:
    body = message.get_body(("plain",))
    assert body is not None
    return re.findall(r"https?://\S+", body.get_content())


def link(message: EmailMessage, route: str) -> str:
    return next(found for found in links(message) if f"/{route}?" in found)


def start_service(
    tmp_path: Path, smtp_port: int, mailbox: Mailbox, database: str, extra: str = ""
) -> Iterator[Running]:
    site = tmp_path / "status"
    site.mkdir(exist_ok=True)
    port = free_port()
    (site / "inloop.toml").write_text(
        CONFIG.replace("{port}", str(port))
        .replace("{database}", database)
        .replace("{smtp_port}", str(smtp_port))
        .replace("{extra}", extra),
        "utf-8",
    )
    clock = Clock()
    service = Service(site, clock=clock, environ={})
    server = make(service, "127.0.0.1", port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Running(site, f"http://127.0.0.1:{port}/", mailbox, clock, service)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def running(tmp_path: Path, smtp_server: tuple[int, Mailbox]) -> Iterator[Running]:
    """The service on SQLite."""
    yield from start_service(tmp_path, smtp_server[0], smtp_server[1], "sqlite:///data/subscribers.db")


@pytest.fixture
def running_any(tmp_path: Path, smtp_server: tuple[int, Mailbox], database_url: str) -> Iterator[Running]:
    """The service on each database in turn."""
    yield from start_service(tmp_path, smtp_server[0], smtp_server[1], database_url)
