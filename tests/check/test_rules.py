"""Each rule fires on a real-looking incident, with its exact line and message, and not on a good one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from check_texts import GOOD_OPEN, GOOD_RESOLVED, Checked

from inloop.check.rules import RULES, check_registry
from inloop.check.settings import CODES

Site = Callable[..., Path]
Lint = Callable[..., Checked]

OPEN = "content/incidents/2026-11-26-api-errors.md"
RESOLVED = "content/incidents/2026-11-20-dashboard-slow.md"


def test_every_code_has_a_rule_and_an_explanation() -> None:
    check_registry()
    assert tuple(RULES) == CODES
    for rule in RULES.values():
        assert rule.explanation and rule.summary


def test_good_incidents_give_no_warning(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-26-api-errors": GOOD_OPEN, "2026-11-20-dashboard-slow": GOOD_RESOLVED})
    result = lint()
    assert (result.exit_code, result.lines) == (0, [])
    assert result.errors == ["checked 2 incidents and 0 maintenance windows: no problems"]


# -- unresolved: cause, estimate, promises, silence -------------------------------

IDENTIFIED_NO_CAUSE = """\
---
title: Elevated error rates on the API
impact: major
components:
  api: partial_outage
estimate: 2026-11-26 13:30 UTC
next_update: 2026-11-26 12:30 UTC
---
## 2026-11-26 11:10 UTC — Investigating
We are seeing elevated error rates on the API and are looking into it.

## 2026-11-26 11:40 UTC — Identified
We have found the cause and are fixing it.
"""


def test_no_cause_fires_past_identified(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-26-api-errors": IDENTIFIED_NO_CAUSE})
    result = lint()
    assert result.exit_code == 1
    assert result.lines == [
        f"{OPEN}:1: no-cause no cause while the incident is Identified: say in 'cause:' what is wrong"
    ]


def test_no_cause_waits_while_investigating(site: Site, lint: Lint) -> None:
    investigating = IDENTIFIED_NO_CAUSE.split("## 2026-11-26 11:40")[0]
    site(incidents={"2026-11-26-api-errors": investigating})
    assert lint().lines == []


MONITORING_NO_ESTIMATE = """\
---
title: Elevated error rates on the API
impact: major
components:
  api: partial_outage
cause: A load balancer change took half of the API servers out of rotation.
next_update: 2026-11-26 12:30 UTC
---
## 2026-11-26 11:10 UTC — Investigating
We are seeing elevated error rates on the API and are looking into it.

