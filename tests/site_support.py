"""The test site's config and a command's result: shared by conftest.py and the tests that import them."""

from __future__ import annotations

from dataclasses import dataclass

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
