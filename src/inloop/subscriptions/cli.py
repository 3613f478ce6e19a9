"""``inloop subscriptions``: run the service, and the operator's commands over its database."""

from __future__ import annotations

import csv
import json
import logging
import sys
from pathlib import Path

import click

from inloop.cli.options import report_errors, source_option

from ..errors import BuildError, UsageError


def _service(source: str) -> object:
    from .app import Service

    return Service(Path(source), shown_source=source)


@click.group()
def subscriptions() -> None:
    """The email subscription service: sign-up with confirmation, manage and unsubscribe links.

    Settings come from [subscriptions] and [notify.smtp] in inloop.toml.
    """


@subscriptions.command()
@source_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", "-p", default=8025, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@report_errors
def serve(source: str, host: str, port: int) -> None:
    """Run the service with the standard library's WSGI server (put a reverse proxy with TLS in front).

    For more traffic, run inloop.subscriptions:app under gunicorn or another WSGI server.
    """
    from .app import Service
    from .server import run

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    service = Service(Path(source), shown_source=source)
    if service.migrated:
        click.echo(f"database {service.database.shown}: upgraded to schema version {service.migrated[-1]}", err=True)
    run(service, host, port)


@subscriptions.command(name="import")
@source_option
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@report_errors
def import_command(source: str, csv_file: Path) -> None:
    """Add the rows of a [notify] subscribers CSV (email,language,components) as confirmed subscribers.

    They were on the list already, so no confirmation is mailed.  Running it
    again changes nothing: an address already stored is left as it is.
    """
    from ..notify.settings import read_subscribers
    from . import store
    from .app import Service

    service = Service(Path(source), shown_source=source)
    problems: list = []  # type: ignore[type-arg]
    rows = read_subscribers(csv_file, str(csv_file), service.component_ids, problems)
    if problems:
        raise BuildError(problems)
    bad = [row.problem for row in rows if row.problem is not None]
    if bad:
        raise BuildError(bad)
    added = kept = 0
    languages = service.settings.languages
    with service.database.connect() as connection, connection.transaction():
        for row in rows:
            if store.by_email(connection, row.email) is not None:
                kept += 1
                continue
            language = row.language if row.language in languages else service.config.language
            components = () if set(row.components) >= set(service.component_ids) else row.components
            store.add(
                connection, row.email, language, components, int(service.clock()), confirmed=True, origin="import"
            )
            added += 1
    click.echo(f"imported {added} subscriber{'s' if added != 1 else ''}, {kept} already stored")


@subscriptions.command()
@source_option
@click.argument("email")
@report_errors
def export(source: str, email: str) -> None:
    """Print everything stored about EMAIL as JSON."""
    from . import store
    from .app import Service

    service = Service(Path(source), shown_source=source)
    with service.database.connect() as connection:
        click.echo(json.dumps(store.export(connection, email), indent=2, ensure_ascii=False))


@subscriptions.command()
@source_option
@click.argument("email")
@report_errors
def delete(source: str, email: str) -> None:
    """Delete everything stored about EMAIL."""
    from . import store
    from .app import Service
    from .mail import mask

    service = Service(Path(source), shown_source=source)
    with service.database.connect() as connection, connection.transaction():
        count = store.remove(connection, email)
    if not count:
        raise UsageError(f"nothing is stored about {mask(email)}")
    click.echo(f"deleted {mask(email)}: {count} record{'s' if count != 1 else ''}")


@subscriptions.command(name="list")
@source_option
@click.option("--csv", "as_csv", is_flag=True, help="As CSV (email,language,components,confirmed,created).")
@report_errors
def list_command(source: str, as_csv: bool) -> None:
    """List every subscriber, confirmed or not."""
    from . import store
    from .app import Service

    service = Service(Path(source), shown_source=source)
    with service.database.connect() as connection:
        rows = store.every(connection)
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["email", "language", "components", "confirmed", "created"])
        for row in rows:
            writer.writerow(
                [
                    row.email,
                    row.language,
                    " ".join(row.components),
                    "yes" if row.confirmed else "no",
                    store.iso(row.created_at),
                ]
            )
        return
    for row in rows:
        state = "confirmed" if row.confirmed else "pending"
        click.echo(f"{row.email}\t{state}\t{row.language}\t{' '.join(row.components) or '(all components)'}")
    confirmed = sum(1 for row in rows if row.confirmed)
    click.echo(f"{confirmed} confirmed, {len(rows) - confirmed} pending", err=True)


def register(group: click.Group) -> None:
    group.add_command(subscriptions)
