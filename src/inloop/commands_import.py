"""``inloop import``: an existing status page's history feed becomes an inloop site."""

from __future__ import annotations

from pathlib import Path

import click

from .build import build_time
from .options import now_option, report_errors, source_option


@click.command(name="import")
@click.argument("feed", metavar="FILE_OR_URL")
@source_option
@click.option("--component", default="imported", show_default=True, help="Component id for the imported incidents.")
@click.option(
    "--impact",
    default="minor",
    show_default=True,
    type=click.Choice(["none", "minor", "major", "critical"]),
    help="Impact for the imported incidents (feeds do not say).",
)
@click.option(
    "--source-timezone",
    default="UTC",
    show_default=True,
    metavar="ZONE",
    help="IANA zone that the feed's abbreviations (PST, CET) mean.",
)
@click.option("--resolve-stale", is_flag=True, help="Close imported incidents left open for more than 30 days.")
@now_option
@report_errors
def import_command(
    feed: str, source: str, component: str, impact: str, source_timezone: str, resolve_stale: bool, now: str | None
) -> None:
    """Import an Atlassian Statuspage RSS or Atom history feed into content/.

    One file per incident (and per maintenance window); existing files are
    never overwritten, so running it twice changes nothing. Without an
    inloop.toml, one is written from the feed's title and link.
    """
    from .importer import import_feed

    report = import_feed(
        feed,
        Path(source),
        component=component,
        impact=impact,
        source_timezone=source_timezone,
        resolve_stale=resolve_stale,
        now=build_time(now),
    )
    for line in report.lines():
        click.echo(line)


def register(group: click.Group) -> None:
    group.add_command(import_command)
