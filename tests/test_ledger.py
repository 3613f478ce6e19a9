"""``inloop build`` skips or restores a build whose exact inputs it has built before.

A ledger build must give the bytes of a real build, and every change of an
input (however small, whatever its timestamp) must lead to a real build.
Whether a build was real is seen by whether it read the content
(``Builder.load``).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from inloop.build import ledger
from inloop.build.builder import Builder
from inloop.build.writer import RECORD_NAME

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LONG_AGO = 1_600_000_000


@pytest.fixture(autouse=True)
def trust_fresh_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test writes its inputs a moment before building: let the ledger trust them."""
    monkeypatch.setattr(ledger, "RACY_NS", 0)


class CountingBuilder(Builder):
    loads = 0

    def load(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        CountingBuilder.loads += 1
        return super().load(*args, **kwargs)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def build_once(source: Path, output: Path, now: datetime = NOW, base_url: str | None = None) -> tuple[bool, object]:
    """(whether the build was real, its report)"""
    before = CountingBuilder.loads
    report = CountingBuilder(source, output, base_url=base_url).build_once(now)
    return CountingBuilder.loads > before, report


def cold(source: Path, tmp_path: Path, now: datetime = NOW, base_url: str | None = None) -> dict[str, bytes]:
    folder = tmp_path / f"cold-{len(list(tmp_path.iterdir()))}"
    Builder(source, folder, cache_dir=None, base_url=base_url).build(now)
    return tree(folder)


@pytest.fixture(scope="module")
def example_built_once(tmp_path_factory: pytest.TempPathFactory, copy_example_to: Callable[[Path], Path]) -> Path:
    """The example's source (``example/``, its ledger in ``.inloop-cache``) and output (``out/``) after one build.

    Many tests start from that state; a copy of it (timestamps kept) is what a fresh build gives.
    """
    root = tmp_path_factory.mktemp("ledger-built")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ledger, "RACY_NS", 0)
        real, report = build_once(copy_example_to(root / "example"), root / "out")
    assert real and report.written  # type: ignore[attr-defined]
    return root


