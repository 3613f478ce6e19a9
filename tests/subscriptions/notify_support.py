"""Helpers of the tests of ``inloop notify`` reading the subscription service's database."""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path

from click.testing import CliRunner

from inloop.cli.main import main
from inloop.subscriptions import store
from inloop.subscriptions.db import Database
from inloop.subscriptions.migrations import migrate

NOW = "2026-11-26 12:00 UTC"
LATER = "2026-11-26 13:00 UTC"


def incident(title: str, updates: list[tuple[str, str, str]], components: str = "api") -> str:
    body = "".join(f"## {when} — {status}\n{text}\n\n" for when, status, text in updates)
    return f"---\ntitle: {title}\nimpact: minor\ncomponents: [{components}]\n---\n" + body


def write_incident(site: Path, name: str, components: str, updates: list[tuple[str, str, str]]) -> None:
    folder = site / "content" / "incidents"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.md").write_text(incident(name.replace("-", " ").title(), updates, components), "utf-8")


def configure_notify(site: Path, database_url: str, extra: str = "", smtp: str = "") -> None:
    """``[notify]`` reading the service's database, appended to the site's inloop.toml (``smtp``: more SMTP keys)."""
    (site / "content" / "incidents").mkdir(parents=True, exist_ok=True)
    config = site / "inloop.toml"
    text = config.read_text("utf-8")
    if smtp:
        text = text.replace(
            'sender = "Test Status <status@test.example>"\n', f'sender = "Test Status <status@test.example>"\n{smtp}\n'
        )
    text += (
        f'\n[notify]\nsubscribers = "{database_url}"\nstate = ".inloop/notify-state.json"\n'
        f"retries = 2\nretry_seconds = 0.01\n{extra}"
    )
    config.write_text(text, "utf-8")


def run_notify(site: Path, now: str = NOW, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["notify", "--source", str(site), "--now", now, *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


def add_confirmed(
    database: Database, address: str, language: str = "en", components: tuple[str, ...] = ()
) -> store.StoredSubscriber:
    with database.connect() as connection:
        migrate(connection)
        return store.add(connection, address, language, components, 1_700_000_000, confirmed=True, origin="import")


def add_many(database: Database, count: int, language: str = "en") -> None:
    """``count`` confirmed subscribers ``user<n>@example.com`` in one transaction (fast for 100,000)."""
    with database.connect() as connection:
        migrate(connection)
        rows = [
            (
                uuid.uuid4().hex,
                f"user{n}@example.com",
                f"user{n}@example.com",
                language,
                "",
                1,
                secrets.token_urlsafe(24),
                1_700_000_000,
                1_700_000_000,
                "import",
            )
            for n in range(count)
        ]
        with connection.transaction():
            connection.many(
                "INSERT INTO subscribers (id, email, email_key, language, components, confirmed, secret, created_at, "
                "confirmed_at, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
