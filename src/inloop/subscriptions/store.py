"""The subscriber records and the counters the abuse limits read, as plain functions of a connection."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from .db import Connection, Row

#: How long the counters, and the addresses that unsubscribed or bounced, are kept.
KEEP_SECONDS = 24 * 3600

_NEW_COLUMNS = (
    "id, email, language, components, confirmed, secret, created_at, confirmed_at, confirm_nonce, confirm_expires, "
    "origin"
)
_COLUMNS = _NEW_COLUMNS + ", bounced_at"


@dataclass(frozen=True, slots=True)
class StoredSubscriber:
    """One row of ``subscribers``: ``components`` empty means every component."""

    id: str
    email: str
    language: str
    components: tuple[str, ...]
    confirmed: bool
    secret: str
    created_at: int
    confirmed_at: int | None
    confirm_nonce: str | None
    confirm_expires: int | None
    origin: str
    #: When ``inloop notify`` stops mailing the address because mail to it bounced (see :func:`suppress`).
    bounced_at: int | None = None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["components"] = list(self.components)
        for key in ("created_at", "confirmed_at", "confirm_expires", "bounced_at"):
            data[key] = iso(data[key])
        return data


def iso(seconds: int | None) -> str | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def email_key(address: str) -> str:
    """The address as compared: the whole of it lowercased (a mailbox's local part is case-insensitive in practice)."""
    return address.strip().lower()


def _subscriber(row: Row) -> StoredSubscriber:
    return StoredSubscriber(
        id=str(row[0]),
        email=str(row[1]),
        language=str(row[2]),
        components=tuple(str(row[3]).split()),
        confirmed=bool(row[4]),
        secret=str(row[5]),
        created_at=int(row[6]),
        confirmed_at=None if row[7] is None else int(row[7]),
        confirm_nonce=None if row[8] is None else str(row[8]),
        confirm_expires=None if row[9] is None else int(row[9]),
        origin=str(row[10]),
        bounced_at=None if row[11] is None else int(row[11]),
    )


def by_email(connection: Connection, address: str) -> StoredSubscriber | None:
    row = connection.one(f"SELECT {_COLUMNS} FROM subscribers WHERE email_key = ?", (email_key(address),))
    return _subscriber(row) if row else None


def by_id(connection: Connection, subscriber_id: str) -> StoredSubscriber | None:
    row = connection.one(f"SELECT {_COLUMNS} FROM subscribers WHERE id = ?", (subscriber_id,))
    return _subscriber(row) if row else None


def every(connection: Connection, confirmed_only: bool = False) -> list[StoredSubscriber]:
    where = " WHERE confirmed = 1" if confirmed_only else ""
    return [_subscriber(r) for r in connection.execute(f"SELECT {_COLUMNS} FROM subscribers{where} ORDER BY email_key")]


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def add(
    connection: Connection,
    address: str,
    language: str,
    components: tuple[str, ...],
    now: int,
    *,
    confirmed: bool,
    expires: int | None = None,
    origin: str = "form",
) -> StoredSubscriber:
    """A new row with a fresh id and secret; a pending one gets a nonce for its confirmation link."""
    nonce = None if confirmed else new_nonce()
    connection.execute(
        f"INSERT INTO subscribers ({_NEW_COLUMNS}, email_key) VALUES ({', '.join('?' * 12)})",
        (
            uuid.uuid4().hex,
            address.strip(),
            language,
            " ".join(components),
            int(confirmed),
            secrets.token_urlsafe(24),
            now,
            now if confirmed else None,
            nonce,
            None if confirmed else expires,
            origin,
            email_key(address),
        ),
    )
    found = by_email(connection, address)
    assert found is not None
    return found


def renew_pending(
    connection: Connection, subscriber: StoredSubscriber, language: str, components: tuple[str, ...], expires: int
) -> StoredSubscriber:
    """A pending sign-up signed up again: the new choices and a new link (the old one stops working)."""
    connection.execute(
        "UPDATE subscribers SET language = ?, components = ?, confirm_nonce = ?, confirm_expires = ? WHERE id = ?",
        (language, " ".join(components), new_nonce(), expires, subscriber.id),
    )
    found = by_id(connection, subscriber.id)
    assert found is not None
    return found


def confirm(connection: Connection, subscriber_id: str, nonce: str, now: int) -> bool:
    """Confirm a pending sign-up if ``nonce`` is its current one and unexpired; the nonce is used up."""
    changed = connection.changed(
        "UPDATE subscribers SET confirmed = 1, confirmed_at = ?, confirm_nonce = NULL, confirm_expires = NULL "
        "WHERE id = ? AND confirmed = 0 AND confirm_nonce = ? AND confirm_expires >= ?",
        (now, subscriber_id, nonce, now),
    )
    return changed == 1


def update_choices(connection: Connection, subscriber_id: str, language: str, components: tuple[str, ...]) -> None:
    """New choices; a bounce is forgotten, since the subscriber just used a link from an email that arrived."""
    connection.execute(
        "UPDATE subscribers SET language = ?, components = ?, bounced_at = NULL WHERE id = ?",
        (language, " ".join(components), subscriber_id),
    )


def remove(connection: Connection, address: str) -> int:
    """Delete everything stored about an address; how many rows went."""
    key = email_key(address)
    subscriber = by_email(connection, address)
    if subscriber is not None:  # what notify keeps of an update still being sent
        forget_deliveries(connection, subscriber.id)
    return sum(
        connection.changed(f"DELETE FROM {table} WHERE email_key = ?", (key,))
        for table in ("subscribers", "mail_log", "suppressions")
    )


def unsubscribe(connection: Connection, subscriber: StoredSubscriber, now: int) -> None:
    """The row goes; the address is remembered for a day so that no confirmation is mailed to it meanwhile."""
    connection.execute("DELETE FROM subscribers WHERE id = ?", (subscriber.id,))
    forget_deliveries(connection, subscriber.id)
    suppress(connection, subscriber.email, "unsubscribed", now)


def forget_deliveries(connection: Connection, subscriber_id: str) -> None:
    """What ``inloop notify`` noted of the updates it is still sending to one subscriber."""
    for table in ("notify_sent", "notify_failed"):
        connection.execute(f"DELETE FROM {table} WHERE subscriber_id = ?", (subscriber_id,))


def suppress(connection: Connection, address: str, reason: str, now: int) -> None:
    """Remember that an address unsubscribed or bounced.

    A bounce also marks the subscriber (``bounced_at``): ``inloop notify``
    mails it nothing more until the subscriber saves their choices again.
    """
    key = email_key(address)
    if reason == "bounced":
        connection.execute("UPDATE subscribers SET bounced_at = ? WHERE email_key = ?", (now, key))
    connection.execute("DELETE FROM suppressions WHERE email_key = ?", (key,))
    connection.execute("INSERT INTO suppressions (email_key, reason, since) VALUES (?, ?, ?)", (key, reason, now))


def suppressed(connection: Connection, address: str, now: int) -> bool:
    row = connection.one(
        "SELECT COUNT(*) FROM suppressions WHERE email_key = ? AND since > ?", (email_key(address), now - KEEP_SECONDS)
    )
    return bool(row and row[0])


def log_mail(connection: Connection, address: str, kind: str, now: int) -> None:
    connection.execute(
        "INSERT INTO mail_log (email_key, kind, sent_at) VALUES (?, ?, ?)", (email_key(address), kind, now)
    )


def mails_since(connection: Connection, address: str, since: int) -> int:
    row = connection.one(
        "SELECT COUNT(*) FROM mail_log WHERE email_key = ? AND sent_at > ?", (email_key(address), since)
    )
    return int(row[0]) if row else 0


def log_client(connection: Connection, client: str, now: int) -> None:
    connection.execute("INSERT INTO client_log (client, seen_at) VALUES (?, ?)", (client, now))


def client_requests_since(connection: Connection, client: str, since: int) -> int:
    row = connection.one("SELECT COUNT(*) FROM client_log WHERE client = ? AND seen_at > ?", (client, since))
    return int(row[0]) if row else 0


def prune(connection: Connection, now: int) -> None:
    """Drop expired sign-ups and counters older than a day."""
    connection.execute("DELETE FROM subscribers WHERE confirmed = 0 AND confirm_expires < ?", (now,))
    connection.execute("DELETE FROM mail_log WHERE sent_at <= ?", (now - KEEP_SECONDS,))
    connection.execute("DELETE FROM client_log WHERE seen_at <= ?", (now - KEEP_SECONDS,))
    connection.execute("DELETE FROM suppressions WHERE since <= ?", (now - KEEP_SECONDS,))


def token_secret(connection: Connection) -> bytes:
    """The signing secret kept in the database, made on first use."""
    with connection.transaction():
        row = connection.one("SELECT value FROM service_settings WHERE name = 'token_secret'")
        if row is None:
            value = secrets.token_hex(32)
            connection.execute("INSERT INTO service_settings (name, value) VALUES ('token_secret', ?)", (value,))
        else:
            value = str(row[0])
    return value.encode("ascii")


def export(connection: Connection, address: str) -> dict[str, Any]:
    """Everything stored about one address, for the person it belongs to."""
    key = email_key(address)
    subscriber = by_email(connection, address)
    mails = connection.execute("SELECT kind, sent_at FROM mail_log WHERE email_key = ? ORDER BY sent_at", (key,))
    left = connection.one("SELECT reason, since FROM suppressions WHERE email_key = ?", (key,))
    return {
        "email": address,
        "subscriber": subscriber.as_json() if subscriber else None,
        "mails_sent": [{"kind": str(kind), "time": iso(int(at))} for kind, at in mails],
        "suppressed": {"reason": str(left[0]), "since": iso(int(left[1]))} if left else None,
    }
