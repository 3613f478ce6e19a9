"""The watcher following the clock rebuilds the uptime figures when a day passes, as it does the bars."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from uptime_support import CONFIG

from .support import NOW, WatchSession, assert_same_site

OUTAGE = """\
---
title: API down
impact: major
components:
  api: major_outage
---

## 2026-11-25 10:00 UTC — Investigating
Down.

## 2026-11-25 10:30 UTC — Resolved
Up.
"""


def test_a_new_day_moves_the_bars_and_the_uptime_files(
    tmp_path: Path, make_site: Callable[..., Path], make_watch: Callable[..., WatchSession]
) -> None:
    source = make_site(tmp_path / "site", config=CONFIG, incidents={"2026-11-25-api": OUTAGE})
    clock = [NOW]
    session = make_watch(source, now=lambda: clock[0], follow_clock=True)
    assert session.start().ok
    before = json.loads((session.output / "uptime.json").read_text("utf-8"))
    boundary = session.builder.next_boundary
    # midnight in Berlin: nothing else in this site changes by itself
    assert boundary == datetime.fromisoformat("2026-11-26T23:00:00+00:00")
    clock[0] = boundary
    outcome = session.next()
    assert outcome.ok and outcome.report is not None
    assert {"uptime.json", "index.html", "uptime/index.html"} <= set(outcome.report.written)
    after = json.loads((session.output / "uptime.json").read_text("utf-8"))
    assert before["components"][0]["days"][-1]["date"] == "2026-11-26"
    assert after["components"][0]["days"][-1] == {"date": "2026-11-27", "downtime_minutes": 0.0, "incidents": []}
    assert after["components"][0]["days"][-2] == before["components"][0]["days"][-1]
    assert_same_site(session.output, source, now=boundary.isoformat())