## 2026-11-26 11:40 UTC — Monitoring
All servers are back in rotation; we are watching error rates.
"""


def test_no_estimate_fires_when_monitoring(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-26-api-errors": MONITORING_NO_ESTIMATE})
    assert lint().lines == [
        f"{OPEN}:1: no-estimate no estimate while the incident is Monitoring: "
        "say in 'estimate:' when you expect service to be restored"
    ]


def test_no_estimate_points_at_an_empty_key(site: Site, lint: Lint) -> None:
    text = MONITORING_NO_ESTIMATE.replace("next_update:", "estimate:\nnext_update:")
    site(incidents={"2026-11-26-api-errors": text})
    assert [line.split(" no estimate")[0] for line in lint().lines] == [f"{OPEN}:7: no-estimate"]


def test_estimate_passed(site: Site, lint: Lint) -> None:
    text = GOOD_OPEN.replace("estimate: 2026-11-26 13:30 UTC", "estimate: 2026-11-26 11:30 UTC")
    text = text.replace("## 2026-11-26 11:40 UTC", "## 2026-11-26 11:20 UTC")
    site(incidents={"2026-11-26-api-errors": text})
    assert lint().lines == [
        f"{OPEN}:9: estimate-passed the restoration estimate of 11:30 UTC has passed: post a new estimate"
    ]


def test_estimate_passed_is_kept_by_a_later_update(site: Site, lint: Lint) -> None:
    text = GOOD_OPEN.replace("estimate: 2026-11-26 13:30 UTC", "estimate: 2026-11-26 11:30 UTC")
    site(incidents={"2026-11-26-api-errors": text})  # the 11:40 update came after the estimate
    assert lint().lines == []


def test_estimate_passed_on_another_day_shows_the_date(site: Site, lint: Lint) -> None:
    text = GOOD_OPEN.replace("estimate: 2026-11-26 13:30 UTC", "estimate: 2026-11-25 23:30 UTC")
    text = text.replace("2026-11-26 11:10 UTC", "2026-11-25 23:10 UTC").replace("11:40 UTC —", "11:40 UTC —")
    text = text.replace("## 2026-11-26 11:40 UTC — Identified", "## 2026-11-25 23:20 UTC — Identified")
    site(incidents={"2026-11-26-api-errors": text})
    lines = [line for line in lint().lines if "estimate-passed" in line]
    assert lines == [
        f"{OPEN}:9: estimate-passed the restoration estimate of 2026-11-25 23:30 UTC has passed: post a new estimate"
    ]


def test_next_update_passed(site: Site, lint: Lint) -> None:
    text = GOOD_OPEN.replace("next_update: 2026-11-26 12:30 UTC", "next_update: 2026-11-26 11:55 UTC")
    site(incidents={"2026-11-26-api-errors": text})
    assert lint().lines == [
        f"{OPEN}:10: next-update-passed the next update was promised for 11:55 UTC and has not been posted: "
        "post an update now, with a new 'next_update:'"
    ]


def test_next_update_is_kept_by_any_later_update(site: Site, lint: Lint) -> None:
    text = GOOD_OPEN.replace("next_update: 2026-11-26 12:30 UTC", "next_update: 2026-11-26 11:30 UTC")
    site(incidents={"2026-11-26-api-errors": text})  # 11:40 is after 11:30, late but kept
    assert lint().lines == []


def test_silence(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-26-api-errors": GOOD_OPEN})
    result = lint(now="2026-11-26 12:50 UTC")
    assert result.lines == [
        f"{OPEN}:10: next-update-passed the next update was promised for 12:30 UTC and has not been posted: "
        "post an update now, with a new 'next_update:'",
        f"{OPEN}:15: silence no update for 70 minutes while unresolved (the limit is 60 minutes): "
        "post an update, even without news",
    ]


def test_silence_limit_is_configurable(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-26-api-errors": GOOD_OPEN}, config_extra="\n[check]\nmax_silence_minutes = 90\n")
    assert lint("--now", "2026-11-26 12:50 UTC", now="2026-11-26 12:50 UTC").lines == [
        f"{OPEN}:10: next-update-passed the next update was promised for 12:30 UTC and has not been posted: "
        "post an update now, with a new 'next_update:'"
    ]


def test_silence_after_hours_uses_hours_and_days(site: Site, lint: Lint) -> None:
    text = GOOD_OPEN.replace("next_update: 2026-11-26 12:30 UTC\n", "")
    site(incidents={"2026-11-26-api-errors": text})
    lines = lint(now="2026-11-28 14:45 UTC").lines
    assert f"{OPEN}:14: silence no update for 2 days 3 hours while unresolved" in lines[-1]


# -- resolved: prevention ----------------------------------------------------------------


def test_no_prevention(site: Site, lint: Lint) -> None:
    text = GOOD_RESOLVED.replace(
        "prevention:\n  - step: Upgrades now rebuild every index before traffic returns.\n    done: 2026-11-21\n"
        "  - Release checks flag a query that cannot use an index.\n",
        "",
    )
    site(incidents={"2026-11-20-dashboard-slow": text})
    assert lint().lines == [
        f"{RESOLVED}:1: no-prevention resolved with no prevention step: "
        "say under 'prevention:' what will stop this happening again"
    ]


def test_prevention_overdue(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-20-dashboard-slow": GOOD_RESOLVED})
    assert lint(now="2026-12-21 12:00 UTC").lines == [
        f"{RESOLVED}:11: prevention-overdue prevention step not done 30 days after the incident was resolved "
        "(the limit is 30 days): add 'done:' with the date it was done"
    ]


def test_prevention_overdue_waits_for_the_configured_days(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-20-dashboard-slow": GOOD_RESOLVED}, config_extra="\n[check]\nprevention_days = 45\n")
    assert lint(now="2026-12-21 12:00 UTC").lines == []
    assert lint(now="2027-01-05 12:00 UTC").lines == [
        f"{RESOLVED}:11: prevention-overdue prevention step not done 45 days after the incident was resolved "
        "(the limit is 45 days): add 'done:' with the date it was done"
    ]


def test_a_note_after_resolution_does_not_move_the_resolution(site: Site, lint: Lint) -> None:
    """An ``Update`` posted after ``Resolved`` keeps the status; prevention is counted from ``Resolved``."""
    text = GOOD_RESOLVED + "\n## 2026-12-15 10:00 UTC — Update\nThe postmortem is published.\n"
    site(incidents={"2026-11-20-dashboard-slow": text})
    assert [line.split(" prevention step")[0] for line in lint(now="2026-12-21 12:00 UTC").lines] == [
        f"{RESOLVED}:11: prevention-overdue"
    ]


# -- how it is said ------------------------------------------------------------------------

BLAME = """\
---
title: Webhooks delayed
impact: minor
components:
  - api
cause: >
  Webhooks were held in their queue for up to 40 minutes. This was
  caused by an outage at our cloud
  provider, which took one of our queue servers offline.
estimate: 2026-11-26 13:00 UTC
next_update: 2026-11-26 12:30 UTC
---
## 2026-11-26 11:10 UTC — Investigating
Webhooks are being delivered late. We are looking into it.

