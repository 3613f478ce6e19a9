"""The Nu HTML Checker (``vnu-jar`` from npm, run with Java) on every page of the built example site.

One Java start for all pages: ``vnu.jar --errors-only`` prints to stderr and
exits 1 when it finds an error.  ``scripts/test`` installs it (``npm ci``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow  # Java and the Nu HTML Checker from npm, which --quick does not install

VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def vnu_command() -> list[str]:
    java = shutil.which("java")
    if java is None or not VNU.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the Nu HTML Checker needs java and {VNU} (npm ci)")
        pytest.skip(f"the Nu HTML Checker needs java and {VNU}: run npm ci (scripts/test does); set CI=1 to fail")
    return [java, "-jar", str(VNU), "--errors-only"]


def test_every_page_is_valid_html(example_site: Path) -> None:
    pages = sorted(str(path) for path in example_site.rglob("*.html"))
    assert len(pages) > 20
    done = subprocess.run([*vnu_command(), *pages], capture_output=True, text=True, timeout=120, check=False)
    report = (done.stderr + done.stdout).replace(str(example_site), "site")
    assert done.returncode == 0 and not report.strip(), report
