"""``inloop init``: a new site that builds, with commented examples, that never overwrites."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from inloop.config import load_config


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
    for example in ("# contact = ", "# group = ", "# [[components]]", "# disable = ", "# max_silence_minutes = 60"):
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
