"""The command line: every error as ``path:line: message`` on stderr, exit 1, no traceback, nothing written."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import inloop

SITES = Path(__file__).resolve().parent / "sites"
NOW = "2026-11-26 12:00 UTC"

Snapshot = Callable[[Path], dict[str, tuple[str, int]]]


def expected_lines(name: str, prefix: str = "") -> list[str]:
    """The fixture's expected stderr, with ``prefix`` before every path."""
    lines = (SITES / name / "expected-errors.txt").read_text("utf-8").splitlines()
    return [line if line.startswith("build failed") else prefix + line for line in lines]


@pytest.mark.parametrize("name", ["bad_content", "bad_config"])
def test_bad_site_prints_every_error_sorted_with_plain_paths(
    name: str, copy_fixture_site: Callable[[str], Path], run_inloop: Callable[..., Any], tmp_path: Path
) -> None:
    """Run from inside the site with ``--source .``: paths have no prefix."""
    site = copy_fixture_site(name)
    result = run_inloop(["build", "--source", ".", "--now", NOW, "--output", str(tmp_path / "out")], cwd=site)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (SITES / name / "expected-errors.txt").read_text("utf-8")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_source_defaults_to_the_current_folder(
    copy_fixture_site: Callable[[str], Path], run_inloop: Callable[..., Any]
) -> None:
    site = copy_fixture_site("bad_content")
    result = run_inloop(["build", "--now", NOW], cwd=site)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == expected_lines("bad_content")
    assert not (site / "site").exists()