## 2026-11-26 11:40 UTC — Identified
The delay is due to AWS's networking problems in one region, which is not our fault.
We are moving the queue to another region.
"""


def test_finger_pointing_points_at_the_line_of_each_phrase(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-26-api-errors": BLAME})
    assert lint().lines == [
        f"{OPEN}:8: finger-pointing 'our cloud provider' blames someone else: say what you are doing about it instead",
        f"{OPEN}:17: finger-pointing 'due to AWS's' blames someone else: say what you are doing about it instead",
    ]


def test_finger_pointing_in_a_prevention_step_and_the_summary(site: Site, lint: Lint) -> None:
    text = GOOD_RESOLVED.replace(
        "  - Release checks flag a query that cannot use an index.",
        "  - We asked our hosting provider to\n    warn us before upgrades.",
    ).replace("---\n## 2026-11-20 14:02", "---\nA third-party library was slow.\n\n## 2026-11-20 14:02")
    site(incidents={"2026-11-20-dashboard-slow": text})
    assert [line.split(" blames")[0] for line in lint().lines] == [
        f"{RESOLVED}:11: finger-pointing 'our hosting provider'",
        f"{RESOLVED}:14: finger-pointing 'third-party'",
    ]


SALES = """\
---
title: Slow exports
impact: minor
components:
  - dashboard
cause: A database upgrade made the export query slow.
estimate: 2026-11-26 13:00 UTC
next_update: 2026-11-26 12:30 UTC
---
## 2026-11-26 11:10 UTC — Investigating
Exports take several minutes. We are looking into it.

## 2026-11-26 11:40 UTC — Identified
The database upgrade we made this morning slowed down exports; we are undoing it.
Customers on the Premium Plan were not affected: check out our
plans page to upgrade your plan.
"""


def test_sales_pitch(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-26-api-errors": SALES})
    assert lint().lines == [
        f"{OPEN}:15: sales-pitch 'Premium Plan' is a sales pitch: leave it out of incident updates",
        f"{OPEN}:16: sales-pitch 'upgrade your plan' is a sales pitch: leave it out of incident updates",
    ]


def test_sales_pitch_needs_phrases_not_words(site: Site, lint: Lint) -> None:
    text = SALES.split("Customers on the")[0] + "We will upgrade to PostgreSQL 17 next week, with a plan to test it.\n"
    site(incidents={"2026-11-26-api-errors": text})
    assert lint().lines == []


def test_sales_pitch_in_maintenance(site: Site, lint: Lint) -> None:
    window = """\
---
title: Database upgrade
components: [api]
start: 2026-12-03 02:00 UTC
end: 2026-12-03 03:00 UTC
---
## 2026-11-24 14:00 UTC — Scheduled
The API will be read-only for up to an hour. Use the code SORRY10 for a 10% discount.
"""
    site(maintenance={"2026-12-03-database-upgrade": window})
    assert lint().lines == [
        "content/maintenance/2026-12-03-database-upgrade.md:8: sales-pitch 'discount' is a sales pitch: "
        "leave it out of incident updates"
    ]


NEW_WITH_TODO = """\
---
title: Search failing
impact: minor
components:
  api: partial_outage
# cause: TODO what is wrong?
# estimate: TODO when will it be fixed?
---

## 2026-11-26 11:40 UTC — Investigating
TODO
"""


def test_todo_from_inloop_new_but_not_in_commented_prompts(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-26-api-errors": NEW_WITH_TODO})
    assert lint().lines == [f"{OPEN}:11: todo 'TODO' left in the text: write what customers need to know"]


def test_empty_update(site: Site, lint: Lint) -> None:
    text = GOOD_OPEN.replace(
        "A load balancer change took half of the API servers out of rotation. We are\n"
        "putting them back, one group at a time.\n",
        "<!-- to do -->\n",
    )
    site(incidents={"2026-11-26-api-errors": text})
    assert lint().lines == [f"{OPEN}:15: empty-update empty update: say what changed and when the next update comes"]


STILL = """\
---
title: Elevated error rates on the API
impact: major
components:
  api: partial_outage
next_update: 2026-11-26 12:30 UTC
---
## 2026-11-26 10:20 UTC — Investigating
We are investigating.

## 2026-11-26 10:50 UTC — Update
we are investigating this issue

## 2026-11-26 11:30 UTC — Update
  We are investigating this issue.
