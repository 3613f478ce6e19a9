"""Writing the site: only changed bytes, removal of what inloop made and no longer makes, nothing else."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inloop.build.writer import RECORD_NAME, check_output, read_record, write_file, write_site
from inloop.errors import UsageError

NOW = "2026-11-26 12:00 UTC"
Snapshot = Callable[[Path], dict[str, tuple[str, int]]]

INCIDENT = (
    "---\ntitle: {title}\nimpact: minor\ncomponents: [api]\n---\n"
    "## 2026-11-20 14:02 UTC — Investigating\nLooking.\n\n## 2026-11-20 15:00 UTC — Resolved\nFixed.\n"
)


def age(folder: Path) -> None:
    """Set every mtime an hour back, so that a rewrite would show even on a coarse clock."""
    for path in folder.rglob("*"):
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - 3_600_000_000_000))


@pytest.fixture
def site_source(tmp_path: Path, make_site: Callable[..., Path]) -> Path:
    return make_site(
        tmp_path / "src",
        incidents={
            "2026-11-20-api": INCIDENT.format(title="API errors"),
            "2026-11-21-email": INCIDENT.format(title="Email delays").replace("2026-11-20", "2026-11-21"),
        },
    )


def test_a_second_build_with_no_change_writes_nothing(
    site_source: Path, build: Callable[..., Path], run_cli: Callable[..., Any], snapshot: Snapshot
) -> None:
    output = build(site_source)
    age(output)
    before = snapshot(output)
    result = run_cli(["build", "--source", str(site_source), "--now", NOW])
    assert result.exit_code == 0
    assert " 0 written, 0 removed" in result.stdout
    assert snapshot(output) == before


def test_a_change_rewrites_only_the_files_whose_bytes_change(
    site_source: Path, build: Callable[..., Path], snapshot: Snapshot
) -> None:
    output = build(site_source)
    age(output)
    before = snapshot(output)
    path = site_source / "content" / "incidents" / "2026-11-21-email.md"
    path.write_text(path.read_text("utf-8").replace("Fixed.", "Fixed for good."), "utf-8")
    build(site_source)
    after = snapshot(output)
    assert after.keys() == before.keys()
    changed = {name for name in after if after[name] != before[name]}
    assert "incidents/2026-11-21-email/index.html" in changed
    assert "feed.xml" in changed
    assert "incidents/2026-11-20-api/index.html" not in changed
    assert "404.html" not in changed
    for name in changed:  # a changed mtime always comes with changed bytes
        assert after[name][0] != before[name][0], name


def test_files_of_a_deleted_incident_are_removed(
    site_source: Path, build: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    output = build(site_source)
    assert (output / "incidents" / "2026-11-21-email" / "index.html").is_file()
    (site_source / "content" / "incidents" / "2026-11-21-email.md").unlink()
    result = run_cli(["build", "--source", str(site_source), "--now", NOW])
    assert result.exit_code == 0
    assert not (output / "incidents" / "2026-11-21-email").exists()  # the emptied folder goes too
    assert (output / "incidents" / "2026-11-20-api" / "index.html").is_file()
    record = json.loads((output / RECORD_NAME).read_text("utf-8"))
    assert "incidents/2026-11-21-email/index.html" not in record["files"]
    assert "incidents/2026-11-20-api/index.html" in record["files"]


def test_a_file_inloop_did_not_make_is_never_deleted(site_source: Path, build: Callable[..., Path]) -> None:
    output = build(site_source)
    theirs = [
        output / "CNAME",
        output / "incidents" / "2026-11-21-email" / "notes.txt",
        output / "incidents" / "hand-made" / "index.html",
        output / "assets" / "logo.svg",
    ]
    for path in theirs:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("mine", "utf-8")
    (site_source / "content" / "incidents" / "2026-11-21-email.md").unlink()
    build(site_source)
    assert not (output / "incidents" / "2026-11-21-email" / "index.html").exists()
    for path in theirs:
        assert path.read_text("utf-8") == "mine", path


def test_a_lost_or_broken_record_deletes_nothing(site_source: Path, build: Callable[..., Path]) -> None:
    output = build(site_source)
    (site_source / "content" / "incidents" / "2026-11-21-email.md").unlink()
    (output / RECORD_NAME).write_text("{not json", "utf-8")
    build(site_source)
    # without a record inloop cannot know it made this page, so it stays
    assert (output / "incidents" / "2026-11-21-email" / "index.html").is_file()
    assert "incidents/2026-11-20-api/index.html" in read_record(output)


def test_the_record_lists_what_was_made(site_source: Path, build: Callable[..., Path]) -> None:
    output = build(site_source)
    made = read_record(output)
    on_disk = sorted(p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file())
    assert sorted([*made, RECORD_NAME]) == [p for p in on_disk if not p.startswith(".inloop-cache")]
    assert made == sorted(made)


def test_no_temporary_files_are_left(site_source: Path, build: Callable[..., Path]) -> None:
    output = build(site_source)
    assert not [p for p in output.rglob("*") if p.name.startswith(".inloop-") and p.name.endswith(".tmp")]


def test_write_file_writes_only_changed_bytes(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b.html"
    assert write_file(target, b"one") is True
    assert target.read_bytes() == b"one"
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)
    assert write_file(target, b"one") is False
    assert write_file(target, b"two") is True
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["b.html"]


def test_write_site_reports_and_removes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = write_site(out, {"index.html": b"i", "a/b/index.html": b"b", "a/c.html": b"c"})
    assert sorted(first.written) == ["a/b/index.html", "a/c.html", "index.html"]
    second = write_site(out, {"index.html": b"i2", "a/c.html": b"c"})
    assert second.written == ["index.html"]
    assert second.removed == ["a/b/index.html"]
    assert second.unchanged == 1
    assert not (out / "a" / "b").exists()
    assert (out / "a" / "c.html").is_file()


def test_write_site_refuses_paths_outside_the_output(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=re.escape("refusing to write outside the output folder: ../evil.html")):
        write_site(tmp_path / "out", {"../evil.html": b"x"})
    assert not (tmp_path / "evil.html").exists()


def test_check_output(tmp_path: Path) -> None:
    source = tmp_path / "site-src"
    source.mkdir()
    check_output(source, source / "site")  # inside the source: fine
    check_output(source, tmp_path / "elsewhere")
    for output in (source, tmp_path, source / ".."):
        with pytest.raises(UsageError) as caught:
            check_output(source, output)
        assert str(caught.value) == f"refusing to build into {output}: it is or contains the source folder {source}"


def test_check_output_sees_through_symlinks(tmp_path: Path) -> None:
    source = tmp_path / "site-src"
    source.mkdir()
    (tmp_path / "link").symlink_to(source)
    with pytest.raises(UsageError):
        check_output(source, tmp_path / "link")


def test_a_record_edited_by_hand_never_deletes_outside_the_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    outside = tmp_path / "precious.txt"
    outside.write_text("keep", "utf-8")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "x").mkdir(parents=True)
    (elsewhere / "x" / "index.html").write_text("keep", "utf-8")
    out.mkdir()
    (out / "linked").symlink_to(elsewhere)
    (out / "folder" / "index.html").mkdir(parents=True)  # a record entry that is now a folder
    record = {
        "generator": "inloop",
        "files": ["../precious.txt", str(outside), "linked/x/index.html", "folder/index.html", "gone.html"],
    }
    (out / RECORD_NAME).write_text(json.dumps(record), "utf-8")
    report = write_site(out, {"index.html": b"i"})
    assert report.written == ["index.html"]
    assert report.removed == []
    assert outside.read_text("utf-8") == "keep"
    assert (elsewhere / "x" / "index.html").read_text("utf-8") == "keep"
    assert (out / "folder" / "index.html").is_dir()
    assert read_record(out) == ["index.html"]
