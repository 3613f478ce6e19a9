"""The ``[notify]`` table of ``inloop.toml``, validated with the line of every mistake.

Secrets never live in the file: it names environment variables
(``password_env``, ``secret_env``) and the values come from there.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from inloop.read.config import SLUG, TomlLines, did_you_mean

from ..errors import BuildError, Problem, UsageError
from ..publish.redact import redact_url

NOTIFY_KEYS = ("subscribers", "max_age_hours", "state", "smtp", "webhooks", "retries", "retry_seconds")
SMTP_KEYS = (
    "host",
    "port",
    "starttls",
    "tls",
    "sender",
    "unsubscribe",
    "username_env",
    "password_env",
    "timeout",
    "connections",
    "messages_per_connection",
)
#: How ``[notify] subscribers`` names the subscription service's database instead of a CSV file.
DATABASE_SCHEMES = ("sqlite:///", "postgresql://", "postgres://")
MAX_CONNECTIONS = 64
WEBHOOK_KEYS = ("url", "secret_env", "format", "components")
FORMATS = ("inloop", "slack", "discord")
DEFAULT_STATE = ".inloop/notify-state.json"
# Nothing that could end a header line or hide in one: controls, spaces, line separators.
_UNSAFE = re.compile("[\\s\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029]")


@dataclass(frozen=True, slots=True)
class Smtp:
    host: str
    port: int = 587
    starttls: bool = True
    tls: bool = False
    sender: str = ""
    unsubscribe: str | None = None
    username_env: str | None = None
    password_env: str | None = None
    timeout: float = 30.0
    #: Database subscribers: how many connections send at once, and how many messages each sends before it reconnects.
    connections: int = 4
    messages_per_connection: int = 100


@dataclass(frozen=True, slots=True)
class Webhook:
    url: str
    secret_env: str | None = None
    format: str = "inloop"
    components: tuple[str, ...] = ()

    @property
    def recipient(self) -> str:
        """The key of the state file: a hash, since the state may sit in a bucket others can read."""
        return f"webhook:sha256:{hashlib.sha256(self.url.encode()).hexdigest()[:32]}"

    @property
    def old_recipients(self) -> tuple[str, ...]:
        """Keys earlier versions wrote (the URL itself), still read so nothing is sent twice."""
        return (f"webhook:{self.url}",)

    @property
    def delivery_key(self) -> str:
        """What the delivery id is made from: unchanged, so receivers still drop duplicates."""
        return f"webhook:{self.url}"

    @property
    def shown(self) -> str:
        """The URL as printed: scheme and host only, since the path is the secret."""
        return redact_url(self.url)

    def secret(self) -> str | None:
        return os.environ.get(self.secret_env) if self.secret_env else None


@dataclass(frozen=True, slots=True)
class Subscriber:
    """One row of the subscriber list; ``problem`` says why it cannot be written to."""

    email: str
    language: str | None
    components: tuple[str, ...]
    problem: Problem | None = None

    @property
    def recipient(self) -> str:
        return f"email:{self.email.lower()}"

    @property
    def old_recipients(self) -> tuple[str, ...]:
        return ()

    @property
    def delivery_key(self) -> str:
        return self.recipient

    @property
    def shown(self) -> str:
        return "".join(c if c.isprintable() else repr(c)[1:-1] for c in self.email)


@dataclass(frozen=True, slots=True)
class NotifySettings:
    subscribers_file: Path | None = None
    max_age_hours: float = 24.0
    state: str = DEFAULT_STATE
    smtp: Smtp | None = None
    webhooks: tuple[Webhook, ...] = ()
    retries: int = 3
    retry_seconds: float = 1.0
    subscribers: tuple[Subscriber, ...] = field(default=())
    #: ``[notify] subscribers`` as a database URL (the subscription service's): read page by page while sending.
    subscribers_database: str | None = None


def _check(problems: list[Problem], path: str, lines: TomlLines) -> Any:
    def error(message: str, *key: str) -> None:
        problems.append(Problem(path, lines.line(*key), message))

    return error


def read_settings(raw: dict[str, Any], source: Path, shown_config: str, components: tuple[str, ...]) -> NotifySettings:
    """Validate ``[notify]``; every mistake is a ``path:line`` problem."""
    try:
        text = (source / "inloop.toml").read_text("utf-8")
    except OSError:
        text = ""
    lines = TomlLines(text)
    problems: list[Problem] = []
    error = _check(problems, shown_config, lines)
    for key in raw:
        if key not in NOTIFY_KEYS:
            error(f"unknown key '{key}' in [notify]: {did_you_mean(key, NOTIFY_KEYS)}", "notify", key)

    def typed(
        table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: tuple[str, ...], default: Any
    ) -> Any:
        if key not in table:
            return default
        value = table[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float, (int, float))):
            names = {str: "a string", bool: "true or false", int: "a whole number", (int, float): "a number"}
            error(f"'{key}' must be {names.get(kind, 'something else')}", *where, key)
            return default
        return value

    def ranged(table: dict[str, Any], key: str, where: tuple[str, ...], default: int, most: int) -> int:
        value = typed(table, key, int, where, default)
        if not 1 <= value <= most:
            error(f"'{key}' must be a whole number from 1 to {most}, found {value}", *where, key)
            return default
        return int(value)

    subscribers_name = typed(raw, "subscribers", str, ("notify",), None)
    max_age = typed(raw, "max_age_hours", (int, float), ("notify",), 24)
    state = typed(raw, "state", str, ("notify",), DEFAULT_STATE)
    retries = typed(raw, "retries", int, ("notify",), 3)
    retry_seconds = typed(raw, "retry_seconds", (int, float), ("notify",), 1.0)
    smtp: Smtp | None = None
    smtp_raw = raw.get("smtp")
    if smtp_raw is not None:
        where: tuple[str, ...] = ("notify", "smtp")
        if not isinstance(smtp_raw, dict):
            error("'smtp' must be a table ([notify.smtp])", *where)
        else:
            for key in smtp_raw:
                if key not in SMTP_KEYS:
                    error(f"unknown key '{key}' in [notify.smtp]: {did_you_mean(key, SMTP_KEYS)}", *where, key)
            host = typed(smtp_raw, "host", str, where, None)
            sender = typed(smtp_raw, "sender", str, where, None)
            if host is None:
                error("[notify.smtp] needs 'host'", *where)
            if sender is None:
                error("[notify.smtp] needs 'sender', e.g. \"Acme Status <status@acme.example>\"", *where)
            if sender is not None and not sender_ok(sender):
                error(
                    f"'sender' must be one address on one line, e.g. \"Acme Status <status@acme.example>\"; "
                    f"found {sender!r}",
                    *where,
                    "sender",
                )
                sender = None
            unsubscribe = typed(smtp_raw, "unsubscribe", str, where, None)
            if unsubscribe is not None and (not unsubscribe.startswith("mailto:") or _UNSAFE.search(unsubscribe)):
                error(f"'unsubscribe' must be a mailto: address, found {unsubscribe!r}", *where, "unsubscribe")
            if host and sender:
                smtp = Smtp(
                    host=host,
                    port=typed(smtp_raw, "port", int, where, 587),
                    starttls=typed(smtp_raw, "starttls", bool, where, True),
                    tls=typed(smtp_raw, "tls", bool, where, False),
                    sender=sender,
                    unsubscribe=unsubscribe,
                    username_env=typed(smtp_raw, "username_env", str, where, None),
                    password_env=typed(smtp_raw, "password_env", str, where, None),
                    timeout=float(typed(smtp_raw, "timeout", (int, float), where, 30.0)),
                    connections=ranged(smtp_raw, "connections", where, 4, MAX_CONNECTIONS),
                    messages_per_connection=ranged(smtp_raw, "messages_per_connection", where, 100, 1_000_000),
                )
    hooks: list[Webhook] = []
    hooks_raw = raw.get("webhooks", [])
    if not isinstance(hooks_raw, list) or not all(isinstance(h, dict) for h in hooks_raw):
        error("'webhooks' must be an array of tables ([[notify.webhooks]])", "notify", "webhooks")
        hooks_raw = []
    for index, hook in enumerate(hooks_raw):
        where = ("notify", "webhooks", str(index))
        for key in hook:
            if key not in WEBHOOK_KEYS:
                error(f"unknown key '{key}' in [[notify.webhooks]]: {did_you_mean(key, WEBHOOK_KEYS)}", *where, key)
        url = typed(hook, "url", str, where, None)
        if url is None or not webhook_url_ok(url):
            found = "nothing" if url is None else repr(redact_url(url))
            error(f"[[notify.webhooks]] needs 'url', an http or https URL on one line; found {found}", *where, "url")
            continue
        fmt = typed(hook, "format", str, where, "inloop")
        if fmt not in FORMATS:
            error(f"'format' must be one of {', '.join(FORMATS)}; found '{fmt}'", *where, "format")
            continue
        wanted = typed(hook, "components", list, where, [])
        unknown = [c for c in wanted if c not in components]
        if unknown:
            error(
                f"unknown component '{unknown[0]}': {did_you_mean(str(unknown[0]), components)}", *where, "components"
            )
        hooks.append(Webhook(url, typed(hook, "secret_env", str, where, None), fmt, tuple(str(c) for c in wanted)))
    database: str | None = None
    if subscribers_name is not None and subscribers_name.startswith(DATABASE_SCHEMES):
        database, subscribers_name = subscribers_name, None
        if database.startswith("sqlite:///") and not database.removeprefix("sqlite:///"):
            error("'subscribers' names no database file: write e.g. sqlite:///subscribers.db", "notify", "subscribers")
    elif subscribers_name is not None and "://" in subscribers_name:
        error(
            f"'subscribers' must be a CSV file, or the subscription service's database as sqlite:///PATH or "
            f"postgresql://...; found {redact_url(subscribers_name)!r}",
            "notify",
            "subscribers",
        )
        subscribers_name = None
    subscribers_file = (source / subscribers_name) if subscribers_name else None
    subscribers: tuple[Subscriber, ...] = ()
    if subscribers_file is not None:
        shown_list = os.path.normpath(os.path.join(os.path.dirname(shown_config), subscribers_name or ""))
        subscribers = read_subscribers(subscribers_file, shown_list, components, problems)
    if problems:
        raise BuildError(problems)
    return NotifySettings(
        subscribers_file,
        float(max_age),
        state,
        smtp,
        tuple(hooks),
        int(retries),
        float(retry_seconds),
        subscribers,
        database,
    )


def webhook_url_ok(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and not _UNSAFE.search(url)
    except ValueError:  # a bad port or IPv6 address
        return False


def address_ok(address: str) -> bool:
    """A single ``local@domain`` that can go in a ``To:`` header as it is."""
    from email.headerregistry import Address

    if address.count("@") != 1 or _UNSAFE.search(address) or "," in address:
        return False
    from email.errors import MessageError

    try:
        return str(Address(addr_spec=address)) == address
    except (ValueError, IndexError, MessageError):  # HeaderParseError: '<script>"x@example.com'
        return False


def sender_ok(sender: str) -> bool:
    """One address, with or without a display name, that fits on a header line."""
    from email.utils import getaddresses

    if "\n" in sender or "\r" in sender or any(not c.isprintable() for c in sender):
        return False
    found = getaddresses([sender])
    return len(found) == 1 and address_ok(found[0][1])


def read_subscribers(
    path: Path, shown: str, components: tuple[str, ...], problems: list[Problem]
) -> tuple[Subscriber, ...]:
    """``email,language,components`` with a header row; components are space-separated ids."""
    try:
        text = path.read_text("utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"the subscriber list {shown} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the subscriber list {shown}: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if "email" not in header:
        problems.append(Problem(shown, 1, "the first row must be the header 'email,language,components'"))
        return ()
    found: list[Subscriber] = []
    seen: set[str] = set()
    lines = text.splitlines()
    end = reader.line_num  # the header's last line
    for row in reader:
        line, end = end + 1, reader.line_num
        while line < end and not lines[line - 1].strip():  # blank lines before the row
            line += 1
        clean = {(k or "").strip(): (v or "").strip() for k, v in row.items() if isinstance(v, str)}
        email = clean.get("email", "")
        if not email:
            continue
        if email.lower() in seen:
            continue
        seen.add(email.lower())
        wanted = tuple(clean.get("components", "").split())
        problem: Problem | None = None
        if not address_ok(email):
            problem = Problem(shown, line, f"'{Subscriber(email, None, ()).shown}' is not an email address")
        else:
            for cid in wanted:
                if cid not in components or not SLUG.match(cid):
                    problem = Problem(shown, line, f"unknown component '{cid}': {did_you_mean(cid, components)}")
                    break
        # A bad row fails on its own (reported, its messages kept pending); it never stops the others.
        found.append(Subscriber(email, clean.get("language") or None, wanted, problem))
    return tuple(found)
