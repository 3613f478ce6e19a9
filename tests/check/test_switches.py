"""Switching rules off: site-wide, per file, per line; and ``since`` for old history."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from check_texts import GOOD_RESOLVED, Checked

Site = Callable[..., Path]
Lint = Callable[..., Checked]

PATH = "content/incidents/2026-11-26-api-errors.md"

#: Three warnings: no-cause (line 1), sales-pitch (line 13), todo (line 16).
NOISY = """\
---
title: Elevated error rates on the API
impact: major
components:
  api: partial_outage
estimate: 2026-11-26 13:30 UTC
next_update: 2026-11-26 12:30 UTC
---
## 2026-11-26 11:10 UTC — Investigating
We are seeing elevated error rates on the API.

## 2026-11-26 11:40 UTC — Identified
We found it. Customers on our premium plan were not affected.
We are fixing it.

TODO: say when.
"""

NO_CAUSE = f"{PATH}:1: no-cause no cause while the incident is Identified: say in 'cause:' what is wrong"
SALES = f"{PATH}:13: sales-pitch 'premium plan' is a sales pitch: leave it out of incident updates"
TODO = f"{PATH}:16: todo 'TODO' left in the text: write what customers need to know"


def test_all_three_fire(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-26-api-errors": NOISY})
    assert lint().lines == [NO_CAUSE, SALES, TODO]


def test_disable_site_wide(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-26-api-errors": NOISY}, config_extra='\n[check]\ndisable = ["todo", "no-cause"]\n')
    assert lint().lines == [SALES]


def test_disable_for_one_file(site: Site, lint: Lint) -> None:
    text = NOISY.replace("---\n## 2026-11-26 11:10", "check: {disable: [sales-pitch]}\n---\n## 2026-11-26 11:10")
    site(incidents={"2026-11-26-api-errors": text, "2026-11-25-other": NOISY.replace("11-26 1", "11-25 1")})
    result = lint()
    other = "content/incidents/2026-11-25-other.md"
    assert [line for line in result.lines if line.startswith(PATH)] == [NO_CAUSE, TODO.replace(":16:", ":17:")]
    assert "sales-pitch" in [line.split(" ", 2)[1] for line in result.lines if line.startswith(other)]


def test_unknown_code_in_a_file_is_an_error(site: Site, lint: Lint) -> None:
    text = NOISY.replace("---\n## 2026-11-26 11:10", "check:\n  disable: [sales-pich]\n---\n## 2026-11-26 11:10")
    site(incidents={"2026-11-26-api-errors": text})
    result = lint()
    assert result.exit_code == 1
    assert result.errors[0] == f"{PATH}:8: unknown rule 'sales-pich' in 'check: disable': did you mean 'sales-pitch'?"


def test_ignore_comment_at_the_end_of_the_line(site: Site, lint: Lint) -> None:
    text = NOISY.replace("were not affected.\n", "were not affected. <!-- inloop: ignore sales-pitch -->\n")
    site(incidents={"2026-11-26-api-errors": text})
    assert lint().lines == [NO_CAUSE, TODO]


def test_ignore_comment_on_the_line_before(site: Site, lint: Lint) -> None:
    text = NOISY.replace("\nTODO: say when.", "<!-- inloop: ignore todo, sales-pitch -->\nTODO: say when.")
    site(incidents={"2026-11-26-api-errors": text})
    assert lint().lines == [NO_CAUSE, SALES]


def test_ignore_comment_names_the_rule(site: Site, lint: Lint) -> None:
    """A comment for another rule, or two lines up, ignores nothing."""
    text = NOISY.replace("We found it.", "<!-- inloop: ignore todo -->\nWe found it.")
    site(incidents={"2026-11-26-api-errors": text})
    assert lint().lines == [NO_CAUSE, SALES.replace(":13:", ":14:"), TODO.replace(":16:", ":17:")]


def test_unknown_code_in_an_ignore_comment_is_an_error(site: Site, lint: Lint) -> None:
    text = NOISY.replace("were not affected.\n", "were not affected. <!-- inloop: ignore sales -->\n")
    site(incidents={"2026-11-26-api-errors": text})
    result = lint()
    assert result.exit_code == 1
    assert result.errors[0].startswith(f"{PATH}:13: unknown rule 'sales' in an ignore comment: ")
    assert SALES in result.lines


BLAMING_CAUSE = """\
---
title: Elevated error rates on the API
impact: major
components:
  api: partial_outage
cause: Our provider lost power in one data centre.  # inloop: ignore finger-pointing
estimate: 2026-11-26 13:30 UTC
# inloop: ignore sales-pitch
next_update: 2026-11-26 12:30 UTC  # this comment is no ignore: upgrade to our premium plan
title_note: x
---
## 2026-11-26 11:40 UTC — Identified
Our servers lost power in one data centre; we are moving to the other one.
"""


def test_front_matter_ignore_comments(site: Site, lint: Lint) -> None:
    text = BLAMING_CAUSE.replace("title_note: x\n", "")
    site(incidents={"2026-11-26-api-errors": text})
    assert lint().lines == []
    text = text.replace("  # inloop: ignore finger-pointing", "")
    site(incidents={"2026-11-26-api-errors": text})
    assert lint().lines == [
        f"{PATH}:6: finger-pointing 'Our provider' blames someone else: say what you are doing about it instead"
    ]


def test_front_matter_ignore_on_the_key_covers_a_folded_value(site: Site, lint: Lint) -> None:
    text = BLAMING_CAUSE.replace("title_note: x\n", "").replace(
        "cause: Our provider lost power in one data centre.  # inloop: ignore finger-pointing",
        "# inloop: ignore finger-pointing\ncause: >\n  Power was lost in one data centre run by\n  our provider.",
    )
    site(incidents={"2026-11-26-api-errors": text})
    assert lint().lines == []


# -- since ---------------------------------------------------------------------------

OLD_RESOLVED = GOOD_RESOLVED.replace(
    "prevention:\n  - step: Upgrades now rebuild every index before traffic returns.\n    done: 2026-11-21\n"
    "  - Release checks flag a query that cannot use an index.\n",
    "",
)


def test_since_leaves_older_resolved_incidents_alone(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-20-dashboard-slow": OLD_RESOLVED}, config_extra="\n[check]\nsince = 2026-11-21\n")
    assert lint().lines == []


def test_since_includes_incidents_resolved_that_day(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-20-dashboard-slow": OLD_RESOLVED}, config_extra="\n[check]\nsince = 2026-11-20\n")
    assert [line.split(" resolved")[0] for line in lint().lines] == [
        "content/incidents/2026-11-20-dashboard-slow.md:1: no-prevention"
    ]


def test_since_is_a_day_in_the_sites_zone(site: Site, lint: Lint) -> None:
    """Resolved 15:12 UTC = 00:12 on 21 November in Tokyo: on or after 'since = 2026-11-21' there."""
    from check_texts import SITE_CONFIG

    config = SITE_CONFIG.replace('timezone = "UTC"', 'timezone = "Asia/Tokyo"')
    site(
        incidents={"2026-11-20-dashboard-slow": OLD_RESOLVED},
        config=config,
        config_extra="\n[check]\nsince = 2026-11-21\n",
    )
    assert len(lint().lines) == 1


def test_since_does_not_protect_open_incidents(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-26-api-errors": NOISY}, config_extra="\n[check]\nsince = 2027-01-01\n")
    assert lint().lines == [NO_CAUSE, SALES, TODO]
