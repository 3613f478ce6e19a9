"""Texts and types shared by the check tests (a module of its own: every test folder's
``conftest`` is imported under the same name, so tests must not import from it)."""

from __future__ import annotations

from dataclasses import dataclass

#: The build time of every check test.
NOW = "2026-11-26 12:00 UTC"

SITE_CONFIG = """\
title = "Test Status"
base_url = "https://status.test.example/"
timezone = "UTC"

[[components]]
id = "api"
name = "Public API"

[[components]]
id = "dashboard"
name = "Dashboard"

[[components]]
id = "imported"
name = "Imported"
"""

#: An open incident that does everything right at NOW.
GOOD_OPEN = """\
---
title: Elevated error rates on the API
impact: major
components:
  api: partial_outage
cause: >
  A load balancer configuration change took half of the API servers
  out of rotation.
estimate: 2026-11-26 13:30 UTC
next_update: 2026-11-26 12:30 UTC
---
## 2026-11-26 11:10 UTC — Investigating
We are seeing elevated error rates on the API and are looking into it.

## 2026-11-26 11:40 UTC — Identified
A load balancer change took half of the API servers out of rotation. We are
putting them back, one group at a time.
"""

#: A resolved incident that does everything right at NOW.
GOOD_RESOLVED = """\
---
title: Dashboard slow to load
impact: minor
components:
  - dashboard
cause: A database upgrade left the dashboard's main query without its index.
estimate: 2026-11-20 15:30 UTC
prevention:
  - step: Upgrades now rebuild every index before traffic returns.
    done: 2026-11-21
  - Release checks flag a query that cannot use an index.
---
## 2026-11-20 14:02 UTC — Investigating
The dashboard takes up to a minute to load. We are looking into it.

## 2026-11-20 14:40 UTC — Identified
A database upgrade left a query without its index; we are rebuilding it.

## 2026-11-20 15:12 UTC — Resolved
The index is rebuilt and the dashboard loads normally again.
"""


@dataclass(frozen=True)
class Checked:
    exit_code: int
    lines: list[str]  # stdout
    errors: list[str]  # stderr
