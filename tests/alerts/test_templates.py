"""Incident templates: ``new incident --template``, their escaping, marks, and ``check --strict``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from inloop.authoring.markers import text_hash
from inloop.authoring.templates import markdown_text
from inloop.read.markup import to_html

OUTAGE = """\
---
title: ${components} unavailable
impact: major
components:
  api: major_outage
cause: "Monitoring reports: ${summary}"
# a note about this template, not copied
---

## ${time} — Investigating
${components} fails: ${summary}. Reported by ${team}.

## ${time} — Monitoring
It works again.
"""

WINDOW = """\
---
title: Database upgrade
components: [api]
description: We upgrade the database of ${components}.
---

## ${time} — Scheduled
${components} will be read-only from ${start} to ${end}.
"""

NOW = "2026-11-26 12:00 UTC"
CONFIG = """\
title = "Test Status"
base_url = "https://status.test.example/"

[[components]]
id = "api"
name = "Public API"

[[components]]
id = "dashboard"
name = "Dashboard"
"""


@pytest.fixture
def site(tmp_path: Path, make_site: Callable[..., Path]) -> Path:
    return make_site(
        tmp_path / "src", config=CONFIG, templates={"incidents/outage.md": OUTAGE, "maintenance/upgrade.md": WINDOW}
    )


def _run(run_cli: Callable[..., Any], site: Path, *args: str, now: str = NOW) -> Any:
    return run_cli([*args, "--source", str(site), "--now", now])


def test_new_incident_from_a_template_fills_in_the_placeholders(site: Path, run_cli: Callable[..., Any]) -> None:
    result = _run(
        run_cli, site, "new", "incident", "--template", "outage", "--var", "summary=5xx above 5%", "--var", "team=SRE"
    )
    assert result.exit_code == 0, result.stderr
    path = site / "content/incidents/2026-11-26-public-api-unavailable.md"
    update = "Public API fails: 5xx above 5%. Reported by SRE."
    cause = "Monitoring reports: 5xx above 5%"
    assert path.read_text("utf-8") == (
        "---\n"
        f"title: Public API unavailable  # inloop: template {text_hash('Public API unavailable')}\n"
        "impact: major\n"
        "components:\n"
        "  api: major_outage\n"
        f'cause: "{cause}"  # inloop: template {text_hash(cause)}\n'
        f"# inloop: template update 2026-11-26T12:00:00Z {text_hash(update)}\n"
        "---\n"
        "\n"
        "## 2026-11-26 12:00 UTC — Investigating\n"
        "Public API fails: 5xx above 5%. Reported by SRE.\n"
    )
    assert "from the template" in result.stdout


def test_the_title_argument_and_options_replace_the_templates(site: Path, run_cli: Callable[..., Any]) -> None:
    result = _run(
        run_cli, site, "new", "incident", "Slow dashboard", "--template", "outage",
        "-c", "dashboard=degraded_performance", "--impact", "minor", "--status", "identified",
        "--var", "summary=slow", "--var", "team=web",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    text = (site / "content/incidents/2026-11-26-slow-dashboard.md").read_text("utf-8")
    assert "title: Slow dashboard\n" in text  # a person's title carries no mark
    assert "impact: minor" in text
    assert "components:\n  dashboard: degraded_performance\ncause:" in text
    assert "## 2026-11-26 12:00 UTC — Identified\nDashboard fails: slow. Reported by web.\n" in text


def test_a_missing_value_names_the_placeholder_and_the_template_line(site: Path, run_cli: Callable[..., Any]) -> None:
    result = _run(run_cli, site, "new", "incident", "--template", "outage", "--var", "summary=x")
    assert result.exit_code == 1
    assert "templates/incidents/outage.md:10: no value for ${team}: give it with --var team=VALUE" in result.stderr
    assert not list((site / "content/incidents").iterdir())


def test_an_unknown_template_is_a_clean_error(site: Path, run_cli: Callable[..., Any]) -> None:
    result = _run(run_cli, site, "new", "incident", "--template", "outgae")
    assert result.exit_code == 1
    assert "no template 'outgae'" in result.stderr and "did you mean 'outage'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_var_without_template_and_no_title_are_errors(site: Path, run_cli: Callable[..., Any]) -> None:
    assert "give --template NAME too" in _run(run_cli, site, "new", "incident", "X", "--var", "a=b").stderr
    assert "give the incident's TITLE" in _run(run_cli, site, "new", "incident").stderr
    assert "expected KEY=VALUE" in _run(run_cli, site, "new", "incident", "-t", "outage", "--var", "nokey").stderr


def test_a_placeholder_outside_the_text_keys_is_an_error(
    tmp_path: Path, make_site: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    bad = OUTAGE.replace("impact: major", "impact: ${impact}")
    site = make_site(tmp_path / "bad", templates={"incidents/bad.md": bad})
    result = _run(run_cli, site, "new", "incident", "--template", "bad")
    assert result.exit_code == 1
    assert "templates/incidents/bad.md:3: placeholders may be used in title, cause, description" in result.stderr


def test_values_never_reach_html_unescaped(site: Path, run_cli: Callable[..., Any], build: Callable[..., Path]) -> None:
    hostile = "<script>alert(1)</script> *bold* [x](javascript:alert(1)) &amp; `code` <!-- c"
    result = _run(
        run_cli,
        site,
        "new",
        "incident",
        "--template",
        "outage",
        "--var",
        f"summary={hostile}",
        "--var",
        "team=\n## 2026",
    )
    assert result.exit_code == 0, result.stderr
    out = build(site)
    page = next((out / "incidents").glob("*/index.html")).read_text("utf-8")
    soup = BeautifulSoup(page, "html.parser")
    assert not soup.find_all("script", string=lambda s: s is not None and "alert(1)" in s)
    assert not soup.find("a", href=lambda h: h is not None and h.startswith("javascript"))
    assert not soup.find("em", string="bold")
    text = soup.get_text(" ")
    assert "<script>alert(1)</script> *bold* [x](javascript:alert(1)) &amp; `code` <!-- c" in text
    assert "Reported by ## 2026" in text  # a new line in a value cannot start an update


@pytest.mark.parametrize(
    "value",
    ["# heading", "- item", "1. first", "> quote", "=====", ": term", "a | b", "*[HTML]: x", "{: .x}", "\\*", "&lt;"],
)
def test_markdown_text_reads_back_as_the_value(value: str) -> None:
    html = to_html(f"Before\n{markdown_text(value)}")
    soup = BeautifulSoup(html, "html.parser")
    assert [tag.name for tag in soup.find_all(True)] == ["p"]
    assert soup.get_text() == f"Before\n{value}"


def test_a_maintenance_template_gets_the_window(site: Path, run_cli: Callable[..., Any]) -> None:
    result = _run(
        run_cli, site, "new", "maintenance", "--template", "upgrade", "--start", "2026-12-01 02:00 UTC", "--end", "2h"
    )
    assert result.exit_code == 0, result.stderr
    text = (site / "content/maintenance/2026-12-01-database-upgrade.md").read_text("utf-8")
    assert "start: 2026-12-01 02:00 UTC\nend: 2026-12-01 04:00 UTC\n" in text
    assert "Public API will be read-only from 2026-12-01 02:00 UTC to 2026-12-01 04:00 UTC." in text
    assert "description: We upgrade the database of Public API.  # inloop: template" in text


def _open(site: Path, run_cli: Callable[..., Any]) -> Path:
    result = _run(run_cli, site, "new", "incident", "-t", "outage", "--var", "summary=down", "--var", "team=SRE")
    assert result.exit_code == 0, result.stderr
    return next((site / "content/incidents").glob("*.md"))


def test_check_lists_template_text_as_notes_and_strict_fails_after_the_limit(
    site: Path, run_cli: Callable[..., Any]
) -> None:
    path = _open(site, run_cli)
    shown = f"{site}/content/incidents/{path.name}"
    young = _run(run_cli, site, "check", "--strict", now="2026-11-26 12:20 UTC")
    assert young.exit_code == 0, young.stdout + young.stderr
    assert f"note: {shown}:2: template-text the title is the template's text" in young.stderr
    assert "fails on it in 10 minutes" in young.stderr
    old = _run(run_cli, site, "check", "--strict", now="2026-11-26 12:31 UTC")
    assert old.exit_code == 1
    assert old.stdout.splitlines() == [
        f"{shown}:2: template-text the title is still the template's text 31 minutes after the incident started "
        "(the limit is 30 minutes): write it in your own words, or delete its '# inloop: template' comment to keep it",
        f"{shown}:6: template-text the cause is still the template's text 31 minutes after the incident started "
        "(the limit is 30 minutes): write it in your own words, or delete its '# inloop: template' comment to keep it",
        f"{shown}:10: template-text the first update is still the template's text 31 minutes after the incident "
        "started (the limit is 30 minutes): write it in your own words, or delete its '# inloop: template' comment "
        "to keep it",
    ]
    plain = _run(run_cli, site, "check", now="2026-11-26 12:31 UTC")
    assert plain.exit_code == 0 and plain.stdout == ""  # without --strict: notes only
    assert "note: " in plain.stderr
    built = _run(run_cli, site, "build", "--strict", now="2026-11-26 12:31 UTC")
    assert built.exit_code == 1 and "template-text" in built.stdout


def test_rewritten_text_is_no_longer_the_templates(site: Path, run_cli: Callable[..., Any]) -> None:
    path = _open(site, run_cli)
    done = _run(run_cli, site, "update", path.stem, "Found it", "--cause", "A full disk", now="2026-11-26 12:10 UTC")
    assert done.exit_code == 0, done.stderr
    text = path.read_text("utf-8").replace("Public API fails: down. Reported by SRE.", "The API fails for everyone.")
    path.write_text(text.replace(f"  # inloop: template {text_hash('Public API unavailable')}", ""), "utf-8")
    result = _run(run_cli, site, "check", "--strict", now="2026-11-26 12:45 UTC")
    assert "template-text" not in result.stdout + result.stderr


def test_the_limit_is_configurable_and_checked(
    tmp_path: Path, make_site: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    config = CONFIG + "\n[check]\ntemplate_text_minutes = 5\n"
    site = make_site(tmp_path / "five", config=config, templates={"incidents/outage.md": OUTAGE})
    _open(site, run_cli)
    assert _run(run_cli, site, "check", "--strict", now="2026-11-26 12:06 UTC").exit_code == 1
    bad = make_site(tmp_path / "bad", config=CONFIG + "\n[check]\ntemplate_text_minutes = 0\n")
    result = _run(run_cli, bad, "check")
    assert result.exit_code == 1
    assert f"{bad}/inloop.toml:13: 'template_text_minutes' must be at least 1, found 0" in result.stderr


def test_init_writes_an_example_template_that_fills_in(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    folder = tmp_path / "new"
    assert run_cli(["init", str(folder), "--now", NOW]).exit_code == 0
    assert (folder / "templates/incidents/outage.md").is_file()
    result = _run(run_cli, folder, "new", "incident", "--template", "outage")
    assert result.exit_code == 0, result.stderr
    assert run_cli(["build", "--source", str(folder), "--now", NOW]).exit_code == 0


def test_substitute_escapes_dollar_brace_and_is_lenient_only_for_an_alerts_labels() -> None:
    from inloop.authoring.templates import substitute
    from inloop.errors import UsageError

    assert substitute("$${summary} is ${summary}", {"summary": "x"}, "t:1", markdown=True) == "${summary} is x"
    assert substitute("on ${labels.instance}", {}, "t:1", markdown=True, lenient=True) == "on "
    with pytest.raises(UsageError, match=r"t:1: no value for \$\{labels.instance\}"):
        substitute("on ${labels.instance}", {}, "t:1", markdown=True)
    with pytest.raises(UsageError, match=r"t:1: no value for \$\{sumary\}"):
        substitute("${sumary}", {"summary": "x"}, "t:1", markdown=True, lenient=True)
