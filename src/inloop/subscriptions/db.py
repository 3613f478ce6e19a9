"""Where subscribers live: SQLite or PostgreSQL, by URL, behind one small interface.

SQL is written once with ``?`` placeholders and portable types (TEXT,
BIGINT seconds since the epoch, INTEGER 0/1 for yes and no); for
PostgreSQL the placeholders become psycopg's ``%s``.  A connection is
opened per request or command, so a WSGI server's threads and processes
never share one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..publish.redact import redact_url

Row = tuple[Any, ...]


class Connection:
    """One open connection; :meth:`transaction` makes a unit of work all or nothing."""

    def __init__(self, raw: Any, postgres: bool) -> None:
        self.raw = raw
        self.postgres = postgres

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        if self.postgres:
            cursor = self.raw.execute(sql.replace("?", "%s"), tuple(params))
            return list(cursor.fetchall()) if cursor.description is not None else []
        cursor = self.raw.execute(sql, tuple(params))
        return list(cursor.fetchall())

    def changed(self, sql: str, params: Sequence[object] = ()) -> int:
        """Run an INSERT, UPDATE or DELETE; how many rows it changed."""
        if self.postgres:
            return int(self.raw.execute(sql.replace("?", "%s"), tuple(params)).rowcount)
        return int(self.raw.execute(sql, tuple(params)).rowcount)

    def many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Run one INSERT, UPDATE or DELETE for each of ``rows`` (psycopg pipelines them)."""
        if not rows:
            return
        if self.postgres:
            with self.raw.cursor() as cursor:
                cursor.executemany(sql.replace("?", "%s"), [tuple(row) for row in rows])
            return
        self.raw.executemany(sql, [tuple(row) for row in rows])

    def one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        rows = self.execute(sql, params)
        return rows[0] if rows else None

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        if self.postgres:
            with self.raw.transaction():
                yield self
            return
        self.raw.execute("BEGIN IMMEDIATE")  # the write lock at once: no upgrade deadlock between writers
        try:
            yield self
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        self.raw.execute("COMMIT")

    def close(self) -> None:
        self.raw.close()


class Database:
    """A database URL resolved against the site folder: ``sqlite:///relative.db``, ``sqlite:////abs.db``, ``postgresql://``."""

    def __init__(self, url: str, source: Path) -> None:
        self.url = url
        self.postgres = url.startswith(("postgresql://", "postgres://"))
        self.path: Path | None = None
        if not self.postgres:
            if not url.startswith("sqlite:///"):
                raise UsageError(f"unknown database URL {redact_url(url)!r}: expected sqlite:/// or postgresql://")
            self.path = source / url.removeprefix("sqlite:///")

    @property
    def shown(self) -> str:
        """The URL as printed: never a password."""
        return f"sqlite:///{self.path}" if self.path is not None else redact_url(self.url)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        connection = self._open()
        try:
            yield connection
        finally:
            connection.close()

    def _open(self) -> Connection:
        if self.postgres:
            try:
                import psycopg
            except ImportError:
                raise UsageError("a postgresql:// database needs psycopg: pip install 'inloop[postgres]'") from None
            try:
                return Connection(psycopg.connect(self.url, autocommit=True, connect_timeout=10), True)
            except psycopg.Error as exc:
                raise UsageError(f"cannot connect to {self.shown}: {str(exc).strip()}") from None
        assert self.path is not None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            raw = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            raw.execute("PRAGMA journal_mode=WAL")
            raw.execute("PRAGMA busy_timeout=30000")
        except (sqlite3.Error, OSError) as exc:
            raise UsageError(f"cannot open {self.shown}: {exc}") from None
        return Connection(raw, False)
