"""SIGKILL in the middle of 10,000 database subscribers, then a rerun: everyone has the update at least once,
and every duplicate carries the delivery id of the first copy."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from notify_support import NOW, add_many, configure_notify, run_notify, write_incident
from subs_fixtures import CONFIG, free_port

from inloop.subscriptions.db import Database

# about 12 s on the shared 2-core machine: some 10,300 messages through aiosmtpd in this process, two notify runs
pytestmark = [pytest.mark.server, pytest.mark.slow]

SUBSCRIBERS = 10_000
DELIVERY = re.compile(rb"\r\nInloop-Delivery: ([0-9a-f]{32})\r\n")
COMMAND = [sys.executable, "-c", "import sys; from inloop.cli.main import main; sys.exit(main())"]


@dataclass
class Sink:
    """Counts what arrives: recipient -> the delivery id of each copy."""

    copies: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        found = DELIVERY.search(envelope.content)
        with self.lock:
            for address in envelope.rcpt_tos:
                self.copies[address].append(found[1].decode() if found else "")
            self.count += 1
        return "250 OK"


@pytest.fixture
def sink() -> Iterator[tuple[int, Sink]]:
    handler, port = Sink(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


def test_sigkill_mid_run_then_rerun_delivers_everyone_with_stable_delivery_ids(
    tmp_path: Path, sink: tuple[int, Sink]
) -> None:
    port, handler = sink
    site = tmp_path / "status"
    site.mkdir()
    (site / "inloop.toml").write_text(
        CONFIG.replace("{port}", "8025")
        .replace("{database}", "sqlite:///data/subscribers.db")
        .replace("{smtp_port}", str(port))
        .replace("{extra}", ""),
        "utf-8",
    )
    add_many(Database("sqlite:///data/subscribers.db", site), SUBSCRIBERS)
    configure_notify(site, "sqlite:///data/subscribers.db")
    assert run_notify(site)[0] == 0  # the first run: the starting point
    write_incident(site, "api-errors", "api", [("2026-11-26 10:00 UTC", "Investigating", "Errors.")])

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    first = subprocess.Popen(
        [*COMMAND, "notify", "--source", str(site), "--now", NOW],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while handler.count < SUBSCRIBERS // 3 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert first.poll() is None, "notify ended before it could be killed"
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    assert first.stderr is not None
    first.stderr.close()
    arrived_before = handler.count
    assert 0 < arrived_before < SUBSCRIBERS

    again = subprocess.run(
        [*COMMAND, "notify", "--source", str(site), "--now", NOW],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stdout + again.stderr  # the dead run's lock is taken over at once
    time.sleep(0.2)  # the sink's last DATA
    copies = handler.copies
    assert len(copies) == SUBSCRIBERS  # everyone, at least once
    assert all(len(set(ids)) == 1 and ids[0] for ids in copies.values())  # duplicates carry the same id
    duplicates = sum(len(ids) - 1 for ids in copies.values())
    # at most what was acknowledged but not yet written to the journal: a batch, the queue, the messages in flight
    assert duplicates <= 1000, duplicates
    # and a third run sends nothing
    assert run_notify(site)[1].strip() == "nothing new to send"
