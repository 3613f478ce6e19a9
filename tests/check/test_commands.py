"""The commands: errors before warnings, ``build --strict``, ``--explain``, and the example site."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from check_texts import GOOD_OPEN, GOOD_RESOLVED, NOW, Checked

from inloop.check.settings import CODES

Site = Callable[..., Path]
Lint = Callable[..., Checked]

TODO_OPEN = GOOD_OPEN.replace("putting them back, one group at a time.", "putting them back. TODO: how long?")
TODO_LINE = (
    "content/incidents/2026-11-26-api-errors.md:17: todo 'TODO' left in the text: write what customers need to know"
)


def test_build_errors_come_first_and_stop(site: Site, lint: Lint) -> None:
    broken = GOOD_OPEN.replace("impact: major", "impact: huge")
    site(incidents={"2026-11-26-api-errors": TODO_OPEN, "2026-11-25-broken": broken})
    result = lint()
    assert result.exit_code == 1
    assert result.lines == []
    assert result.errors == [
        "content/incidents/2026-11-25-broken.md:3: 'impact' must be one of none, minor, major, critical; found 'huge'",
        "check stopped: 1 error to fix first ('inloop build' reports the same)",
    ]


def test_warnings_on_stdout_summary_on_stderr(site: Site, lint: Lint) -> None:
    site(incidents={"2026-11-26-api-errors": TODO_OPEN})
    result = lint()
    assert (result.exit_code, result.lines) == (1, [TODO_LINE])
    assert result.errors == ["1 warning ('inloop check --explain CODE' says why and how to fix it)"]


def test_a_clean_check_says_so_in_one_line(site: Site, lint: Lint) -> None:
    """Before: a clean check printed nothing at all."""
    window = (
        "---\ntitle: Database upgrade\ncomponents: [api]\nstart: 2026-12-01 02:00 UTC\nend: 2026-12-01 03:00 UTC\n"
        "---\nWe upgrade the database.\n"
    )
    site(
        incidents={"2026-11-26-api-errors": GOOD_OPEN, "2026-11-20-dashboard-slow": GOOD_RESOLVED},
        maintenance={"2026-12-01-db": window},
    )
    result = lint()
    assert (result.exit_code, result.lines) == (0, [])
    assert result.errors == ["checked 2 incidents and 1 maintenance window: no problems"]


def test_a_clean_check_of_an_empty_site(site: Site, lint: Lint) -> None:
    site()
    result = lint()
    assert (result.exit_code, result.lines) == (0, [])
    assert result.errors == ["checked 0 incidents and 0 maintenance windows: no problems"]


def test_source_date_epoch_is_the_build_time(site: Site, run_cli: Callable[..., Any]) -> None:
    site(incidents={"2026-11-26-api-errors": GOOD_OPEN})
    late = run_cli(["check", "--source", "."], env={"SOURCE_DATE_EPOCH": "1796292000"})  # 2026-12-01 10:00 UTC
    assert late.exit_code == 1
    assert "estimate-passed" in late.stdout


def test_build_strict_fails_on_warnings_and_writes_nothing(site: Site, run_cli: Callable[..., Any]) -> None:
    root = site(incidents={"2026-11-26-api-errors": TODO_OPEN})
    result = run_cli(["build", "--source", ".", "--now", NOW, "--strict"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [TODO_LINE]
    assert result.stderr.splitlines() == ["build failed with --strict: 1 warning; the site was not changed"]
    assert not (root / "site").exists()


def test_build_strict_passes_without_warnings(site: Site, run_cli: Callable[..., Any]) -> None:
    root = site(incidents={"2026-11-26-api-errors": GOOD_OPEN, "2026-11-20-dashboard-slow": GOOD_RESOLVED})
    result = run_cli(["build", "--source", ".", "--now", NOW, "--strict"])
    assert result.exit_code == 0, result.stderr
    assert (root / "site" / "index.html").is_file()


def test_build_without_strict_ignores_warnings(site: Site, run_cli: Callable[..., Any]) -> None:
    root = site(incidents={"2026-11-26-api-errors": TODO_OPEN})
    result = run_cli(["build", "--source", ".", "--now", NOW])
    assert result.exit_code == 0
    assert (root / "site" / "index.html").is_file()


def test_build_strict_reports_build_errors_as_build_does(site: Site, run_cli: Callable[..., Any]) -> None:
    site(incidents={"2026-11-26-api-errors": GOOD_OPEN.replace("impact: major", "impact: huge")})
    result = run_cli(["build", "--source", ".", "--now", NOW, "--strict"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "content/incidents/2026-11-26-api-errors.md:3: 'impact' must be one of none, minor, major, critical; "
        "found 'huge'",
        "build failed: 1 error; the site was not changed",
    ]


@pytest.mark.parametrize("code", CODES)
def test_explain_every_rule(run_cli: Callable[..., Any], code: str) -> None:
    result = run_cli(["check", "--explain", code])
    assert result.exit_code == 0
    text: str = result.stdout
    assert text.startswith(f"{code}: ")
    assert f'disable = ["{code}"]' in text and f"<!-- inloop: ignore {code} -->" in text


def test_explain_prints_the_built_in_phrases_as_toml(run_cli: Callable[..., Any]) -> None:
    text: str = run_cli(["check", "--explain", "finger-pointing"]).stdout
    assert "Do not blame others" in text
    assert "finger_pointing = [\n    'our provider',\n" in text


def test_explain_unknown_code(run_cli: Callable[..., Any]) -> None:
    result = run_cli(["check", "--explain", "no-cuase"])
    assert result.exit_code == 2
    assert "Error: Invalid value for '--explain': unknown rule 'no-cuase': did you mean 'no-cause'?" in result.stderr
    far = run_cli(["check", "--explain", "xyz"])
    assert "expected one of 'no-cause', 'no-estimate'," in far.stderr


#: The example site at NOW: only prevention steps without 'done:' long after their incident.
STEP_WITHOUT_DONE = re.compile(r"^  - (?!step:)\S")


def test_the_example_site_gives_only_right_warnings(
    example_copy: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(example_copy)
    result = run_cli(["check", "--source", ".", "--now", NOW])
    lines: list[str] = result.stdout.splitlines()
    for line in lines:
        path, number, rest = line.split(":", 2)
        code = rest.split()[0]
        assert code == "prevention-overdue", line
        source = (example_copy / path).read_text("utf-8").split("\n")
        step = source[int(number) - 1]
        assert STEP_WITHOUT_DONE.match(step) or (
            step.startswith("  - step:") and not source[int(number)].lstrip().startswith("done:")
        ), line
    assert result.exit_code == (1 if lines else 0)
