"""``--format github`` and ``--format json`` of ``check`` and ``build``, and what ``check`` leaves for GitHub.

Annotations are compared as whole lines, with GitHub's escaping written out by
hand; the JSON document is validated against tests/schemas/report.schema.json;
the step summary and outputs are read back from the files GitHub's variables name.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from check_texts import GOOD_OPEN, GOOD_RESOLVED, NOW
from schema_validation import assert_valid

from inloop.check.formats import Entry, annotation, escape_data, escape_property
from inloop.check.github import MAX_ROWS, markdown_text, summary_markdown

Site = Callable[..., Path]
SITES = Path(__file__).resolve().parent.parent / "sites"

#: No variable of a real GitHub Actions run may leak into these tests (the suite may run in one).
NO_GITHUB = {"GITHUB_STEP_SUMMARY": None, "GITHUB_OUTPUT": None, "GITHUB_WORKSPACE": None}

TODO_OPEN = GOOD_OPEN.replace("putting them back, one group at a time.", "putting them back. TODO: how long?")
TODO_MESSAGE = "'TODO' left in the text: write what customers need to know"
BROKEN = GOOD_OPEN.replace("impact: major", "impact: huge")
HUGE_MESSAGE = "'impact' must be one of none, minor, major, critical; found 'huge'"


@pytest.fixture
def inloop(run_cli: Callable[..., Any]) -> Callable[..., Any]:
    """``inloop("check", "--format", "json", env={...})`` in the current folder at NOW."""

    def run(*args: str, env: dict[str, str | None] | None = None) -> Any:
        return run_cli([*args, "--source", ".", "--now", NOW], env={**NO_GITHUB, **(env or {})})

    return run


# --- escaping ------------------------------------------------------------------------------


def test_data_escapes_percent_first_then_cr_and_lf() -> None:
    assert escape_data("100% down\r\nnow %0A") == "100%25 down%0D%0Anow %250A"
    assert escape_data("a: b, c") == "a: b, c"


def test_property_escapes_colon_and_comma_too() -> None:
    assert escape_property("dir:x,y%\n.md") == "dir%3Ax%2Cy%25%0A.md"


def test_an_annotation_with_every_special_character() -> None:
    entry = Entry("content/incidents/a:b,c%.md", 7, "warning", "todo", "50% done,\nnext: 'x'\r")
    assert annotation(entry) == (
        "::warning file=content/incidents/a%3Ab%2Cc%25.md,line=7,title=todo::50%25 done,%0Anext: 'x'%0D"
    )


# --- check --format github -----------------------------------------------------------------


def test_check_github_warnings(site: Site, inloop: Callable[..., Any]) -> None:
    site(incidents={"2026-11-26-api-errors": TODO_OPEN, "2026-11-20-dashboard-slow": GOOD_RESOLVED})
    result = inloop("check", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"::warning file=content/incidents/2026-11-26-api-errors.md,line=17,title=todo::{TODO_MESSAGE}"
    ]
    assert result.stderr.splitlines() == ["1 warning ('inloop check --explain CODE' says why and how to fix it)"]


def test_check_github_build_errors_stop_it(site: Site, inloop: Callable[..., Any]) -> None:
    site(incidents={"2026-11-26-api-errors": TODO_OPEN, "2026-11-25-broken": BROKEN})
    result = inloop("check", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"::error file=content/incidents/2026-11-25-broken.md,line=3,title=build-error::{HUGE_MESSAGE}"
    ]
    assert result.stderr.splitlines() == ["check stopped: 1 error to fix first ('inloop build' reports the same)"]


def test_check_github_errors_of_the_checks_own_switches(site: Site, inloop: Callable[..., Any]) -> None:
    text = TODO_OPEN.replace("TODO: how long?", "TODO: how long? <!-- inloop: ignore tood -->")
    site(incidents={"2026-11-26-api-errors": text})
    lines = inloop("check", "--format", "github").stdout.splitlines()
    assert lines[0].startswith("::error file=content/incidents/2026-11-26-api-errors.md,line=17,title=check-error::")
    assert "tood" in lines[0]
    assert lines[1:] == [
        f"::warning file=content/incidents/2026-11-26-api-errors.md,line=17,title=todo::{TODO_MESSAGE}"
    ]


def test_check_github_clean(site: Site, inloop: Callable[..., Any]) -> None:
    site(incidents={"2026-11-26-api-errors": GOOD_OPEN})
    result = inloop("check", "--format", "github")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "checked 1 incident and 0 maintenance windows: no problems\n"


def test_file_names_with_colons_commas_and_percent_are_escaped(site: Site, inloop: Callable[..., Any]) -> None:
    component = GOOD_OPEN.replace("  api: partial_outage", '  "100%: a, b": partial_outage')
    site(incidents={"2026-11-26-api:down,again": component})
    assert inloop("check", "--format", "github").stdout.splitlines() == [
        "::error file=content/incidents/2026-11-26-api%3Adown%2Cagain.md,line=1,title=build-error::"
        "file name '2026-11-26-api:down,again.md' is not a lowercase slug: the name is the public reference, "
        "rename it to '2026-11-26-api-down-again.md'",
        "::error file=content/incidents/2026-11-26-api%3Adown%2Cagain.md,line=5,title=build-error::"
        "unknown component '100%25: a, b': expected one of 'api', 'dashboard', 'imported'",
    ]


def test_paths_are_from_the_github_workspace(site: Site, inloop: Callable[..., Any], tmp_path: Path) -> None:
    """GitHub places an annotation by its path from the repository root; the site may be in a subfolder."""
    root = site(incidents={"2026-11-26-api-errors": TODO_OPEN})
    result = inloop("check", "--format", "github", env={"GITHUB_WORKSPACE": str(tmp_path)})
    assert result.stdout.startswith(
        f"::warning file={root.name}/content/incidents/2026-11-26-api-errors.md,line=17,title=todo::"
    )
    elsewhere = inloop("check", "--format", "github", env={"GITHUB_WORKSPACE": str(tmp_path / "other")})
    assert elsewhere.stdout.startswith("::warning file=content/incidents/2026-11-26-api-errors.md,line=17,")


# --- build --format github -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["bad_content", "bad_config"])
def test_build_github_lists_every_error_of_the_bad_sites(
    name: str, inloop: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(SITES / name, tmp_path / name)
    monkeypatch.chdir(tmp_path / name)
    text = (SITES / name / "expected-errors.txt").read_text("utf-8").splitlines()
    result = inloop("build", "--format", "github")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == text[-1:]  # "build failed: N errors; the site was not changed"
    expected = []
    for line in text[:-1]:
        path, number, message = line.split(":", 2)
        expected.append(f"::error file={path},line={number},title=build-error::{message.removeprefix(' ')}")
    assert result.stdout.splitlines() == expected
    assert not (tmp_path / name / "site").exists()


def test_build_github_bad_config_exact_lines(
    inloop: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(SITES / "bad_config", tmp_path / "bad_config")
    monkeypatch.chdir(tmp_path / "bad_config")
    lines = inloop("build", "--format", "github").stdout.splitlines()
    assert lines[0] == (
        "::error file=content/incidents/2026-11-20-api-errors.md,line=3,title=build-error::"
        "'impact' must be one of none, minor, major, critical; found 'severe'"
    )
    assert (
        lines[-1]
        == "::error file=inloop.toml,line=18,title=build-error::duplicate component id 'api' (first on line 9)"
    )
    assert len(lines) == 10


def test_build_strict_github(site: Site, inloop: Callable[..., Any]) -> None:
    root = site(incidents={"2026-11-26-api-errors": TODO_OPEN})
    result = inloop("build", "--strict", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"::warning file=content/incidents/2026-11-26-api-errors.md,line=17,title=todo::{TODO_MESSAGE}"
    ]
    assert not (root / "site").exists()


def test_build_text_is_still_the_default(site: Site, inloop: Callable[..., Any]) -> None:
    site(incidents={"2026-11-25-broken": BROKEN})
    result = inloop("build")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"content/incidents/2026-11-25-broken.md:3: {HUGE_MESSAGE}",
        "build failed: 1 error; the site was not changed",
    ]


def test_an_error_without_a_file_is_an_annotation_too(
    site: Site, inloop: Callable[..., Any], run_cli: Callable[..., Any]
) -> None:
    site()
    result = inloop("build", "--format", "github", "--output", ".")
    assert result.exit_code == 1
    message = "refusing to build into .: it is or contains the source folder ."
    assert (result.stdout, result.stderr) == (f"::error title=inloop::{message}\n", f"error: {message}\n")
    wrong = run_cli(["check", "--format", "github", "--source", "."], env={**NO_GITHUB, "SOURCE_DATE_EPOCH": "5%"})
    assert wrong.exit_code == 1
    assert wrong.stdout == "::error title=inloop::SOURCE_DATE_EPOCH must be a whole number of seconds, found '5%25'\n"


# --- --format json -------------------------------------------------------------------------


def test_check_json_warnings(site: Site, inloop: Callable[..., Any]) -> None:
    site(incidents={"2026-11-26-api-errors": TODO_OPEN, "2026-11-20-dashboard-slow": GOOD_RESOLVED})
    result = inloop("check", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert_valid("report", document)
    assert document == {
        "version": 1,
        "command": "check",
        "ok": False,
        "errors": 0,
        "warnings": 1,
        "checked": {"incidents": 2, "maintenance": 0},
        "problems": [
            {
                "path": "content/incidents/2026-11-26-api-errors.md",
                "line": 17,
                "severity": "warning",
                "rule": "todo",
                "message": TODO_MESSAGE,
            }
        ],
    }


def test_check_json_clean(site: Site, inloop: Callable[..., Any]) -> None:
    site(incidents={"2026-11-26-api-errors": GOOD_OPEN})
    result = inloop("check", "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert_valid("report", document)
    assert (document["ok"], document["problems"], document["checked"]) == (True, [], {"incidents": 1, "maintenance": 0})


def test_check_json_stopped_by_build_errors(site: Site, inloop: Callable[..., Any]) -> None:
    site(incidents={"2026-11-25-broken": BROKEN})
    result = inloop("check", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert_valid("report", document)
    assert (document["checked"], document["errors"], document["ok"]) == (None, 1, False)
    assert document["problems"] == [
        {
            "path": "content/incidents/2026-11-25-broken.md",
            "line": 3,
            "severity": "error",
            "rule": "build-error",
            "message": HUGE_MESSAGE,
        }
    ]


def test_build_json_of_a_bad_site_has_every_error(
    inloop: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(SITES / "bad_content", tmp_path / "bad_content")
    monkeypatch.chdir(tmp_path / "bad_content")
    result = inloop("build", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert_valid("report", document)
    text = (SITES / "bad_content" / "expected-errors.txt").read_text("utf-8").splitlines()[:-1]
    assert [f"{p['path']}:{p['line']}: {p['message']}" for p in document["problems"]] == text
    assert {p["severity"] for p in document["problems"]} == {"error"}
    assert (document["command"], document["errors"], document["warnings"]) == ("build", len(text), 0)


def test_build_json_success_keeps_stdout_for_the_document(site: Site, inloop: Callable[..., Any]) -> None:
    root = site(incidents={"2026-11-26-api-errors": TODO_OPEN})
    result = inloop("build", "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert_valid("report", document)
    assert (document["ok"], document["command"]) == (True, "build")
    assert result.stderr.startswith("built ")
    assert (root / "site" / "index.html").is_file()


def test_the_schema_rejects_what_the_shape_forbids() -> None:
    from jsonschema import ValidationError
    from schema_validation import load_validator

    validator = load_validator("report")
    good = {"version": 1, "command": "check", "ok": True, "errors": 0, "warnings": 0, "checked": None, "problems": []}
    validator.validate(good)
    for bad in (
        {**good, "version": 2},
        {**good, "problems": [{"path": "a.md", "line": 0, "severity": "error", "rule": "x", "message": "m"}]},
        {**good, "ok": True, "errors": 1},
        {key: value for key, value in good.items() if key != "problems"},
    ):
        with pytest.raises(ValidationError):
            validator.validate(bad)


def test_unknown_format_is_a_usage_error(site: Site, inloop: Callable[..., Any]) -> None:
    site()
    result = inloop("check", "--format", "sarif")
    assert result.exit_code == 2
    assert "'sarif' is not one of 'text', 'github', 'json'" in result.stderr


# --- the step summary and outputs ----------------------------------------------------------


def github_files(tmp_path: Path) -> dict[str, str]:
    summary, output = tmp_path / "step_summary.md", tmp_path / "github_output"
    summary.write_text("before\n", "utf-8")  # GitHub's files are appended to, never replaced
    output.write_text("", "utf-8")
    return {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)}


def test_summary_and_outputs_with_warnings(site: Site, inloop: Callable[..., Any], tmp_path: Path) -> None:
    site(incidents={"2026-11-26-api-errors": TODO_OPEN, "2026-11-20-dashboard-slow": GOOD_RESOLVED})
    env = github_files(tmp_path)
    result = inloop("check", env=env)
    assert result.exit_code == 1
    assert Path(env["GITHUB_STEP_SUMMARY"]).read_text("utf-8") == (
        "before\n"
        "⚠️ **inloop check**: 1 warning in 2 incidents and 0 maintenance windows\n"
        "\n"
        "| File | Line | Severity | Rule | Message |\n"
        "| --- | ---: | --- | --- | --- |\n"
        "| content/incidents/2026-11-26-api-errors.md | 17 | warning | `todo` | "
        "'TODO' left in the text: write what customers need to know |\n"
        "\n"
        "`inloop check --explain RULE` says why a rule matters and how to fix what it found.\n"
    )
    assert Path(env["GITHUB_OUTPUT"]).read_text("utf-8") == "errors=0\nwarnings=1\nok=false\n"


def test_summary_all_clear_is_one_line(site: Site, inloop: Callable[..., Any], tmp_path: Path) -> None:
    site(incidents={"2026-11-26-api-errors": GOOD_OPEN})
    env = github_files(tmp_path)
    assert inloop("check", "--format", "github", env=env).exit_code == 0
    assert Path(env["GITHUB_STEP_SUMMARY"]).read_text("utf-8") == (
        "before\n✅ **inloop check**: checked 1 incident and 0 maintenance windows: no problems\n"
    )
    assert Path(env["GITHUB_OUTPUT"]).read_text("utf-8") == "errors=0\nwarnings=0\nok=true\n"


def test_summary_of_a_stopped_check(site: Site, inloop: Callable[..., Any], tmp_path: Path) -> None:
    site(incidents={"2026-11-25-broken": BROKEN, "2026-11-26-api-errors": TODO_OPEN})
    env = github_files(tmp_path)
    inloop("check", "--format", "json", env=env)
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text("utf-8").splitlines()
    assert summary[1] == "❌ **inloop check** stopped: 1 error to fix first (`inloop build` reports the same)"
    assert summary[5] == (
        "| content/incidents/2026-11-25-broken.md | 3 | error | `build-error` | "
        "'impact' must be one of none, minor, major, critical; found 'huge' |"
    )
    assert len(summary) == 6
    assert Path(env["GITHUB_OUTPUT"]).read_text("utf-8") == "errors=1\nwarnings=0\nok=false\n"


def test_summary_escapes_what_content_files_say(site: Site, inloop: Callable[..., Any], tmp_path: Path) -> None:
    """A component name from a file cannot break the table or become HTML."""
    site(incidents={"2026-11-26-api-errors": GOOD_OPEN.replace("  api: partial_outage", '  "a|<b>*x*": major_outage')})
    env = github_files(tmp_path)
    inloop("check", env=env)
    row = Path(env["GITHUB_STEP_SUMMARY"]).read_text("utf-8").splitlines()[5]
    assert row.endswith(r"| unknown component 'a\|\<b\>\*x\*': expected one of 'api', 'dashboard', 'imported' |")
    assert row.count("|") - row.count(r"\|") == 6


def test_markdown_text() -> None:
    assert markdown_text("a|b\r\nc `d` [e](f) <g> &amp; _h_ #1 @me") == (
        r"a\|b c \`d\` \[e\]\(f\) \<g\> \&amp; \_h\_ \#1 \@me"
    )


def test_summary_table_is_capped() -> None:
    entries = [Entry(f"content/incidents/{n:04}.md", 1, "warning", "todo", "m") for n in range(MAX_ROWS + 3)]
    lines = summary_markdown(entries, {"incidents": MAX_ROWS + 3, "maintenance": 0}).splitlines()
    assert sum(1 for line in lines if line.startswith("| content/")) == MAX_ROWS
    assert "… and 3 more: run `inloop check` to see them all." in lines


def test_an_unwritable_summary_is_a_warning_not_a_traceback(
    site: Site, inloop: Callable[..., Any], tmp_path: Path
) -> None:
    site(incidents={"2026-11-26-api-errors": GOOD_OPEN})
    output = tmp_path / "github_output"
    result = inloop("check", env={"GITHUB_STEP_SUMMARY": str(tmp_path), "GITHUB_OUTPUT": str(output)})
    assert result.exit_code == 0
    assert result.stderr.splitlines()[0].startswith(
        f"warning: could not write the step summary to $GITHUB_STEP_SUMMARY ({tmp_path}): "
    )
    assert output.read_text("utf-8") == "errors=0\nwarnings=0\nok=true\n"
