"""``inloop import``: an existing status page's history feed becomes an inloop site."""

from __future__ import annotations

from pathlib import Path

import click

from inloop.build.builder import build_time
from inloop.cli.options import now_option, report_errors, source_option

#: ``inloop.importer.feed.DEFAULT_DEADLINE``, written here: importing the importer (and feedparser) for
#: every command, ``inloop build`` included, took 65 ms (tests/test_cli_imports.py holds the two equal).
DEFAULT_DEADLINE = 60.0


@click.command(name="import")
@click.argument("feed", metavar="FILE_OR_URL")
@source_option
@click.option(
    "--component",
    default=None,
    metavar="ID",
    help="Component id for imported items whose source names none (RSS and Atom never do).  "
    "[default: imported, recorded as a default that 'inloop check' points out]",
)
@click.option(
    "--impact",
    default=None,
    type=click.Choice(["none", "minor", "major", "critical"]),
    help="Impact for imported incidents whose source does not say (RSS and Atom never do).  "
    "[default: minor, recorded as a default that 'inloop check' points out]",
)
@click.option(
    "--source-timezone",
    default="UTC",
    show_default=True,
    metavar="ZONE",
    help="IANA zone that the feed's abbreviations (PST, CET) mean.",
)
@click.option("--resolve-stale", is_flag=True, help="Close imported incidents left open for more than 30 days.")
@click.option(
    "--timeout",
    "--deadline",
    "deadline",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_DEADLINE,
    show_default=True,
    metavar="SECONDS",
    help="Give up on a URL that is not read whole within this many seconds in all (connecting, waiting, reading).",
)
@now_option
@report_errors
def import_command(
    feed: str,
    source: str,
    component: str | None,
    impact: str | None,
    source_timezone: str,
    resolve_stale: bool,
    deadline: float,
    now: str | None,
) -> None:
    """Import an Atlassian Statuspage history (RSS, Atom or API JSON) into content/.

    One file per incident (and per maintenance window); existing files are
    never overwritten, so running it twice changes nothing. Without an
    inloop.toml, one is written from the feed's title and link; components
    are added to it only when an imported file uses them. Imported HTML is
    sanitized: nothing that runs or loads reaches the pages.
    """
    from inloop.importer import import_feed

    report = import_feed(
        feed,
        Path(source),
        component=component,
        impact=impact,
        source_timezone=source_timezone,
        resolve_stale=resolve_stale,
        now=build_time(now),
        deadline=deadline,
    )
    for line in report.lines():
        click.echo(line)


def register(group: click.Group) -> None:
    group.add_command(import_command)
