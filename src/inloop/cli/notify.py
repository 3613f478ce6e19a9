"""``inloop notify``: the Click layer over :func:`inloop.notify.notify`."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from inloop.build.builder import build_time
from inloop.cli.options import now_option, report_errors, source_option
from inloop.errors import BuildError, UsageError
from inloop.times import parse_now


def parse_since(since: str | None) -> datetime | None:
    if since is None:
        return None
    try:
        return parse_now(since)
    except ValueError as exc:
        raise UsageError(f"--since: {exc}") from None


@click.command()
@source_option
@now_option
@click.option("--since", default=None, metavar="TIME", help="Send updates after TIME, even on the first run.")
@click.option("--state", default=None, metavar="PATH", help="Where the record of what was sent lives (file or s3://).")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send and record nothing.")
@report_errors
def notify(source: str, now: str | None, since: str | None, state: str | None, dry_run: bool) -> None:
    """Send every update not sent yet to the webhooks and subscribers in [notify].

    The first run records a starting point and sends nothing. Updates older
    than max_age_hours are recorded, not sent. Failed deliveries stay pending
    for the next run and make the exit status 1.
    """
    if not run_and_print(Path(source), source, build_time(now), parse_since(since), state, dry_run):
        sys.exit(1)


def run_and_print(
    source: Path, shown: str, now: datetime, since: datetime | None, state: str | None, dry_run: bool
) -> bool:
    """Notify and print what happened; False when a delivery failed."""
    from inloop.notify import notify as run_notify

    try:
        report = run_notify(source, now=now, shown_source=shown, since=since, state=state, dry_run=dry_run)
    except BuildError as exc:  # the site or [notify] is wrong: nothing was sent, and no site was built
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        count = len(exc.problems)
        click.echo(f"notify stopped: {count} error{'s' if count != 1 else ''} to fix first; nothing was sent", err=True)
        sys.exit(1)
    for line in report.lines():
        click.echo(line)
    return report.ok


def register(group: click.Group) -> None:
    group.add_command(notify)
