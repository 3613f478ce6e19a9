"""Fixtures for the authoring commands: small sites, and a way to run a command that must work."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

#: A site with exactly one component: ``new incident`` needs no --component there.
ONE_COMPONENT = """\
title = "Solo Status"
base_url = "https://status.solo.example/"
timezone = "Europe/Berlin"

[[components]]
id = "app"
name = "The app"
"""


@pytest.fixture
def site(tmp_path: Path, make_site: Callable[..., Path]) -> Path:
    """The shared three-component site (api, dashboard, email; Europe/Berlin), no content."""
    return make_site(tmp_path / "site-src")


@pytest.fixture
def solo(tmp_path: Path, make_site: Callable[..., Path]) -> Path:
    """A site with one component, ``app``."""
    return make_site(tmp_path / "solo", config=ONE_COMPONENT)


@pytest.fixture
def ok(run_cli: Callable[..., Any]) -> Callable[..., Any]:
    """``ok(["update", ...], source)``: run a command that must succeed, with --source."""

    def run(args: list[str], source: Path, now: str = "2026-11-26 12:00 UTC") -> Any:
        result = run_cli([*args, "--source", str(source), "--now", now])
        assert result.exit_code == 0, result.stderr
        assert result.stderr == ""
        return result

    return run


@pytest.fixture
def fails(run_cli: Callable[..., Any]) -> Callable[..., str]:
    """``fails([...], source)`` → the one error line; the command must exit 1 and print nothing else."""

    def run(args: list[str], source: Path, now: str = "2026-11-26 12:00 UTC") -> str:
        result = run_cli([*args, "--source", str(source), "--now", now])
        assert result.exit_code == 1, (result.stdout, result.stderr)
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("error: ")
        assert "Traceback" not in result.stderr
        return str(lines[0]).removeprefix("error: ")

    return run
