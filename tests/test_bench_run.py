"""bench/run, the benchmark of issue 7, runs end to end on a small site."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "bench" / "run"
COLUMNS = [
    "n",
    "files",
    "mb",
    "cold_s",
    "naive_s",
    "cold_over_naive",
    "warm_s",
    "floor_s",
    "warm_over_floor",
    "nochange_s",
    "nochange_written",
    "edit_old_ms",
    "edit_open_ms",
    "template_s",
    "peak_rss_mb",
    "watch_rss_mb",
]
HEADER = ["N", "files", "MB", "cold s", "naive s", "cold/naive", "warm s", "io-floor s", "warm/floor"]


@pytest.mark.slow  # about 5 s on a quiet machine: some fifteen processes
def test_quick_run_prints_the_table_and_writes_json(tmp_path: Path) -> None:
    assert os.access(RUN, os.X_OK), "bench/run must be executable"
    results = tmp_path / "results"
    work = tmp_path / "work"
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    done = subprocess.run(
        [sys.executable, str(RUN), "--sizes", "100", "--quick", "--out", str(results), "--work", str(work)],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = lines[0].split()
    for title in HEADER:
        assert title.split()[0] in header
    row = lines[2].split()
    assert row[0] == "100"
    assert len(row) == len(COLUMNS)
    assert any(line.startswith("PASS  no-change rebuild writes 0 files") for line in lines)
    assert any("growth exponent" in line for line in lines)

    written = list(results.glob("*.json"))
    assert len(written) == 1
    document = json.loads(written[0].read_text("utf-8"))
    assert document["sizes"] == [100]
    assert document["quick"] is True
    assert document["code"]["snapshot"] is True
    assert list(document["columns"]) == COLUMNS
    (result,) = document["rows"]
    for key in COLUMNS:
        assert isinstance(result[key], int | float), key
        assert result[key] >= 0, key
    assert result["n"] == 100
    assert result["nochange_written"] == 0
    assert result["files"] > 100
    assert result["cold_over_naive"] == result["cold_s"] / result["naive_s"]
    assert {check["target"] for check in document["targets"]} >= {"no-change rebuild writes 0 files (every N)"}

    # the site is kept for the next run, the outputs are not, and the edits are undone
    site = work / "n100" / "site"
    assert (site / "inloop.toml").is_file()
    assert not (site / "templates").exists()
    assert not (work / "n100" / "out").exists()
    fresh = tmp_path / "fresh"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), "--incidents", "100", "--out", str(fresh)],
        check=True,
        capture_output=True,
    )
    for path in sorted((fresh / "content").rglob("*.md")):
        assert (site / path.relative_to(fresh)).read_bytes() == path.read_bytes(), path.name
