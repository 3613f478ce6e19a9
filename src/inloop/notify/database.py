"""The subscription service's database as ``inloop notify`` reads and writes it.

Subscribers come a page at a time, in the order of their stable ids
(keyset pagination: ``WHERE id > last ORDER BY id LIMIT n``), so a run
holds one page in memory however many there are, and a subscriber who
joins or leaves mid-run moves no other one.  A page holds only confirmed
subscribers who have not bounced and have not yet been sent the update.

What was sent of an update lives in ``notify_sent`` (one row per
subscriber, written in batches after the server accepted each message);
delivery errors in ``notify_failed``.  Both are emptied for an update once
every subscriber has it, so they stay small.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..subscriptions.db import Connection, Database
from ..subscriptions.settings import SubscriptionSettings

#: Subscribers read per query.
PAGE = 1000
#: How long an address that unsubscribed stays held back (the service's own rule, ``store.KEEP_SECONDS``).
HOLD_SECONDS = 24 * 3600

_PAGE_SQL = (
    "SELECT s.id, s.email, s.language, s.components, s.secret FROM subscribers s "
    "WHERE s.id > ? AND s.confirmed = 1 AND s.bounced_at IS NULL "
    "AND NOT EXISTS (SELECT 1 FROM notify_sent d WHERE d.event_id = ? AND d.subscriber_id = s.id) "
    "AND NOT EXISTS (SELECT 1 FROM suppressions x WHERE x.email_key = s.email_key AND x.since > ?) "
    "ORDER BY s.id LIMIT ?"
)


@dataclass(frozen=True, slots=True)
class DatabaseSubscriber:
    """One confirmed subscriber; ``components`` empty means every component."""

    id: str
    email: str
    language: str
    components: tuple[str, ...]
    secret: str

    @property
    def delivery_key(self) -> str:
        """What the delivery id is made from: the same as for the address in a CSV list, so a move keeps the ids."""
        return f"email:{self.email.lower()}"


def must_exist(url: str, source: Path) -> Database:
    """The database of ``url``; a SQLite file that is not there is an error (a typo would mail nobody)."""
    database = Database(url, source)
    if database.path is not None and not database.path.is_file():
        raise UsageError(
            f"the subscriber database {database.shown} does not exist: start 'inloop subscriptions serve' "
            "or run 'inloop subscriptions import' first"
        )
    return database


class SubscriberDatabase:
    """One open connection for the run; every write is a short transaction of its own."""

    def __init__(self, url: str, source: Path, service: SubscriptionSettings, environ: Mapping[str, str]) -> None:
        from ..subscriptions.app import token_secret
        from ..subscriptions.migrations import migrate

        self.database = must_exist(url, source)
        self.shown = self.database.shown
        self._stack = ExitStack()
        try:
            self.connection: Connection = self._stack.enter_context(self.database.connect())
            migrate(self.connection)  # the tables notify writes came with schema version 3
            self.secret = token_secret(service, self.connection, environ)
        except BaseException:
            self._stack.close()
            raise

    def close(self) -> None:
        self._stack.close()

    def pages(self, event_id: str, now: int, size: int = PAGE) -> Iterator[list[DatabaseSubscriber]]:
        """Every subscriber still to be sent ``event_id``, a page at a time, by id."""
        after = ""
        while True:
            rows = self.connection.execute(_PAGE_SQL, (after, event_id, now - HOLD_SECONDS, size))
            if not rows:
                return
            yield [
                DatabaseSubscriber(str(r[0]), str(r[1]), str(r[2]), tuple(str(r[3]).split()), str(r[4])) for r in rows
            ]
            if len(rows) < size:
                return
            after = str(rows[-1][0])

    def has_failures(self, event_id: str) -> bool:
        return self.connection.one("SELECT 1 FROM notify_failed WHERE event_id = ? LIMIT 1", (event_id,)) is not None

    def record(
        self, event_id: str, sent: list[tuple[str, str]], failed: list[tuple[str, str]], now: int, clear: bool
    ) -> None:
        """Note ``sent`` (subscriber id, delivery id) and ``failed`` (subscriber id, error) in one transaction.

        ``clear``: the update had failures before, so a success also removes
        the subscriber's old failure.
        """
        if not sent and not failed:
            return
        with self.connection.transaction() as connection:
            connection.many(
                "INSERT INTO notify_sent (event_id, subscriber_id, delivery_id, sent_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (event_id, subscriber_id) DO NOTHING",
                [(event_id, key, delivery, now) for key, delivery in sent],
            )
            if clear:
                connection.many(
                    "DELETE FROM notify_failed WHERE event_id = ? AND subscriber_id = ?",
                    [(event_id, key) for key, _ in sent],
                )
            connection.many(
                "INSERT INTO notify_failed (event_id, subscriber_id, error, failed_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (event_id, subscriber_id) DO UPDATE SET error = excluded.error, "
                "failed_at = excluded.failed_at",
                [(event_id, key, error[:1000], now) for key, error in failed],
            )

    def finish(self, event_id: str) -> None:
        """Every subscriber has the update: its rows go."""
        with self.connection.transaction() as connection:
            connection.execute("DELETE FROM notify_sent WHERE event_id = ?", (event_id,))
            connection.execute("DELETE FROM notify_failed WHERE event_id = ?", (event_id,))

    def tidy(self, done: Callable[[str], bool]) -> None:
        """Remove the rows of updates the state already calls done (a run that stopped before :meth:`finish`)."""
        found = self.connection.execute(
            "SELECT DISTINCT event_id FROM notify_sent UNION SELECT DISTINCT event_id FROM notify_failed"
        )
        for (event_id,) in found:
            if done(str(event_id)):
                self.finish(str(event_id))
