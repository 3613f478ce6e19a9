"""The persistent cache: entries come back as stored, corrupt ones never, unused ones are pruned."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from inloop.build.cache import SCHEMA, Cache


def test_entries_round_trip_and_unused_ones_are_pruned(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    cache.put_many("page", {"a": b"A", "b": b"B", "c": b""})
    cache.close()
    again = Cache(tmp_path / "c")
    assert again.get_many("page", ["a", "c", "missing"]) == {"a": b"A", "c": b""}
    again.prune()  # 'b' was not used by this build
    again.close()
    last = Cache(tmp_path / "c")
    assert last.get_many("page", ["a", "b", "c"]) == {"a": b"A", "c": b""}


def test_a_corrupt_entry_is_ignored_not_served(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    cache.put_many("parsed", {"k": b"good bytes"})
    cache.close()
    with sqlite3.connect(tmp_path / "c" / "cache.sqlite3") as db:
        db.execute("UPDATE entries SET value = ? WHERE key = 'k'", (b"bad bytes!",))
    assert Cache(tmp_path / "c").get_many("parsed", ["k"]) == {}


def test_an_unusable_cache_folder_is_no_cache(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = Cache(blocker)
    cache.put_many("page", {"a": b"A"})
    assert cache.get_many("page", ["a"]) == {}


def test_a_warm_build_renders_nothing(tmp_path: Path) -> None:
    import shutil
    from datetime import UTC, datetime

    from inloop.build.builder import Builder

    repo = Path(__file__).resolve().parents[1]
    site = tmp_path / "site-src"
    site.mkdir()
    shutil.copy(repo / "inloop.toml", site)
    shutil.copytree(repo / "content", site / "content")
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    cold = Builder(site, tmp_path / "one").build(now)
    warm = Builder(site, tmp_path / "two").build(now)  # a new builder: memory empty, cache full
    assert cold.rendered > 50 and warm.rendered == 0
    one = {p.relative_to(tmp_path / "one"): p.read_bytes() for p in (tmp_path / "one").rglob("*") if p.is_file()}
    two = {p.relative_to(tmp_path / "two"): p.read_bytes() for p in (tmp_path / "two").rglob("*") if p.is_file()}
    assert one == two


def test_a_cache_this_build_made_has_nothing_to_prune(tmp_path: Path) -> None:
    """Every entry of a new cache is this build's, stored by it or by its workers (who said so with keep)."""
    cache = Cache(tmp_path / "c")
    cache.put_many("page", {"a": b"A"})
    worker = Cache(tmp_path / "c")  # another process's connection, as a worker has
    worker.put_many("page", {"b": b"B"})
    worker.close()
    cache.keep("page", ["b"])
    cache.prune()
    assert cache.get_many("page", ["a", "b"]) == {"a": b"A", "b": b"B"}
    cache.close()
    later = Cache(tmp_path / "c")  # the next build: it prunes what it does not use
    assert later.get_many("page", ["a"]) == {"a": b"A"}
    later.prune()
    later.close()
    assert Cache(tmp_path / "c").get_many("page", ["a", "b"]) == {"a": b"A"}


def test_a_new_cache_has_large_pages_and_an_older_one_keeps_its_own(tmp_path: Path) -> None:
    """Entries of a few kilobytes fit a 64 KiB page; a cache an older inloop made (4 KiB pages) still serves."""
    new = Cache(tmp_path / "new")
    new.put_many("page", {"k": b"x" * 9000})
    new.close()
    with sqlite3.connect(tmp_path / "new" / "cache.sqlite3") as db:
        assert db.execute("PRAGMA page_size").fetchone() == (65536,)
    (tmp_path / "old").mkdir()
    with sqlite3.connect(tmp_path / "old" / "cache.sqlite3") as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(SCHEMA)
    old = Cache(tmp_path / "old")
    old.put_many("page", {"k": b"y" * 9000})
    assert old.get_many("page", ["k"]) == {"k": b"y" * 9000}
    old.close()
    with sqlite3.connect(tmp_path / "old" / "cache.sqlite3") as db:
        assert db.execute("PRAGMA page_size").fetchone() == (4096,)