@pytest.fixture
def built_copy(example_built_once: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(source, output) of the example as after one build, in ``tmp_path``: ``example/`` and ``out/``."""
    for name in ("example", "out"):
        shutil.copytree(example_built_once / name, tmp_path / name, symlinks=True)
    return tmp_path / "example", tmp_path / "out"


@pytest.fixture(scope="module")
def example_cold(tmp_path_factory: pytest.TempPathFactory, copy_example_to: Callable[[Path], Path]) -> dict[str, bytes]:
    """The files of the example built at NOW without a cache."""
    root = tmp_path_factory.mktemp("ledger-cold")
    return cold(copy_example_to(root / "example"), root)


def test_an_unchanged_site_is_not_built_again(example_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    real, first = build_once(example_copy, out)
    assert real and first.written  # type: ignore[attr-defined]
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    real, again = build_once(example_copy, out)
    assert not real
    assert again.written == [] and again.files == first.files  # type: ignore[attr-defined]
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


def test_the_command_says_when_the_ledger_knew_the_inputs(
    example_copy: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    out = tmp_path / "out"
    command = ["build", "--source", str(example_copy), "--output", str(out), "--now", "2026-11-26 12:00 UTC"]
    first = run_cli(command)
    assert first.exit_code == 0 and "nothing rendered" not in first.stdout
    again = run_cli(command)
    assert again.exit_code == 0
    assert again.stdout.endswith(
        f"0 written, 0 removed, output in {out} (inputs as at the last build: output checked, nothing rendered)\n"
    )


def test_an_empty_output_is_restored_from_the_cache_byte_for_byte(
    built_copy: tuple[Path, Path], example_cold: dict[str, bytes]
) -> None:
    example, out = built_copy
    expected = tree(out)
    shutil.rmtree(out)
    real, report = build_once(example, out)
    assert not real
    assert tree(out) == expected == example_cold
    assert sorted(report.written) == sorted(p for p in expected if p != RECORD_NAME)  # type: ignore[attr-defined]


def test_another_output_folder_is_filled_from_the_same_ledger(built_copy: tuple[Path, Path], tmp_path: Path) -> None:
    """A CI job that restores the cache and builds into a fresh folder of another name."""
    example, out = built_copy
    real, report = build_once(example, tmp_path / "second")
    assert not real and report.written  # type: ignore[attr-defined]
    assert tree(tmp_path / "second") == tree(out)
    real, again = build_once(example, tmp_path / "second")
    assert not real and again.written == []  # type: ignore[attr-defined]
    (out / "index.html").unlink()  # each folder is checked on its own
    real, first = build_once(example, out)
    assert not real and first.written == ["index.html"]  # type: ignore[attr-defined]


def test_output_files_changed_or_deleted_by_hand_are_restored(built_copy: tuple[Path, Path]) -> None:
    example, out = built_copy
    expected = tree(out)
    (out / "index.html").write_text("defaced")
    (out / "history" / "index.html").unlink()
    real, report = build_once(example, out)
    assert not real
    assert report.written == ["history/index.html", "index.html"]  # type: ignore[attr-defined]
    assert tree(out) == expected
    real, report = build_once(example, out)  # and the ledger now knows the restored files
    assert not real and report.written == []  # type: ignore[attr-defined]


def _edit_content(source: Path) -> None:
    path = sorted((source / "content" / "incidents").glob("*.md"))[0]
    data = path.read_bytes()
    index = data.rindex(b"e")
    path.write_bytes(data[:index] + b"E" + data[index + 1 :])  # same size
    os.utime(path, ns=(LONG_AGO * 10**9, LONG_AGO * 10**9))  # and an old timestamp


def _add_template(source: Path) -> None:
    (source / "templates").mkdir(exist_ok=True)
    (source / "templates" / "footer.html").write_text('{% extends "!theme/footer.html" %}\n')


def _add_static(source: Path) -> None:
    (source / "static").mkdir(exist_ok=True)
    (source / "static" / "extra.txt").write_text("hello\n")


def _edit_config(source: Path) -> None:
    config = source / "inloop.toml"
    config.write_text(config.read_text().replace('title = "', 'title = "New ', 1))


def _add_locale(source: Path) -> None:
    (source / "locale").mkdir()
    (source / "locale" / "en.po").write_text('msgid "History"\nmsgstr "Past incidents"\n')


def _new_incident(source: Path) -> None:
    first = sorted((source / "content" / "incidents").glob("*.md"))[0]
    shutil.copy(first, first.with_name("zz-copy.md"))


def _remove_incident(source: Path) -> None:
    sorted((source / "content" / "incidents").glob("*.md"))[0].unlink()


@pytest.mark.parametrize(
    "change",
    [_edit_content, _add_template, _add_static, _edit_config, _add_locale, _new_incident, _remove_incident],
)
def test_any_change_of_an_input_builds_for_real(
    change: Callable[[Path], None], built_copy: tuple[Path, Path], tmp_path: Path
) -> None:
    example, out = built_copy
    change(example)
    real, _ = build_once(example, out)
    assert real
    assert tree(out) == {**cold(example, tmp_path), RECORD_NAME: (out / RECORD_NAME).read_bytes()}
    assert not build_once(example, out)[0]  # the new inputs have their own ledger


def test_another_build_time_or_base_url_builds_for_real(built_copy: tuple[Path, Path], tmp_path: Path) -> None:
    example, out = built_copy
    assert build_once(example, out, NOW + timedelta(minutes=1))[0]
    assert tree(out) == cold(example, tmp_path, NOW + timedelta(minutes=1))
    assert build_once(example, out, NOW + timedelta(minutes=1), "https://preview.example/")[0]
    assert tree(out) == cold(example, tmp_path, NOW + timedelta(minutes=1), "https://preview.example/")


def test_touching_inputs_without_changing_them_keeps_the_ledger(built_copy: tuple[Path, Path]) -> None:
    """A fresh checkout with a restored cache (CI): new timestamps, same bytes."""
    example, out = built_copy
    for path in example.rglob("*"):
        os.utime(path, ns=(LONG_AGO * 10**9, LONG_AGO * 10**9))
    assert not build_once(example, out)[0]


def test_a_corrupt_ledger_or_a_pruned_page_means_a_real_build(built_copy: tuple[Path, Path], tmp_path: Path) -> None:
    example, out = built_copy
    database = example / ".inloop-cache" / "cache.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute("UPDATE entries SET value = ? WHERE kind = ?", (b"garbage", ledger.KIND))
    assert build_once(example, out)[0]
    expected = tree(out)
    shutil.rmtree(out)
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM entries WHERE rowid IN (SELECT rowid FROM entries WHERE kind = 'page' LIMIT 3)")
    assert build_once(example, out)[0]
    assert tree(out) == expected
    assert [p.name for p in tmp_path.iterdir() if "staging" in p.name] == []  # the restore's staging is gone


def test_a_new_folder_is_restored_whole_and_moved_in(
    built_copy: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import inloop.build.ledger_io

    example_copy, first = built_copy
    staged: list[Path | None] = []
    real_staging = inloop.build.ledger_io.staging_folder

    def spy(output: Path) -> Path | None:
        staged.append(real_staging(output))
        return staged[-1]

    monkeypatch.setattr(inloop.build.ledger_io, "staging_folder", spy)
    real, _ = build_once(example_copy, tmp_path / "second")
    assert not real and staged == [tmp_path / f".second.inloop-staging-{os.getpid()}"]
    assert tree(tmp_path / "second") == tree(first)
    assert not list(tmp_path.glob(".second.inloop-staging*"))
    (tmp_path / "third").mkdir()
    (tmp_path / "third" / "notes.txt").write_text("not inloop's\n")
    real, _ = build_once(example_copy, tmp_path / "third")  # a folder with something in it: file by file
    assert not real and staged[-1] is None
    assert tree(tmp_path / "third") == {**tree(first), "notes.txt": b"not inloop's\n"}


def test_files_of_an_older_build_in_the_output_mean_a_real_build(built_copy: tuple[Path, Path], tmp_path: Path) -> None:
    example_copy, out = built_copy
    _new_incident(example_copy)
    build_once(example_copy, out)  # makes incidents/zz-copy/
    (example_copy / "content" / "incidents" / "zz-copy.md").unlink()
    saved = tmp_path / "with-copy"
    shutil.copytree(out, saved)
    build_once(example_copy, out)  # the first inputs again: the ledger of the first build
    shutil.rmtree(out)
    shutil.copytree(saved, out)  # but the output still holds the copy's page
    real, report = build_once(example_copy, out)
    assert real and "incidents/zz-copy/index.html" in report.removed  # type: ignore[attr-defined]
    assert not (out / "incidents" / "zz-copy").exists()


def test_no_ledger_for_fresh_files_or_links(
    example_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr(ledger, "RACY_NS", 2_000_000_000)
    build_once(example_copy, out)  # its inputs were written just now: too fresh to vouch for
    assert build_once(example_copy, out)[0]
    monkeypatch.setattr(ledger, "RACY_NS", 0)
    (example_copy / "static").mkdir(exist_ok=True)
    (example_copy / "static" / "link.txt").symlink_to(example_copy / "inloop.toml")
    build_once(example_copy, out)
    assert build_once(example_copy, out)[0]


def test_without_a_cache_every_build_is_real(example_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    for _ in range(2):
        before = CountingBuilder.loads
        CountingBuilder(example_copy, out, cache_dir=None).build_once(NOW)
        assert CountingBuilder.loads > before


def count_reads(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Reads of each file name: the build's (``Path.read_bytes``) and the ledger's scan (``open``)."""
    reads: dict[str, int] = {}
    real = Path.read_bytes

    def counting(self: Path) -> bytes:
        reads[self.name] = reads.get(self.name, 0) + 1
        return real(self)

    real_read = ledger.read_file

    def counting_read(path: str, size: int) -> bytes:
        reads[os.path.basename(path)] = reads.get(os.path.basename(path), 0) + 1
        return real_read(path, size)

    monkeypatch.setattr(Path, "read_bytes", counting)
    monkeypatch.setattr(ledger, "read_file", counting_read)
    return reads


@pytest.mark.parametrize("now_size", [0, 5, 4096, 70_000, 200_000])
def test_the_scan_reads_a_file_whole_whatever_its_size_was_when_listed(tmp_path: Path, now_size: int) -> None:
    path = tmp_path / "grown.md"
    data = bytes(range(256)) * (now_size // 256) + b"x" * (now_size % 256)
    path.write_bytes(data)
    for listed in (0, 1, now_size, now_size + 10, 100_000):  # it grew, or shrank, since the listing
        assert ledger.read_file(str(path), listed) == data


def a_cache_without_the_content(source: Path) -> None:
    """A cache that holds something, but nothing of this content: the build scans its inputs, then parses."""
    from inloop.build.cache import CACHE_DIR, Cache

    cache = Cache(source / CACHE_DIR)
    cache.put_many("other", {"key": b"value"})
    cache.close()


def test_the_build_after_the_scan_reads_each_content_file_once_more(
    example_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, example_cold: dict[str, bytes]
) -> None:
    """The ledger's scan hashes every input: the load takes its digests instead of hashing again."""
    import inloop.build.parallel

    a_cache_without_the_content(example_copy)
    monkeypatch.setattr(inloop.build.parallel, "available_cores", lambda: 1)  # every read in this process
    reads = count_reads(monkeypatch)
    real, _ = build_once(example_copy, tmp_path / "out")
    assert real
    incidents = [p.name for p in (example_copy / "content" / "incidents").glob("*.md")]
    assert incidents and all(reads[name] == 2 for name in incidents)  # scanned, then parsed
    assert tree(tmp_path / "out") == example_cold


@pytest.mark.parametrize("cores", [1, 2])
def test_a_first_build_into_a_new_cache_reads_each_content_file_once(
    example_copy: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    large_site: Path,
    cores: int,
) -> None:
    """No ledger can be in a new cache: the inputs are listed, and each file is hashed by its parser.

    The ledger made of those digests serves the next build, byte for byte.
    """
    import inloop.build.parallel

    monkeypatch.setattr(inloop.build.parallel, "available_cores", lambda: cores)
    site = example_copy
    if cores > 1:  # enough files to fork: the worker reads and hashes its share
        site = tmp_path / "site"
        shutil.copytree(large_site, site)
    expected = cold(site, tmp_path)
    reads = count_reads(monkeypatch)
    real, _ = build_once(site, tmp_path / "out")
    assert real
    incidents = [p.name for p in (site / "content" / "incidents").glob("*.md")]
    if cores == 1:
        assert incidents and all(reads[name] == 1 for name in incidents)
    assert tree(tmp_path / "out") == expected
    shutil.rmtree(tmp_path / "out")
    real, report = build_once(site, tmp_path / "out")
    assert not real and report.written  # type: ignore[attr-defined]
    assert tree(tmp_path / "out") == expected


@pytest.mark.parametrize("scan", ["list_inputs", "scan_inputs"])
def test_a_file_saved_between_the_scan_and_the_load_is_read_again(
    example_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scan: str
) -> None:
    """``list_inputs``: a first build into a new cache; ``scan_inputs``: a cache that holds something."""
    if scan == "scan_inputs":
        a_cache_without_the_content(example_copy)
    victim = sorted((example_copy / "content" / "incidents").glob("*.md"))[0]
    real_scan = getattr(ledger, scan)

    def saving_after_the_scan(*args: Any) -> Any:
        inputs = real_scan(*args)
        victim.write_text(victim.read_text().rstrip() + "\n\nSaved right after the scan.\n")
        return inputs

    monkeypatch.setattr(ledger, scan, saving_after_the_scan)
    real, _ = build_once(example_copy, tmp_path / "out")
    assert real
    page = tmp_path / "out" / "incidents" / victim.stem / "index.html"
    assert "Saved right after the scan." in page.read_text()
    monkeypatch.setattr(ledger, scan, real_scan)
    assert build_once(example_copy, tmp_path / "out")[0]  # no ledger vouches for the bytes first scanned


@pytest.fixture(scope="module")
def large_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough files for the build to fork, so that the inputs are checked while the worker renders."""
    from bench_support import generated_site

    return generated_site(tmp_path_factory, 120, 5, NOW)


@pytest.mark.parametrize("scan", ["list_inputs", "scan_inputs"])
def test_a_file_saved_after_the_scan_of_a_forked_build_leaves_no_ledger(
    large_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scan: str
) -> None:
    """Saved back as it was, the file hashes as first scanned: a ledger stored then would restore the wrong page."""
    site = tmp_path / "site"
    shutil.copytree(large_site, site)
    if scan == "scan_inputs":
        a_cache_without_the_content(site)
    victim = sorted((site / "content" / "incidents").glob("*.md"))[-1]
    original = victim.read_bytes()
    real_scan = getattr(ledger, scan)

    def saving_after_the_scan(*args: Any) -> Any:
        inputs = real_scan(*args)
        victim.write_bytes(original.rstrip() + b"\n\nSaved right after the scan.\n")
        return inputs

    monkeypatch.setattr(ledger, scan, saving_after_the_scan)
    assert build_once(site, tmp_path / "out")[0]
    page = tmp_path / "out" / "incidents" / victim.stem / "index.html"
    assert "Saved right after the scan." in page.read_text()
    monkeypatch.setattr(ledger, scan, real_scan)
    victim.write_bytes(original)
    shutil.rmtree(tmp_path / "out")
    assert build_once(site, tmp_path / "out")[0]  # real: the bytes the first scan hashed were never built
    assert "Saved right after the scan." not in page.read_text()


def test_a_file_deleted_between_the_listing_and_its_parse_is_reported(
    example_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first build reads each content file only when it parses it: one gone by then is a clear error."""
    from inloop.errors import BuildError

    victim = sorted((example_copy / "content" / "incidents").glob("*.md"))[0]
    real_list = ledger.list_inputs

    def deleting_after_the_listing(*args: Any) -> Any:
        listing = real_list(*args)
        victim.unlink()
        return listing

    monkeypatch.setattr(ledger, "list_inputs", deleting_after_the_listing)
    with pytest.raises(BuildError) as failed:
        build_once(example_copy, tmp_path / "out")
    shown = [str(problem) for problem in failed.value.problems]
    assert any(line.endswith(f"{victim.name}:1: cannot read: No such file or directory") for line in shown), shown
    assert not (tmp_path / "out").exists()
