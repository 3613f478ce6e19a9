"""Sites for the subscribe tests: a small made-up one that has everything, and how to build it.

The made-up site ("Beta Status", in America/New_York so that offsets are
negative) holds at NOW an unresolved critical incident, a resolved one with a
kept promise, a maintenance window in progress without updates, an upcoming
one, and a cancelled one.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from click.testing import CliRunner

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:  # schema_validation lives in tests/
    sys.path.insert(0, str(TESTS))

NOW = "2026-11-26 12:00 UTC"
BASE = "https://status.beta.example/sub/"

CONFIG = """\
title = "Beta Status"
base_url = "https://status.beta.example/sub/"
timezone = "America/New_York"
description = "Live status of Beta's services"
feed_items = {feed_items}

[[components]]
id = "api"
name = "Public API"
group = "Platform"

[[components]]
id = "dashboard"
name = "Dashboard"
group = "Platform"
description = "The web app"

[[components]]
id = "email"
name = "Email <delivery> & more"
group = "Communication"

[[components]]
id = "docs"
name = "Documentation"
"""

OPEN_CRITICAL = """\
---
title: Database cluster down
impact: critical
components:
  api: major_outage
  dashboard: partial_outage
cause: The primary database ran out of disk space.
estimate: 2026-11-26 13:30 UTC
next_update: 2026-11-26 12:30 UTC
prevention:
  - Alert at 80% disk use.
  - step: Double the disk of every database server.
    id: bigger-disks
    done: 2026-12-10
---
## 2026-11-26 11:00 UTC — Investigating
The API and the dashboard **fail** for everyone.

## 2026-11-26 11:20 UTC — Update
Still looking; the dashboard is partly usable.

## 2026-11-26 11:40 UTC — Identified
The database is out of disk space. We are adding disk.
"""

RESOLVED = """\
---
title: Elevated error rates on the API
impact: major
components:
  api: partial_outage
cause: A load balancer change took half of the API servers out of rotation.
estimate: 2026-11-20 15:30 UTC
prevention:
  - Load balancer changes now need a second reviewer.
  - step: Alert when fewer than 80% of API servers are *healthy*.
    done: 2026-11-21
postmortem: https://example.com/blog/api-errors
---
## 2026-11-20 14:02 UTC — Investigating
We are seeing elevated error rates on the API.

## 2026-11-20 14:40 UTC — Monitoring
A fix is out; we are watching.

## 2026-11-20 15:12 UTC — Resolved
Error rates are back to normal.
"""

ACTIVE_NO_UPDATES = """\
---
title: Moving email sending
components: [email]
start: 2026-11-26 11:30 UTC
end: 2026-11-26 13:00 UTC
description: Email may arrive up to 5 minutes late.
---
"""

UPCOMING = """\
---
title: Dashboard upgrade
components: [dashboard]
start: 2026-12-02 06:00 UTC
end: 2026-12-02 07:00 UTC
description: The dashboard will be read-only for a few minutes.
---
## 2026-11-25 09:00 UTC — Scheduled
We will upgrade the dashboard on 2 December.
"""

CANCELLED = """\
---
title: API gateway swap
components: [api]
start: 2026-12-05 06:00 UTC
end: 2026-12-05 08:00 UTC
description: The API may drop some connections.
cancelled: true
---
## 2026-11-24 09:00 UTC — Scheduled
We will swap the API gateway on 5 December.

## 2026-11-25 16:00 UTC — Update
This maintenance is cancelled: the new gateway is not ready.
"""

MADEUP_INCIDENTS = {"2026-11-26-database-down": OPEN_CRITICAL, "2026-11-20-api-errors": RESOLVED}
MADEUP_MAINTENANCE = {
    "2026-11-26-email-move": ACTIVE_NO_UPDATES,
    "2026-12-02-dashboard-upgrade": UPCOMING,
    "2026-12-05-gateway-swap": CANCELLED,
}


def write_site(
    root: Path,
    incidents: Mapping[str, str],
    maintenance: Mapping[str, str],
    *,
    config: str | None = None,
    feed_items: int = 50,
) -> Path:
    """A site's source in ``root``; ``incidents`` and ``maintenance`` map ids to file text."""
    (root / "content" / "incidents").mkdir(parents=True, exist_ok=True)
    (root / "content" / "maintenance").mkdir(parents=True, exist_ok=True)
    (root / "inloop.toml").write_text(config or CONFIG.format(feed_items=feed_items), encoding="utf-8")
    for folder, items in (("incidents", incidents), ("maintenance", maintenance)):
        for old in (root / "content" / folder).glob("*.md"):
            if old.stem not in items:
                old.unlink()
        for name, text in items.items():
            (root / "content" / folder / f"{name}.md").write_text(text, encoding="utf-8")
    return root


def run_build(source: Path, output: Path, now: str = NOW, *extra: str) -> Path:
    from inloop.cli.main import main

    result = CliRunner().invoke(
        main,
        ["build", "--source", str(source), "--output", str(output), "--now", now, *extra],
        env={"SOURCE_DATE_EPOCH": None},
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"build raised {result.exception!r}") from result.exception
    assert result.exit_code == 0, result.output + (result.stderr or "")
    return output


class Site:
    """A built site: read its files by their path inside the site."""

    def __init__(self, root: Path, base_url: str) -> None:
        self.root = root
        self.base_url = base_url

    def path(self, name: str) -> Path:
        return self.root / name

    def bytes(self, name: str) -> bytes:
        return (self.root / name).read_bytes()

    def text(self, name: str) -> str:
        return (self.root / name).read_text(encoding="utf-8")

    def json(self, name: str) -> Any:
        return json.loads(self.text(name))

    def files(self, pattern: str) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.glob(pattern) if p.is_file())
