"""A site with [alerts] rules, and a real receiver on 127.0.0.1 with a clock the test moves."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alert_support import SITE_CONFIG, SLOW, TOKEN, Clock, Running


@pytest.fixture
def alert_site(tmp_path: Path, make_site: Callable[..., Path]) -> Path:
    return make_site(tmp_path / "status", config=SITE_CONFIG, templates={"incidents/slow.md": SLOW})


@pytest.fixture
def start_receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Running]]:
    """``start_receiver(source, commit=False)``: serve on a free port until the test ends."""
    from inloop.alerts.receiver import Receiver
    from inloop.alerts.server import FollowUp, ReceiverServer
    from inloop.alerts.settings import read_alert_settings
    from inloop.authoring.site import load_site

    stops: list[Callable[[], None]] = []

    def start(source: Path, commit: bool = False) -> Running:
        settings = read_alert_settings(source, str(source), load_site(source, str(source)))
        clock = Clock()
        log: list[str] = []
        running = Running(source, "", clock, log)
        follow_up = FollowUp(lambda: running.follow_ups.append(clock()), log.append)
        running.follow_up = follow_up
        receiver = Receiver(source, str(source), settings, clock, log.append, commit=commit)
        server = ReceiverServer(("127.0.0.1", 0), receiver, TOKEN, follow_up, log.append)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        running.url = f"http://127.0.0.1:{server.server_address[1]}"

        def stop() -> None:
            server.shutdown()
            server.server_close()
            follow_up.stop()
            thread.join(timeout=10)

        stops.append(stop)
        return running

    yield start
    for stop in stops:
        stop()
