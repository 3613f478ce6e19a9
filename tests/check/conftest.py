"""Fixtures for ``inloop check`` and ``inloop stats``: a small UTC site, and running the linter in it.

The site's times are in UTC so that messages read as the author wrote the
times; the commands run with the site as the working directory, so paths in
the output are ``content/incidents/<id>.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from check_texts import NOW, SITE_CONFIG, Checked


@pytest.fixture
def site(tmp_path: Path, make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """``site(incidents={...}, config_extra="...")``: a site in tmp_path, made the working directory."""

    def make(
        incidents: dict[str, str] | None = None,
        maintenance: dict[str, str] | None = None,
        config_extra: str = "",
        config: str = SITE_CONFIG,
    ) -> Path:
        root = make_site(
            tmp_path / "site-src", incidents=incidents, maintenance=maintenance, config=config + config_extra
        )
        monkeypatch.chdir(root)
        return root

    return make


@pytest.fixture
def lint(run_cli: Callable[..., Any]) -> Callable[..., Checked]:
    """``lint()`` runs ``inloop check --source . --now NOW`` in the current folder."""

    def run(*extra: str, now: str = NOW, command: str = "check") -> Checked:
        result = run_cli([command, "--source", ".", "--now", now, *extra])
        return Checked(result.exit_code, result.stdout.splitlines(), result.stderr.splitlines())

    return run
