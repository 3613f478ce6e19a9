"""Fixtures of the subscription tests live in subs_fixtures.py, importable by the tests too."""

import browser_support
import pytest
from subs_fixtures import database_url, postgres_server, running, running_any, smtp_server

__all__ = ["database_url", "postgres_server", "running", "running_any", "smtp_server"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    """pytest-playwright launches Debian's chromium (see tests/browser_support.py)."""
    return browser_support.launch_args(browser_type_launch_args)
