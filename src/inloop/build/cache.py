"""A persistent, content-addressed cache of parsed files and rendered pages.

Entries are keyed by hashes of everything they were made from (the inloop
version, the Markdown settings, a file's bytes, the templates and config a
page used, the build time where the output depends on it), so a stale entry
is simply never asked for.  Each value is stored with its own SHA-256 and
checked on the way out: a corrupt entry is ignored and rebuilt, never served.
One SQLite file, because ten thousand small files would cost more to read
than the work they save.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

CACHE_DIR = ".inloop-cache"
SCHEMA = "CREATE TABLE IF NOT EXISTS entries (kind TEXT, key TEXT, digest BLOB, value BLOB, PRIMARY KEY (kind, key))"
BATCH = 500
#: SQLite's largest page.  Entries are pages and parsed files of a few kilobytes: in the default 4 KiB
#: pages most of them took overflow pages, so a first build at 10,000 incidents wrote a file of 82 MB
#: in 89,000 writes; in these it is 40 MB in 4,400.
PAGE_SIZE = 65536


class Cache:
    """Get and put many entries at once; every failure degrades to a miss."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._db: sqlite3.Connection | None = None
        self.used: dict[str, set[str]] = {}
        #: Made by this process's build: everything in it is this build's, nothing to prune.
        self._fresh = False

    def _connect(self) -> sqlite3.Connection | None:
        if self.folder is None:
            return None
        if self._db is None:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                gitignore = self.folder / ".gitignore"
                if not gitignore.exists():
                    gitignore.write_text("*\n")
                path = self.folder / "cache.sqlite3"
                self._fresh = not path.exists()
                db = sqlite3.connect(path, timeout=5, check_same_thread=False)
                db.execute(f"PRAGMA page_size={PAGE_SIZE}")  # a new file only: one an older inloop made keeps its own
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=OFF")
                db.execute(SCHEMA)
                self._db = db
            except (OSError, sqlite3.Error):
                self.folder = None  # an unusable cache is no cache
                return None
        return self._db

    def is_new(self) -> bool:
        """Whether this process made the cache (or has none): it holds nothing a build could take."""
        return self._connect() is None or self._fresh

    def get_many(self, kind: str, keys: Iterable[str]) -> dict[str, bytes]:
        wanted = list(dict.fromkeys(keys))
        self.used.setdefault(kind, set()).update(wanted)
        db = self._connect()
        found: dict[str, bytes] = {}
        if db is None or not wanted:
            return found
        try:
            for start in range(0, len(wanted), BATCH):
                chunk = wanted[start : start + BATCH]
                marks = ",".join("?" * len(chunk))
                rows = db.execute(
                    f"SELECT key, digest, value FROM entries WHERE kind = ? AND key IN ({marks})", [kind, *chunk]
                )
                for key, digest, value in rows:
                    if isinstance(value, bytes) and hashlib.sha256(value).digest() == digest:
                        found[key] = value
        except sqlite3.Error:
            return {}
        return found

    def put_many(self, kind: str, values: Mapping[str, bytes]) -> None:
        self.used.setdefault(kind, set()).update(values)
        db = self._connect()
        if db is None or not values:
            return
        try:
            with db:
                db.executemany(
                    "INSERT OR REPLACE INTO entries (kind, key, digest, value) VALUES (?, ?, ?, ?)",
                    [(kind, key, hashlib.sha256(value).digest(), value) for key, value in values.items()],
                )
        except sqlite3.Error:
            return

    def keep(self, kind: str, keys: Iterable[str]) -> None:
        """Count entries another process stored for this build as used, so that :meth:`prune` keeps them."""
        self.used.setdefault(kind, set()).update(keys)

    def prune(self) -> None:
        """Forget entries this build did not use, so the cache does not grow forever."""
        db = self._connect()
        if db is None or self._fresh:
            self.used = {}
            return
        try:
            with db:
                # With a key on the kept pairs and NOT EXISTS, SQLite looks each entry up; a row-value
                # NOT IN would scan the kept pairs for every entry (37 s for 40,000 entries, not 0.06 s).
                db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (kind TEXT, key TEXT, PRIMARY KEY (kind, key))")
                db.execute("DELETE FROM keep")
                db.executemany(
                    "INSERT OR IGNORE INTO keep VALUES (?, ?)",
                    [(k, key) for k, keys in self.used.items() for key in keys],
                )
                db.execute(
                    "DELETE FROM entries WHERE NOT EXISTS "
                    "(SELECT 1 FROM keep WHERE keep.kind = entries.kind AND keep.key = entries.key)"
                )
        except sqlite3.Error:
            return
        self.used = {}

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
