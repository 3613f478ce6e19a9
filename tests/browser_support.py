"""Playwright with Debian's chromium, for any test folder that drives a real browser.

``playwright install`` cannot download browsers on these machines, so
Playwright is pointed at ``/usr/bin/chromium`` (``apt-get install chromium``).
Use it from a ``conftest.py`` that works with pytest-playwright's ``page``::

    import browser_support

    @pytest.fixture(scope="session")
    def browser_type_launch_args(browser_type_launch_args):
        return browser_support.launch_args(browser_type_launch_args)

or with ``playwright.sync_api.sync_playwright()`` directly::

    browser = playwright.chromium.launch(**browser_support.launch_args())

Without chromium a test is skipped with the reason, unless ``CI`` is set: in
CI the browser tests must run, so there the launch fails loudly instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from typing import Any

import pytest

#: Flags that keep chromium quiet and working in a container without a network.
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_path() -> str | None:
    """Debian's chromium, or None when it is not installed."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


def require_chromium() -> str:
    """The chromium binary; skips the test when there is none, unless ``CI`` is set."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            return "/usr/bin/chromium"  # let the launch fail: CI must run the browser tests
        pytest.skip("chromium is not installed (apt-get install chromium); set CI=1 to make this a failure")
    return path


def launch_args(base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Keyword arguments for ``chromium.launch()``: Debian's binary and quiet flags."""
    args = dict(base or {})
    flags = [*args.get("args", []), *(f for f in CHROMIUM_FLAGS if f not in args.get("args", []))]
    return {**args, "executable_path": require_chromium(), "args": flags}
