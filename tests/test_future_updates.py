"""An update dated after the build time is reported even in a file with other mistakes."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from inloop.cli.main import main

REPO = Path(__file__).resolve().parents[1]


def test_future_update_is_reported_beside_other_errors_of_the_same_file(tmp_path: Path) -> None:
    site = tmp_path / "s"
    (site / "content" / "incidents").mkdir(parents=True)
    shutil.copy(REPO / "inloop.toml", site / "inloop.toml")
    (site / "content" / "incidents" / "bad.md").write_text(
        "---\ntitle: X\nimpact: huge\ncomponents: [api]\n---\n## 2026-12-20 14:02 UTC — Investigating\nText.\n"
    )
    result = CliRunner().invoke(main, ["build", "--source", str(site), "--now", "2026-11-26 12:00 UTC"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{site}/content/incidents/bad.md:3: 'impact' must be one of none, minor, major, critical; found 'huge'",
        f"{site}/content/incidents/bad.md:6: update at 2026-12-20 15:02 CET is after the build time "
        "2026-11-26 13:00 CET: is the time zone right?",
        "build failed: 2 errors; the site was not changed",
    ]
