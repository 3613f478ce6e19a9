"""``inloop init``: a new site that builds, with commented examples, that never overwrites."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, cast

import pytest

from inloop.notify.settings import read_settings
from inloop.publish import PublishSettings
from inloop.read.config import load_config


def test_init_writes_a_site_that_builds(
    tmp_path: Path, run_cli: Callable[..., Any], build: Callable[..., Path]
) -> None:
    target = tmp_path / "status"
    result = run_cli(["init", str(target), "--now", "2026-11-26 12:00 UTC"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert (target / "inloop.toml").is_file()
    assert (target / "content" / "incidents").is_dir()
    assert (target / "content" / "maintenance").is_dir()
    assert list((target / "content").rglob("*.*")) == []
    assert "what next:" in result.stdout
    assert f"cd {target}" in result.stdout
    assert 'inloop new incident "Something is broken" --component website' in result.stdout
    config = load_config(target, "inloop.toml")
    assert config.problems == []
    assert config.config is not None
    assert [c.id for c in config.config.components] == ["website"]
    assert dict(config.config.check)["since"] == date(2026, 11, 26)
    output = build(target)
    assert (output / "index.html").is_file()


def test_init_config_has_commented_examples(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    run_cli(["init", str(tmp_path), "--now", "2026-11-26 12:00 UTC"])
    text = (tmp_path / "inloop.toml").read_text("utf-8")
    for example in (
        "# contact = ",
        "# group = ",
        "# [[components]]",
        "# disable = ",
        "# max_silence_minutes = 60",
        "# favicon = ",
        "# [publish]",
        "# [notify]",
        "# [notify.smtp]",
        "# [[notify.webhooks]]",
    ):
        assert example in text
    data = tomllib.loads(text)
    assert set(data) == {"title", "base_url", "timezone", "language", "description", "components", "check"}


def test_init_sets_since_to_today_in_the_sites_zone(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    # 23:30 UTC on the 26th is already the 27th in Berlin
    result = run_cli(["init", str(tmp_path), "--timezone", "Europe/Berlin", "--now", "2026-11-26 23:30 UTC"])
    assert result.exit_code == 0, result.stderr
    data = tomllib.loads((tmp_path / "inloop.toml").read_text("utf-8"))
    assert data["check"]["since"] == date(2026, 11, 27)
    assert data["timezone"] == "Europe/Berlin"


def test_init_takes_title_and_base_url(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    args = ["init", str(tmp_path), "--title", 'Acme "Cloud" Status', "--base-url", "https://status.acme.example"]
    assert run_cli(args).exit_code == 0
    data = tomllib.loads((tmp_path / "inloop.toml").read_text("utf-8"))
    assert data["title"] == 'Acme "Cloud" Status'
    assert data["base_url"] == "https://status.acme.example"


def test_init_in_the_current_folder(
    tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(["init"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "inloop.toml").is_file()
    assert "created a status site in .:" in result.stdout
    assert "cd " not in result.stdout


def test_init_refuses_an_existing_config(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    (tmp_path / "inloop.toml").write_text("mine", "utf-8")
    result = run_cli(["init", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path}/inloop.toml exists: inloop init never overwrites a file\n"
    assert (tmp_path / "inloop.toml").read_text("utf-8") == "mine"
    assert not (tmp_path / "content").exists()


def test_init_keeps_existing_content(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    incident = tmp_path / "content" / "incidents" / "old.md"
    incident.parent.mkdir(parents=True)
    incident.write_text("kept", "utf-8")
    assert run_cli(["init", str(tmp_path)]).exit_code == 0
    assert incident.read_text("utf-8") == "kept"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timezone", "Europe/Berln"], "--timezone: unknown time zone 'Europe/Berln': did you mean 'Europe/Berlin'?"),
        (["--base-url", "status.example.com"], "'base_url' must be an http or https URL with a host"),
    ],
)
def test_init_rejects_bad_options(tmp_path: Path, run_cli: Callable[..., Any], args: list[str], message: str) -> None:
    result = run_cli(["init", str(tmp_path / "new"), *args])
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert message in result.stderr
    assert not (tmp_path / "new").exists()


def test_init_refuses_a_file_as_folder(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    (tmp_path / "file").write_text("x", "utf-8")
    result = run_cli(["init", str(tmp_path / "file")])
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path}/file exists and is not a folder\n"


GITIGNORED = [
    "site/index.html",
    ".inloop-cache/x",
    ".inloop/notify-state.json",
    ".venv/bin/python",
    ".site.inloop-staging/a",
]


def test_init_writes_a_gitignore_for_what_inloop_makes(
    tmp_path: Path, run_cli: Callable[..., Any], build: Callable[..., Path]
) -> None:
    """Before: no .gitignore, so site/ and .inloop-cache/ showed in 'git status'."""
    target = tmp_path / "status"
    result = run_cli(["init", str(target), "--now", "2026-11-26 12:00 UTC"])
    assert result.exit_code == 0, result.stderr
    assert f"  {target}/.gitignore" in result.stdout.splitlines()
    lines = (target / ".gitignore").read_text("utf-8").splitlines()
    assert {"/site/", "/.inloop-cache/", "/.inloop/", "/.venv/", "/.site.inloop-*"} <= set(lines)
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    subprocess.run([git, "init", "-q", str(target)], check=True)
    build(target)
    (target / ".inloop").mkdir()
    (target / ".inloop" / "notify-state.json").write_text("{}", "utf-8")
    status = subprocess.run(
        [git, "status", "--porcelain", "--untracked-files=all"], cwd=target, capture_output=True, text=True, check=True
    )
    assert status.stdout.splitlines() == ["?? .gitignore", "?? inloop.toml", "?? templates/incidents/outage.md"]
    ignored = subprocess.run([git, "check-ignore", *GITIGNORED], cwd=target, capture_output=True, text=True)
    assert ignored.stdout.splitlines() == GITIGNORED


def test_init_keeps_an_existing_gitignore(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    (tmp_path / ".gitignore").write_text("*.log\n", "utf-8")
    result = run_cli(["init", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / ".gitignore").read_text("utf-8") == "*.log\n"
    assert (
        f"  {tmp_path}/.gitignore exists: kept as it is (inloop makes site/, .inloop-cache/ and .inloop/)"
        in result.stdout.splitlines()
    )


def uncommented(text: str, first: str, last: str | None) -> str:
    """``text`` with the commented lines from the one starting ``# first`` up to ``# last`` uncommented."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(f"# {first}"))
    end = len(lines) if last is None else next(i for i, line in enumerate(lines) if line.startswith(f"# {last}"))
    block = [line[2:] if line.startswith("# ") else line.removeprefix("#") for line in lines[start:end]]
    assert all(line.startswith("#") for line in lines[start:end] if line)
    return "\n".join([*lines[:start], *block, *lines[end:]])


