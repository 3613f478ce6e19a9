"""The same content and build time give byte-identical output."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inloop.build.builder import Builder

NOW = "2026-11-26 12:00 UTC"
NOW_EPOCH = str(int(datetime(2026, 11, 26, 12, 0, tzinfo=UTC).timestamp()))


def tree(folder: Path) -> dict[str, str]:
    """Every file's SHA-256, the build record included."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_two_builds_give_identical_trees(
    tmp_path: Path, example_copy: Path, build: Callable[..., Path], example_site: Path
) -> None:
    one = build(example_copy, tmp_path / "one")
    two = build(example_copy, tmp_path / "two")
    assert tree(one) == tree(two)
    assert len(tree(one)) > 25
    # the session's build of the same example, in another process state and folder, agrees too
    assert tree(example_site) == tree(one)


def test_source_date_epoch_works_like_now(
    tmp_path: Path, example_copy: Path, build: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    with_now = build(example_copy, tmp_path / "now")
    result = run_cli(
        ["build", "--source", str(example_copy), "--output", str(tmp_path / "epoch")],
        env={"SOURCE_DATE_EPOCH": NOW_EPOCH},
    )
    assert result.exit_code == 0, result.stderr
    assert tree(tmp_path / "epoch") == tree(with_now)
    # --now wins over SOURCE_DATE_EPOCH
    result = run_cli(
        ["build", "--source", str(example_copy), "--output", str(tmp_path / "both"), "--now", NOW],
        env={"SOURCE_DATE_EPOCH": "0"},
    )
    assert result.exit_code == 0, result.stderr
    assert tree(tmp_path / "both") == tree(with_now)
    # and --now as Unix seconds is the same moment
    assert tree(build(example_copy, tmp_path / "seconds", NOW_EPOCH)) == tree(with_now)


def test_another_build_time_changes_what_depends_on_it(
    tmp_path: Path, example_copy: Path, build: Callable[..., Path], example_site: Path
) -> None:
    first = tree(example_site)  # the example built at NOW
    later = tree(build(example_copy, tmp_path / "b", "2026-11-26 12:30 UTC"))
    open_incident = "incidents/2026-11-26-search-failures/index.html"
    assert first[open_incident] != later[open_incident]  # its "duration so far"
    # a resolved incident's page does not depend on the build time
    resolved = "incidents/2026-11-20-email-delays-some-recipients/index.html"
    assert first[resolved] == later[resolved]


def test_a_reused_builder_gives_the_bytes_of_a_fresh_one(tmp_path: Path, example_copy: Path) -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    warm = Builder(example_copy, tmp_path / "warm")
    warm.build(now)
    incident = example_copy / "content" / "incidents" / "2026-11-26-search-failures.md"
    incident.write_text(
        incident.read_text("utf-8") + "\n## 2026-11-26 11:50 UTC — Monitoring\nSearch works again.\n", "utf-8"
    )
    warm.build(now)
    Builder(example_copy, tmp_path / "cold").build(now)
    assert tree(tmp_path / "warm") == tree(tmp_path / "cold")
