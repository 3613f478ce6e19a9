"""The ``[notify]`` table of ``inloop.toml``, validated with the line of every mistake.

Secrets never live in the file: it names environment variables
(``password_env``, ``secret_env``) and the values come from there.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..config import SLUG, TomlLines, did_you_mean
from ..errors import BuildError, Problem, UsageError

NOTIFY_KEYS = ("subscribers", "max_age_hours", "state", "smtp", "webhooks", "retries", "retry_seconds")
SMTP_KEYS = ("host", "port", "starttls", "tls", "sender", "unsubscribe", "username_env", "password_env", "timeout")
WEBHOOK_KEYS = ("url", "secret_env", "format", "components")
FORMATS = ("inloop", "slack", "discord")
DEFAULT_STATE = ".inloop/notify-state.json"


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


@dataclass(frozen=True, slots=True)
class Webhook:
    url: str
    secret_env: str | None = None
    format: str = "inloop"
    components: tuple[str, ...] = ()

    @property
    def recipient(self) -> str:
        return f"webhook:{self.url}"

    def secret(self) -> str | None:
        return os.environ.get(self.secret_env) if self.secret_env else None


@dataclass(frozen=True, slots=True)
class Subscriber:
    email: str
    language: str | None
    components: tuple[str, ...]

    @property
    def recipient(self) -> str:
        return f"email:{self.email.lower()}"


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
            unsubscribe = typed(smtp_raw, "unsubscribe", str, where, None)
            if unsubscribe is not None and not unsubscribe.startswith("mailto:"):
                error(f"'unsubscribe' must be a mailto: address, found '{unsubscribe}'", *where, "unsubscribe")
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
        if url is None or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            error(f"[[notify.webhooks]] needs 'url', an http or https URL; found {url!r}", *where, "url")
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
    subscribers_file = (source / subscribers_name) if subscribers_name else None
    subscribers: tuple[Subscriber, ...] = ()
    if subscribers_file is not None:
        subscribers = read_subscribers(subscribers_file, subscribers_name or "", components, problems)
    if problems:
        raise BuildError(problems)
    return NotifySettings(
        subscribers_file, float(max_age), state, smtp, tuple(hooks), int(retries), float(retry_seconds), subscribers
    )


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
    for row in reader:
        line = reader.line_num
        clean = {(k or "").strip(): (v or "").strip() for k, v in row.items() if isinstance(v, str)}
        email = clean.get("email", "")
        if not email:
            continue
        if "@" not in email or " " in email:
            problems.append(Problem(shown, line, f"'{email}' is not an email address"))
            continue
        wanted = tuple(clean.get("components", "").split())
        for cid in wanted:
            if cid not in components or not SLUG.match(cid):
                problems.append(Problem(shown, line, f"unknown component '{cid}': {did_you_mean(cid, components)}"))
        if email.lower() in seen:
            continue
        seen.add(email.lower())
        found.append(Subscriber(email, clean.get("language") or None, wanted))
    return tuple(found)
