"""What ``inloop build`` imports: not the other commands' libraries, whose import every build would pay."""

from __future__ import annotations

import subprocess
import sys

from inloop.cli import importing
from inloop.importer import feed


def test_the_import_deadline_is_the_importers() -> None:
    assert importing.DEFAULT_DEADLINE == feed.DEFAULT_DEADLINE


def test_the_command_line_loads_no_checker_importer_or_feed_parser() -> None:
    heavy = ("inloop.check", "inloop.importer", "feedparser")
    code = f"import sys, inloop.cli.main\nprint(' '.join(sorted(m for m in sys.modules if m.startswith({heavy!r}))))"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert found == []