@pytest.mark.parametrize(
    ("first", "last", "table"),
    [
        ("favicon = ", "history_page_size", None),
        ("[publish]", "Who 'inloop notify'", "publish"),
        ("[notify]", None, "notify"),
        ("[[components]]", "What 'inloop check'", None),
    ],
)
def test_init_examples_are_valid_when_uncommented(
    tmp_path: Path, run_cli: Callable[..., Any], first: str, last: str | None, table: str | None
) -> None:
    """Before: the [publish], [notify] and favicon examples that the README promises were missing."""
    assert run_cli(["init", str(tmp_path), "--now", "2026-11-26 12:00 UTC"]).exit_code == 0
    path = tmp_path / "inloop.toml"
    text = path.read_text("utf-8")
    if first == "favicon = ":
        text = text.replace("# favicon = ", "favicon = ")
    else:
        text = uncommented(text, first, last)
    path.write_text(text, "utf-8")
    config = load_config(tmp_path, "inloop.toml")
    assert config.problems == []
    assert config.config is not None
    tables = dict(config.config.raw_tables)
    if table is None:
        assert tables == {}
    else:
        assert set(tables) == {table}
    if first == "favicon = ":
        assert config.config.favicon == "https://example.com/favicon.png"
    if table == "publish":
        settings = PublishSettings.from_mapping(tables["publish"])
        assert (settings.region, settings.concurrency) == ("auto", 16)
    if table == "notify":
        (tmp_path / "subscribers.csv").write_text("email,language,components\nops@example.com,,\n", "utf-8")
        components = tuple(c.id for c in config.config.components)
        notify = read_settings(cast(dict[str, Any], tables["notify"]), tmp_path, "inloop.toml", components)
        assert notify.smtp is not None and notify.smtp.sender == "Status <status@example.com>"
        assert [(hook.format, hook.components) for hook in notify.webhooks] == [("inloop", ("website",))]
        assert [s.email for s in notify.subscribers] == ["ops@example.com"]