"""


def test_still_investigating_after_the_first_hour(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-26-api-errors": STILL})
    assert lint().lines == [
        f"{OPEN}:14: still-investigating 70 minutes after the start, this update only says "
        "'We are investigating this issue.': say what you know, what customers can do, "
        "and when the next update comes"
    ]


def test_still_investigating_counts_from_started(site: Site, lint: Lint) -> None:
    text = STILL.replace("next_update:", "started: 2026-11-26 09:00 UTC\nnext_update:")
    site(incidents={"2026-11-26-api-errors": text})
    assert [line.split(" after the start")[0] for line in lint().lines] == [
        f"{OPEN}:9: still-investigating 80 minutes",
        f"{OPEN}:12: still-investigating 1 hour 50 minutes",
        f"{OPEN}:15: still-investigating 2 hours 30 minutes",
    ]


def test_more_than_investigating_is_fine(site: Site, lint: Lint) -> None:
    text = STILL.replace(
        "  We are investigating this issue.", "We are investigating this issue with our database team."
    )
    site(incidents={"2026-11-26-api-errors": text})
    assert lint().lines == []


# -- short-estimate ------------------------------------------------------------------


def _past(day: int, impact: str = "major", component: str = "api", hours: int = 2) -> str:
    return f"""\
---
title: API errors on day {day}
impact: {impact}
components: [{component}, dashboard]
cause: A bad release.
prevention:
  - step: Releases go to one server first.
    done: 2026-{day:02d}-28
---
## 2026-{day:02d}-10 10:00 UTC — Investigating
Errors on the API.

## 2026-{day:02d}-10 {10 + hours}:00 UTC — Resolved
Fixed.
"""


def _history(count: int, impact: str = "major", component: str = "api") -> dict[str, str]:
    return {f"2026-{day:02d}-10-api-errors": _past(day, impact, component) for day in range(1, count + 1)}


SHORT = GOOD_OPEN.replace("estimate: 2026-11-26 13:30 UTC", "estimate: 2026-11-26 12:10 UTC")


def test_short_estimate_against_five_similar_incidents(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-26-api-errors": SHORT, **_history(5)})
    assert lint().lines == [
        f"{OPEN}:9: short-estimate the estimate allows 60 minutes from the start, but the 5 major incidents "
        "on these components resolved in the last year took a median of 2 hours: give an estimate you can keep"
    ]


@pytest.mark.parametrize(
    "history",
    [
        _history(4),  # too few to judge
        _history(5, impact="minor"),  # another impact
        _history(5, component="imported"),  # no shared component ('dashboard' is shared: see below)
    ],
    ids=["four", "other-impact", "other-component"],
)
def test_short_estimate_needs_five_similar(site: Site, lint: Lint, history: dict[str, str]) -> None:
    if "imported" in next(iter(history.values())):
        history = {name: text.replace(", dashboard]", "]") for name, text in history.items()}
    site(incidents={"2026-11-26-api-errors": SHORT, **history})
    assert lint().lines == []


def test_short_estimate_is_quiet_for_a_long_enough_estimate(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-26-api-errors": GOOD_OPEN, **_history(5)})
    assert lint().lines == []


# -- imported-defaults ---------------------------------------------------------------

IMPORTED = """\
---
title: Elevated API errors
impact: minor
components:
  - imported
imported:
  source: https://status.example.com/incidents/abc123
  component: imported
  impact: minor
---

## 2025-03-01 10:00 UTC — Investigating
We are looking into elevated API errors.

## 2025-03-01 11:00 UTC — Resolved
This incident has been resolved.
"""

IMPORTED_PATH = "content/incidents/abc123.md"


def test_imported_defaults_fire_until_edited_whatever_since(site: Site, lint: Lint) -> None:
    site(incidents={"abc123": IMPORTED}, config_extra="\n[check]\nsince = 2026-01-01\n")
    assert lint().lines == [
        f"{IMPORTED_PATH}:3: imported-defaults impact is still 'minor', the default 'inloop import' filled in: "
        "set the real impact (or delete 'impact' under 'imported:' if it is right)",
        f"{IMPORTED_PATH}:4: imported-defaults components are still 'imported', the default 'inloop import' "
        "filled in: name the components that were affected",
    ]


def test_imported_defaults_quiet_once_edited(site: Site, lint: Lint) -> None:
    text = IMPORTED.replace("impact: minor\ncomponents:\n  - imported", "impact: major\ncomponents:\n  - api")
    site(incidents={"abc123": text}, config_extra="\n[check]\nsince = 2026-01-01\n")
    assert lint().lines == []


def test_imported_maintenance_component(site: Site, lint: Lint) -> None:
    window = """\
---
title: Network maintenance
components:
  - imported
start: 2025-03-01 02:00 UTC
end: 2025-03-01 03:00 UTC
imported:
  source: https://status.example.com/incidents/m1
  component: imported
---

## 2025-03-01 02:00 UTC — In progress
Maintenance is in progress.

## 2025-03-01 03:00 UTC — Completed
Done.
"""
    site(maintenance={"m1": window})
    assert [line.split(" components")[0] for line in lint().lines] == ["content/maintenance/m1.md:3: imported-defaults"]
