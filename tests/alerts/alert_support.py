"""What the receiver tests share: the site's settings, a clock the test moves, a client."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from inloop.alerts.server import FollowUp
from inloop.authoring.site import load_site, parse_item
from inloop.model import Incident

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "alerts"
TOKEN = "s3cret-token-for-tests"

SITE_CONFIG = """\
title = "Alerts Status"
base_url = "https://status.alerts.example/"
timezone = "UTC"

[[components]]
id = "api"
name = "Public API"

[[components]]
id = "dashboard"
name = "Dashboard"

[[components]]
id = "email"
name = "Email delivery"

[alerts]
token_env = "INLOOP_TEST_ALERTS_TOKEN"
flap_seconds = 300

[[alerts.rules]]
match = { service = "api", severity = "critical" }
components = { api = "major_outage" }
impact = "major"

[[alerts.rules]]
match = { service = "dashboard" }
components = { dashboard = "degraded_performance" }
impact = "minor"
template = "slow"

[[alerts.rules]]
match = { service = "email", severity = "~page|critical" }
components = { email = "partial_outage" }
auto_resolve = true
"""

SLOW = """\
---
title: ${components} is slow
components:
  dashboard: degraded_performance
---

## ${time} — Investigating
${components} responds slowly: ${summary}.

## ${time} — Monitoring
${components} is fast again; we keep watching it.
"""


@dataclass
class Clock:
    now: datetime = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Running:
    """A receiver serving on 127.0.0.1, and what it did."""

    source: Path
    url: str
    clock: Clock
    log: list[str]
    follow_ups: list[datetime] = field(default_factory=list)
    follow_up: FollowUp | None = None

    def followed_up(self, runs: int = 1, timeout: float = 10) -> list[datetime]:
        """The clock's time at each follow-up run, once ``runs`` of them have finished."""
        assert self.follow_up is not None
        assert self.follow_up.wait_for_runs(runs, timeout), f"{runs} follow-up run(s) did not finish in {timeout} s"
        return self.follow_ups

    def send(
        self, path: str, body: bytes | str | dict[str, Any], token: str | None = TOKEN, method: str = "POST"
    ) -> tuple[int, dict[str, Any]]:
        data = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else {}

    def fixture(self, name: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text("utf-8"))
        return loaded

    def incidents(self) -> list[Path]:
        return sorted((self.source / "content" / "incidents").glob("*.md"))


def statuses(source: Path, path: Path) -> dict[str, str]:
    """The incident's component statuses after its latest update, as the site reads the file."""
    config = load_site(source, str(source))
    item, problems = parse_item("incident", path.read_bytes(), path.stem, path.as_posix(), config)
    assert isinstance(item, Incident) and not problems, problems
    return {cid: str(status) for cid, status in item.latest_components}
