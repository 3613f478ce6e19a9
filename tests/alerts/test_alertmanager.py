"""End to end: a real Prometheus Alertmanager sends its webhooks to a real ``inloop receive``.

Alertmanager is Debian's ``prometheus-alertmanager``.  Without it the tests
are skipped, except in CI (``CI`` set), where its absence is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alert_support import TOKEN, statuses

pytestmark = pytest.mark.server  # runs prometheus-alertmanager and inloop receive

ALERTMANAGER = shutil.which("prometheus-alertmanager") or (
    "/usr/bin/prometheus-alertmanager" if Path("/usr/bin/prometheus-alertmanager").exists() else None
)
if ALERTMANAGER is None and not os.environ.get("CI"):
    pytest.skip(
        "prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager); "
        "in CI (CI set) these tests fail instead",
        allow_module_level=True,
    )

#: The Alertmanager configuration the docs show, with the receiver's port and token filled in.
CONFIG = """\
route:
  receiver: inloop
  group_by: [team]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: inloop
    webhook_configs:
      - url: http://127.0.0.1:{port}/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Process:
    """A child process whose stderr lines are collected as they come."""

    def __init__(self, command: list[str], env: dict[str, str] | None = None) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, predicate: Callable[[], bool], seconds: float, what: str) -> float:
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            if predicate():
                return time.monotonic() - started
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{what} did not happen within {seconds} s; log:\n" + "\n".join(self.lines[-40:]))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._reader.join(timeout=5)
        if self.process.stderr is not None:
            self.process.stderr.close()


@pytest.fixture
def processes() -> Iterator[Callable[..., Process]]:
    started: list[Process] = []

    def start(command: list[str], env: dict[str, str] | None = None) -> Process:
        process = Process(command, env)
        started.append(process)
        return process

    yield start
    for process in reversed(started):
        process.stop()


def start_receiver(start: Callable[..., Process], site: Path, port: int) -> Process:
    env = {**os.environ, "INLOOP_TEST_ALERTS_TOKEN": TOKEN}
    env.pop("SOURCE_DATE_EPOCH", None)
    command = [sys.executable, "-c", "import sys; from inloop.cli.main import main; sys.exit(main())"]
    receiver = start([*command, "receive", "--source", str(site), "--port", str(port)], env)
    receiver.wait_for(lambda: any(" built " in line for line in receiver.lines), 30, "the receiver's first build")
    return receiver


def start_alertmanager(start: Callable[..., Process], folder: Path, receiver_port: int, token: str) -> str:
    assert ALERTMANAGER is not None, "prometheus-alertmanager is not installed, and CI is set"
    folder.mkdir()
    config = folder / "alertmanager.yml"
    config.write_text(CONFIG.format(port=receiver_port, token=json.dumps(token)), "utf-8")
    port = free_port()
    manager = start(
        [
            ALERTMANAGER,
            f"--config.file={config}",
            f"--storage.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ]
    )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            with urllib.request.urlopen(url + "/-/ready", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    manager.wait_for(ready, 30, "Alertmanager's start")
    return url


def post_alerts(url: str, alerts: list[dict[str, Any]]) -> None:
    request = urllib.request.Request(
        url + "/api/v2/alerts", data=json.dumps(alerts).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def alert(service: str, summary: str, ends: datetime | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "labels": {"alertname": f"{service.title()}Down", "service": service, "severity": "critical", "team": "web"},
        "annotations": {"summary": summary},
        "generatorURL": "http://prometheus.example.com/graph",
    }
    if ends is not None:
        body["startsAt"] = (ends - timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
        body["endsAt"] = ends.isoformat().replace("+00:00", "Z")
    return body


def test_alertmanager_alerts_open_update_and_clear_an_incident(
    alert_site: Path, tmp_path: Path, processes: Callable[..., Process]
) -> None:
    port = free_port()
    receiver = start_receiver(processes, alert_site, port)
    manager = start_alertmanager(processes, tmp_path / "am", port, TOKEN)
    incidents = alert_site / "content" / "incidents"

    def pages() -> list[Path]:
        return [alert_site / "site" / "incidents" / p.stem / "index.html" for p in incidents.glob("*.md")]

    sent = time.monotonic()
    post_alerts(manager, [alert("api", "API answers 503 <b>everywhere</b>")])
    receiver.wait_for(lambda: any(p.exists() for p in pages()), 10, "the incident's page")
    took = time.monotonic() - sent
    assert took < 5, f"the page took {took:.1f} s"
    [path] = list(incidents.glob("*.md"))
    text = path.read_text("utf-8")
    assert "components:\n  api: major_outage\n" in text
    assert "API answers 503 &lt;b&gt;everywhere&lt;/b&gt;" in text
    page = pages()[0].read_text("utf-8")
    assert "<b>everywhere</b>" not in page

    post_alerts(manager, [alert("api", "API answers 503 <b>everywhere</b>"), alert("dashboard", "Dashboard is down")])
    raised = "\u2014 Update\nComponents: dashboard \u2192 degraded_performance\n\n"
    receiver.wait_for(lambda: raised in path.read_text("utf-8"), 10, "the second alert")
    assert list(incidents.glob("*.md")) == [path]  # the same incident
    assert raised + "Our monitoring also reports: \u201cDashboard is down\u201d." in path.read_text("utf-8")
    assert statuses(alert_site, path) == {"api": "major_outage", "dashboard": "degraded_performance"}

    past = datetime.now(UTC) - timedelta(seconds=5)
    post_alerts(manager, [alert("api", "API answers 503", past), alert("dashboard", "Dashboard is down", past)])
    receiver.wait_for(lambda: "\u2014 Monitoring" in path.read_text("utf-8"), 10, "the Monitoring update")
    text = path.read_text("utf-8")
    assert "\u2014 Monitoring\nComponents: api \u2192 operational, dashboard \u2192 operational\n\n" in text
    assert statuses(alert_site, path) == {"api": "operational", "dashboard": "operational"}
    assert "Resolved" not in text
    cleared = "The alert has cleared and Public API and Dashboard should work normally again."
    assert cleared in text
    receiver.wait_for(lambda: cleared in "".join(p.read_text("utf-8") for p in pages()), 10, "the page")


def test_alertmanager_with_the_wrong_token_gets_401_and_nothing_is_written(
    alert_site: Path, tmp_path: Path, processes: Callable[..., Process]
) -> None:
    port = free_port()
    receiver = start_receiver(processes, alert_site, port)
    manager = start_alertmanager(processes, tmp_path / "am", port, "not-the-token")
    post_alerts(manager, [alert("api", "API answers 503")])
    receiver.wait_for(lambda: any('"POST /alertmanager HTTP/1.1" 401' in line for line in receiver.lines), 10, "a 401")
    assert list((alert_site / "content" / "incidents").glob("*.md")) == []
    assert not (alert_site / ".inloop-cache" / "alerts-state.json").exists()
