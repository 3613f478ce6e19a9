"""Numbered schema steps, applied in order and recorded in ``schema_version``.

A database made by any earlier version is upgraded in place by the steps it
has not had yet, inside one transaction, so a failed upgrade leaves it as it
was.  Steps are only ever appended: a released step never changes.
"""

from __future__ import annotations

from .db import Connection

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: subscribers and the service's own settings (the token secret when none is given)
    (
        "CREATE TABLE service_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE subscribers (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            email_key TEXT NOT NULL UNIQUE,
            language TEXT NOT NULL,
            components TEXT NOT NULL,
            confirmed INTEGER NOT NULL DEFAULT 0,
            secret TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            confirmed_at BIGINT,
            confirm_nonce TEXT,
            confirm_expires BIGINT
        )""",
    ),
    # 2: what the abuse limits count, the addresses that left, and where each subscriber came from
    (
        "CREATE TABLE mail_log (email_key TEXT NOT NULL, kind TEXT NOT NULL, sent_at BIGINT NOT NULL)",
        "CREATE INDEX mail_log_by_address ON mail_log (email_key, sent_at)",
        "CREATE TABLE client_log (client TEXT NOT NULL, seen_at BIGINT NOT NULL)",
        "CREATE INDEX client_log_by_client ON client_log (client, seen_at)",
        "CREATE TABLE suppressions (email_key TEXT PRIMARY KEY, reason TEXT NOT NULL, since BIGINT NOT NULL)",
        "ALTER TABLE subscribers ADD COLUMN origin TEXT NOT NULL DEFAULT 'form'",
        "CREATE INDEX subscribers_pending ON subscribers (confirmed, confirm_expires)",
    ),
    # 3: what ``inloop notify`` has sent of each update (per subscriber id, until the update is done), and bounces
    (
        "ALTER TABLE subscribers ADD COLUMN bounced_at BIGINT",
        """CREATE TABLE notify_sent (
            event_id TEXT NOT NULL,
            subscriber_id TEXT NOT NULL,
            delivery_id TEXT NOT NULL,
            sent_at BIGINT NOT NULL,
            PRIMARY KEY (event_id, subscriber_id)
        )""",
        """CREATE TABLE notify_failed (
            event_id TEXT NOT NULL,
            subscriber_id TEXT NOT NULL,
            error TEXT NOT NULL,
            failed_at BIGINT NOT NULL,
            PRIMARY KEY (event_id, subscriber_id)
        )""",
    ),
)
LATEST = len(MIGRATIONS)


def current_version(connection: Connection) -> int:
    row = connection.one("SELECT MAX(version) FROM schema_version")
    return int(row[0]) if row and row[0] is not None else 0


def migrate(connection: Connection, target: int = LATEST) -> list[int]:
    """Apply the steps after the database's version up to ``target``; the numbers applied."""
    connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    applied: list[int] = []
    with connection.transaction():
        if connection.postgres:  # two workers starting at once: the second waits, then finds nothing to do
            connection.execute("LOCK TABLE schema_version IN EXCLUSIVE MODE")
        version = current_version(connection)
        if version > LATEST:
            from ..errors import UsageError

            raise UsageError(
                f"the subscriber database is at schema version {version}, newer than this inloop knows "
                f"({LATEST}): upgrade inloop"
            )
        for number in range(version + 1, target + 1):
            for statement in MIGRATIONS[number - 1]:
                connection.execute(statement)
            connection.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
            applied.append(number)
    return applied