def test_paths_start_with_the_source_as_typed(
    copy_fixture_site: Callable[[str], Path],
    run_cli: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In this process, in the folder a user would type them in (the tests above run the real program)."""
    site = copy_fixture_site("bad_content")
    renamed = site.rename(tmp_path / "mysite")
    monkeypatch.chdir(tmp_path)
    for typed, prefix in (("mysite", "mysite/"), ("./mysite/", "mysite/"), (str(renamed), f"{renamed}/")):
        result = run_cli(["build", "--source", typed, "--now", NOW])
        assert result.exit_code == 1, typed
        assert result.stderr.splitlines() == expected_lines("bad_content", prefix), typed
    # from below the site
    monkeypatch.chdir(renamed / "content")
    result = run_cli(["build", "--source", "..", "--now", NOW])
    assert result.stderr.splitlines() == expected_lines("bad_content", "../")


def test_errors_in_process_with_an_absolute_source(
    copy_fixture_site: Callable[[str], Path], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    site = copy_fixture_site("bad_config")
    result = run_cli(["build", "--source", str(site), "--now", NOW, "--output", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.error_lines == expected_lines("bad_config", f"{site}/")
    assert result.error_lines[-1] == "build failed: 10 errors; the site was not changed"


def test_a_failed_build_leaves_the_previous_site_as_it_was(
    tmp_path: Path,
    make_site: Callable[..., Path],
    build: Callable[..., Path],
    run_cli: Callable[..., Any],
    snapshot: Snapshot,
) -> None:
    good = (
        "---\ntitle: API errors\nimpact: major\ncomponents: [api]\n---\n"
        "## 2026-11-20 14:02 UTC — Investigating\nLooking.\n"
    )
    site = make_site(tmp_path / "src", incidents={"2026-11-20-api": good, "2026-11-21-email": good})
    output = build(site)
    before = snapshot(output)
    assert "index.html" in before and "incidents/2026-11-20-api/index.html" in before
    # break one file, delete another: neither may reach the site
    (site / "content" / "incidents" / "2026-11-20-api.md").write_text(good.replace("major", "massive"), "utf-8")
    (site / "content" / "incidents" / "2026-11-21-email.md").unlink()
    result = run_cli(["build", "--source", str(site), "--now", NOW])
    assert result.exit_code == 1
    assert result.error_lines == [
        f"{site}/content/incidents/2026-11-20-api.md:3: "
        "'impact' must be one of none, minor, major, critical; found 'massive'",
        "build failed: 1 error; the site was not changed",
    ]
    assert snapshot(output) == before  # same files, same bytes, same mtimes


def test_a_broken_config_leaves_the_previous_site_as_it_was(
    tmp_path: Path, example_copy: Path, build: Callable[..., Path], run_cli: Callable[..., Any], snapshot: Snapshot
) -> None:
    output = build(example_copy, tmp_path / "out")
    before = snapshot(output)
    config = example_copy / "inloop.toml"
    config.write_text(config.read_text("utf-8").replace('timezone = "Europe/Berlin"', 'timezone = "Berlin"'), "utf-8")
    result = run_cli(["build", "--source", str(example_copy), "--output", str(output), "--now", NOW])
    assert result.exit_code == 1
    assert (
        result.error_lines[0]
        == f"{example_copy}/inloop.toml:6: unknown time zone 'Berlin': did you mean 'Europe/Berlin'?"
    )
    assert snapshot(output) == before


def test_version(run_cli: Callable[..., Any]) -> None:
    result = run_cli(["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"inloop, version {inloop.__version__}\n"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--help"], ["build", "serve", "Usage: inloop"]),
        (["-h"], ["build", "serve"]),
        (["build", "--help"], ["--source", "--output", "--now", "--base-url", "path:line: message"]),
        (["serve", "--help"], ["--source", "--output", "--host", "--port", "127.0.0.1", "8000"]),
    ],
)
def test_help_explains_each_command(run_cli: Callable[..., Any], args: list[str], words: list[str]) -> None:
    result = run_cli(args)
    assert result.exit_code == 0
    assert result.stderr == ""
    for word in words:
        assert word in result.stdout, word


def test_every_command_has_help(run_cli: Callable[..., Any]) -> None:
    from inloop.cli.main import main

    overview = run_cli(["--help"]).stdout
    for name, command in sorted(main.commands.items()):
        if command.hidden:
            continue
        assert name in overview
        result = run_cli([name, "--help"])
        assert result.exit_code == 0, name
        assert result.stdout.startswith(f"Usage: inloop {name}"), name
        assert (command.help or "").strip(), f"'inloop {name}' has no help text"


@pytest.mark.parametrize(
    ("now", "message"),
    [
        (
            "junk",
            "error: --now: cannot read time 'junk': expected 'YYYY-MM-DD HH:MM[:SS] [UTC|Z|+HH:MM]' or ISO 8601",
        ),
        ("2026-11-31 12:00", "error: --now: cannot read time '2026-11-31 12:00': day is out of range for month"),
        (
            "2026-11-26",
            "error: --now: '2026-11-26' is a date without a time: "
            "expected 'YYYY-MM-DD HH:MM[:SS] [UTC|Z|+HH:MM]' or ISO 8601",
        ),
    ],
)
def test_bad_now_is_a_clean_error(
    tmp_path: Path, make_site: Callable[..., Path], run_cli: Callable[..., Any], now: str, message: str
) -> None:
    site = make_site(tmp_path / "s")
    result = run_cli(["build", "--source", str(site), "--now", now])
    assert result.exit_code == 1
    assert result.stderr == message + "\n"
    assert not (site / "site").exists()


def test_now_out_of_range_is_a_clean_error(
    tmp_path: Path, make_site: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    site = make_site(tmp_path / "s")
    result = run_cli(["build", "--source", str(site), "--now", "100000000000000000"])
    assert result.exit_code == 1
    assert result.stderr == "error: --now: '100000000000000000' is out of range as Unix seconds\n"


def test_source_date_epoch_out_of_range_is_a_clean_error(
    tmp_path: Path, make_site: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    site = make_site(tmp_path / "s")
    result = run_cli(["build", "--source", str(site)], env={"SOURCE_DATE_EPOCH": "100000000000000000"})
    assert result.exit_code == 1
    assert result.stderr.startswith("error: SOURCE_DATE_EPOCH")


def test_now_without_a_value_is_a_usage_error(run_cli: Callable[..., Any]) -> None:
    result = run_cli(["build", "--now"])
    assert result.exit_code == 2
    assert "Option '--now' requires an argument." in result.stderr


def test_bad_source_date_epoch_is_a_clean_error(
    tmp_path: Path, make_site: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    site = make_site(tmp_path / "s")
    result = run_cli(["build", "--source", str(site)], env={"SOURCE_DATE_EPOCH": "yesterday"})
    assert result.exit_code == 1
    assert result.stderr == "error: SOURCE_DATE_EPOCH must be a whole number of seconds, found 'yesterday'\n"


def test_bad_base_url_option_is_a_clean_error(
    tmp_path: Path, make_site: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    site = make_site(tmp_path / "s")
    result = run_cli(["build", "--source", str(site), "--now", NOW, "--base-url", "preview"])
    assert result.exit_code == 1
    assert result.stderr == "error: --base-url must be an http or https URL with a host, found 'preview'\n"


def test_a_folder_that_is_not_a_site(tmp_path: Path, run_inloop: Callable[..., Any]) -> None:
    (tmp_path / "empty").mkdir()
    result = run_inloop(["build", "--source", "empty", "--now", NOW], cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "empty/inloop.toml:1: no inloop.toml here: is this a status site? "
        "(give its folder with --source; 'inloop init' makes one)",
        "build failed: 1 error; the site was not changed",
    ]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("output", "shown"),
    [(".", "."), ("..", ".."), ("../..", "../..")],
)
def test_refuses_an_output_folder_that_is_or_contains_the_source(
    tmp_path: Path,
    make_site: Callable[..., Path],
    run_cli: Callable[..., Any],
    output: str,
    shown: str,
    snapshot: Snapshot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = make_site(tmp_path / "a" / "site-src")
    before = snapshot(tmp_path)
    monkeypatch.chdir(site)
    result = run_cli(["build", "--source", ".", "--output", output, "--now", NOW])
    assert result.exit_code == 1
    assert result.stderr == f"error: refusing to build into {shown}: it is or contains the source folder .\n"
    assert {k: v for k, v in snapshot(tmp_path).items() if ".inloop-cache" not in k} == before


def test_output_inside_the_source_is_fine(
    tmp_path: Path, make_site: Callable[..., Path], run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(tmp_path / "s")
    monkeypatch.chdir(site)
    result = run_cli(["build", "--output", "public/www", "--now", NOW])
    assert result.exit_code == 0, result.stderr
    assert (site / "public" / "www" / "index.html").is_file()


def test_a_good_build_reports_on_stdout(
    tmp_path: Path, make_site: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    site = make_site(tmp_path / "s")
    result = run_cli(["build", "--source", str(site), "--now", NOW])
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.startswith("built ")
    assert f"output in {site / 'site'}" in result.stdout


def test_the_console_script_is_installed() -> None:
    script = shutil.which("inloop")
    assert script is not None, "pip install -e . installs the 'inloop' command"
    assert os.access(script, os.X_OK)


def test_future_update_is_shown_in_the_site_zone(
    tmp_path: Path, make_site: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    text = (
        "---\ntitle: T\nimpact: minor\ncomponents: [api]\n---\n"
        "## 2026-11-26 11:00 UTC — Investigating\nx\n\n## 2026-11-26 13:30 — Resolved\ny\n"
    )
    site = make_site(tmp_path / "s", incidents={"x": text})
    result = run_cli(["build", "--source", str(site), "--now", NOW])
    assert result.error_lines[0] == (
        f"{site}/content/incidents/x.md:9: update at 2026-11-26 13:30 CET is after the build time "
        "2026-11-26 13:00 CET: is the time zone right? (no zone given, so it is read in the site's time zone)"
    )
