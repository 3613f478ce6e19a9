"""Migrations upgrade a database in place; the token secret is made once and kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from subs_fixtures import START, Mailbox, Running, link, start_service

from inloop.subscriptions import store
from inloop.subscriptions.db import Database
from inloop.subscriptions.migrations import LATEST, current_version, migrate


def test_a_database_at_migration_1_is_upgraded_by_the_service(
    tmp_path: Path, smtp_server: tuple[int, Mailbox], database_url: str
) -> None:
    (tmp_path / "status").mkdir()
    old = Database(database_url, tmp_path / "status")
    with old.connect() as connection:
        assert migrate(connection, target=1) == [1]
        connection.execute(
            "INSERT INTO subscribers (id, email, email_key, language, components, confirmed, secret, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ("0" * 32, "Old@Example.com", "old@example.com", "en", "api", 1, "s" * 32, 1_700_000_000),
        )
    runs = start_service(tmp_path, smtp_server[0], smtp_server[1], database_url)
    running = next(runs)
    try:
        assert running.service.migrated == list(range(2, LATEST + 1))
        with running.service.database.connect() as connection:
            assert current_version(connection) == LATEST
            kept = store.by_email(connection, "old@example.com")
        assert kept is not None and kept.confirmed and kept.components == ("api",) and kept.origin == "form"
        assert running.sign_up("new@example.com").status == 200  # the tables of migration 2 are there
        assert running.get(link(running.mailbox.messages[0], "confirm")).status == 200
    finally:
        runs.close()
    with old.connect() as connection:
        assert migrate(connection) == []  # nothing left to do


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    from inloop.errors import UsageError

    database = Database("sqlite:///x.db", tmp_path)
    with database.connect() as connection:
        migrate(connection)
        connection.execute("INSERT INTO schema_version (version) VALUES (?)", (LATEST + 1,))
        with pytest.raises(UsageError, match="newer than this inloop knows"):
            migrate(connection)


def test_the_secret_is_made_once(tmp_path: Path) -> None:
    database = Database("sqlite:///x.db", tmp_path)
    with database.connect() as connection:
        migrate(connection)
        first = store.token_secret(connection)
    with database.connect() as connection:
        assert store.token_secret(connection) == first
    assert len(first) == 64


def test_relative_sqlite_path_is_inside_the_site(tmp_path: Path) -> None:
    assert Database("sqlite:///data/s.db", tmp_path).path == tmp_path / "data" / "s.db"
    assert Database("sqlite:////abs/s.db", tmp_path).path == Path("/abs/s.db")


def test_expired_sign_ups_are_deleted_without_another_sign_up(running: Running) -> None:
    running.sign_up("pending@example.com")
    running.clock.now = START + 7 * 24 * 3600 + 1
    running.get("health")  # any request
    with running.service.database.connect() as connection:
        assert store.by_email(connection, "pending@example.com") is None
