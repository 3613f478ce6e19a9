"""The test site's config, a command's result and templates over given files: shared by conftest.py and the tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from inloop.render.templates import Templates

#: A small site: three components in two groups, times in Europe/Berlin.
CONFIG = """\
title = "Test Status"
base_url = "https://status.test.example/"
timezone = "Europe/Berlin"
description = "Status of the test services"

[[components]]
id = "api"
name = "Public API"
group = "Platform"

[[components]]
id = "dashboard"
name = "Dashboard"
group = "Platform"

[[components]]
id = "email"
name = "Email delivery"
group = "Communication"
"""


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return self.stderr.splitlines()


def templates_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: Mapping[str, str], *, stock: bool
) -> Templates:
    """Templates over ``files`` (written to ``tmp_path/templates``), with Jinja's shortcuts on or, ``stock``, off."""
    from inloop import i18n
    from inloop.render.jinja_speed import STOCK_SWITCH
    from inloop.render.templates import Templates

    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    if stock:
        monkeypatch.setenv(STOCK_SWITCH, "1")
    else:
        monkeypatch.delenv(STOCK_SWITCH, raising=False)
    made = Templates(tmp_path, ".", i18n.translations("en"))
    assert made.stock is stock
    return made
