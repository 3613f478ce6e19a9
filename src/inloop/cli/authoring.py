"""The authoring commands: ``init``, ``new``, ``update``, ``resolve``, ``prevention``, ``list``.

Thin, like the rest of the command line: parse options, call one function
of :mod:`inloop.authoring`, print what it did.  :func:`register` adds them
to the ``inloop`` group and wraps each in the group's error reporting.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from inloop.build.builder import build_time
from inloop.cli.options import report_errors, source_option
from inloop.errors import UsageError

#: Unlike a build's --now, the authoring commands' --now ignores SOURCE_DATE_EPOCH:
#: an update posted at a build's fixed time would be posted at the wrong time.
now_option = click.option(
    "--now",
    default=None,
    metavar="TIME",
    help="Act as if it were TIME ('2026-11-20 12:00 UTC', ISO 8601 or Unix seconds); for tests. Default: the clock.",
)
at_option = click.option(
    "--at",
    default=None,
    metavar="TIME",
    help="When it happened, if not now: '2026-11-20 14:05' (the site's time zone), '2026-11-20 13:05 UTC', "
    "or a clock time '14:05' (today in the site's zone; a time later than now is an error, never yesterday). "
    "Not before the incident started. Seconds are written only if given.",
)
component_help = (
    "An affected component, as ID or ID=STATUS (degraded_performance, partial_outage, major_outage, operational); "
    "ID alone means partial_outage. Repeat for more."
)


def _now(now: str | None) -> datetime:
    if now:
        return build_time(now)
    return datetime.now(UTC)


def _echo(lines: list[str]) -> None:
    for line in lines:
        click.echo(line)


@click.command("init")
@click.argument("folder", metavar="[DIR]", default=".", type=click.Path(path_type=str))
@click.option("--title", default="Example Status", show_default=True, help="The site's title.")
@click.option(
    "--base-url",
    default="https://status.example.com/",
    show_default=True,
    metavar="URL",
    help="Where the site will be published.",
)
@click.option("--timezone", default="UTC", show_default=True, metavar="ZONE", help="IANA time zone for shown times.")
@now_option
@report_errors
def init(folder: str, title: str, base_url: str, timezone: str, now: str | None) -> None:
    """Start a new status site in DIR (default: here).

    Writes inloop.toml, with one component and commented examples, and the
    empty folders content/incidents/ and content/maintenance/.  Refuses if
    inloop.toml exists.
    """
    from inloop.authoring.scaffold import init_site

    scaffold = init_site(Path(folder), folder, _now(now), title=title, base_url=base_url, timezone=timezone)
    _echo(scaffold.lines)


@click.group("new")
def new() -> None:
    """Create an incident or a maintenance window file."""


def _after_edit(source: Path, created: Any, config: Any) -> None:
    """Open $EDITOR on a new file, then say whether it still builds."""
    from inloop.authoring.site import parse_item

    try:
        click.edit(filename=str(created.path))
    except click.ClickException as exc:
        raise UsageError(f"could not open an editor: {exc.format_message()} (set $EDITOR)") from None
    item, problems = parse_item(created.kind, created.path.read_bytes(), created.id, created.shown, config)
    if item is None or problems:
        for problem in sorted(problems):
            click.echo(str(problem), err=True)
        count = len(problems)
        raise UsageError(f"{created.shown} has {count} error{'s' if count != 1 else ''} now: fix before building")
    click.echo(f"edited {created.shown}")


template_option = click.option(
    "--template",
    "-t",
    default=None,
    metavar="NAME",
    help="Fill in templates/incidents/NAME.md (templates/maintenance/ for a window): its text, components and "
    "impact; the options given here replace them.",
)
var_option = click.option(
    "--var",
    "variables",
    multiple=True,
    metavar="KEY=VALUE",
    help="A value for the template's placeholder ${KEY}; repeat for more.",
)


def _variables(given: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in given:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--var '{item}': expected KEY=VALUE, such as --var summary='Checkout fails'")
        found[key] = value
    return found


@new.command("incident")
@click.argument("title", required=False)
@source_option
@click.option("--impact", default=None, metavar="IMPACT", help="none, minor, major or critical.  [default: minor]")
@click.option(
    "--component",
    "-c",
    "components",
    multiple=True,
    metavar="ID[=STATUS]",
    help=component_help + " Needed unless the site has only one component.",
)
@click.option(
    "--status",
    default=None,
    metavar="STATUS",
    help="Investigating, Identified or Monitoring ('inloop resolve' resolves it later).  [default: investigating]",
)
@click.option("--message", "-m", default=None, metavar="TEXT", help="The first update's text.  [default: TODO]")
@at_option
@template_option
@var_option
@click.option("--edit", is_flag=True, help="Open the new file in $EDITOR.")
@now_option
@report_errors
def new_incident(
    title: str | None,
    source: str,
    impact: str | None,
    components: tuple[str, ...],
    status: str | None,
    message: str | None,
    at: str | None,
    template: str | None,
    variables: tuple[str, ...],
    edit: bool,
    now: str | None,
) -> None:
    """Open an incident: write content/incidents/<date>-<slug>.md.

    The front matter is filled in from the options; the cause, estimate,
    next update and prevention steps are left as commented prompts, which
    'inloop update' fills in.  The first update says --message, or TODO.
    With --template NAME, the file is templates/incidents/NAME.md filled in
    (TITLE, if given, replaces the template's title).
    """
    from inloop.authoring.create import new_incident as create
    from inloop.authoring.site import load_site

    root = Path(source)
    config = load_site(root, source)
    created = create(
        root,
        source,
        config,
        _now(now),
        title,
        impact=impact,
        components=components,
        status=status,
        message=message,
        at=at,
        template=template,
        variables=_variables(variables),
    )
    _echo(created.lines)
    if edit:
        _after_edit(root, created, config)


@new.command("maintenance")
@click.argument("title", required=False)
@source_option
@click.option(
    "--start",
    required=True,
    metavar="TIME",
    help="When the window starts: '2026-12-03 07:00' (the site's time zone), '... UTC', or a clock time "
    "'23:00' (the next 23:00 from now).",
)
@click.option(
    "--end",
    required=True,
    metavar="TIME",
    help="When it ends: a time, a clock time (the next one after the start) or a duration from the start "
    "('2h', '90m').",
)
@click.option(
    "--component",
    "-c",
    "components",
    multiple=True,
    metavar="ID",
    help="A component under maintenance; repeat for more. Needed unless the site has only one component.",
)
@click.option(
    "--message",
    "-m",
    default=None,
    metavar="TEXT",
    help="The Scheduled update's text.  [default: a sentence naming the components and the window]",
)
@click.option("--description", default=None, metavar="TEXT", help="What will change and what customers notice.")
@template_option
@var_option
@click.option("--edit", is_flag=True, help="Open the new file in $EDITOR.")
@now_option
@report_errors
def new_maintenance(
    title: str | None,
    source: str,
    start: str,
    end: str,
    components: tuple[str, ...],
    message: str | None,
    description: str | None,
    template: str | None,
    variables: tuple[str, ...],
    edit: bool,
    now: str | None,
) -> None:
    """Schedule a maintenance window: write content/maintenance/<start date>-<slug>.md.

    Its first update, Scheduled, announces the window in the feed.
    """
    from inloop.authoring.create import new_maintenance as create
    from inloop.authoring.site import load_site

    root = Path(source)
    config = load_site(root, source)
    created = create(
        root,
        source,
        config,
        _now(now),
        title,
        start=start,
        end=end,
        components=components,
        message=message,
        description=description,
        template=template,
        variables=_variables(variables),
    )
    _echo(created.lines)
    if edit:
        _after_edit(root, created, config)


@click.command("update")
@click.argument("reference", metavar="ID")
@click.argument("message")
@source_option
@click.option(
    "--status",
    default=None,
    metavar="STATUS",
    help="Incidents: Investigating, Identified, Monitoring, Resolved. Maintenance: Scheduled, 'In progress', "
    "Verifying, Completed.  [default: Update, which keeps the status]",
)
@at_option
@click.option("--cause", default=None, metavar="TEXT", help="What is wrong (sets 'cause').")
@click.option(
    "--estimate",
    default=None,
    metavar="TIME",
    help="When service will be restored: '2026-11-20 16:30' (the site's time zone), '... UTC', a clock time "
    "'16:30' (the next 16:30 after the update's time), or a duration from the update's time ('45m', '2h'). "
    "Not before the update. The old estimate is kept in previous_estimates.",
)
@click.option(
    "--next-update",
    default=None,
    metavar="TIME",
    help="When the next update will come: as --estimate, a time, a clock time (the next one after the update) "
    "or a duration ('30m').",
)
@click.option(
    "--component",
    "-c",
    "components",
    multiple=True,
    metavar="ID[=STATUS]",
    help="Incidents: a component's status from this update on, as ID=STATUS (operational, degraded_performance, "
    "partial_outage, major_outage; ID alone means partial_outage), written as the status line "
    "'Components: ID → STATUS' at the top of the update; a component not yet affected is added. "
    "Maintenance: ID adds a component. Repeat for more.",
)
@click.option("--prevention", multiple=True, metavar="TEXT", help="Add a prevention step; repeat for more.")
@click.option("--reopen", is_flag=True, help="Post to a resolved incident (or completed window), reopening it.")
@now_option
@report_errors
def update(
    reference: str,
    message: str,
    source: str,
    status: str | None,
    at: str | None,
    cause: str | None,
    estimate: str | None,
    next_update: str | None,
    components: tuple[str, ...],
    prevention: tuple[str, ...],
    reopen: bool,
    now: str | None,
) -> None:
    """Post an update to an incident or maintenance window.

    ID may be the beginning of an id, or of the part after its date, if
    only one item matches.  The update is added next to the newest one, and
    only the lines that change are touched.
    """
    from inloop.authoring.post import Request, post

    request = Request(
        message,
        status=status,
        at=at,
        cause=cause,
        estimate=estimate,
        next_update=next_update,
        components=components,
        prevention=prevention,
        reopen=reopen,
    )
    _echo(post(Path(source), source, reference, request, _now(now)))


@click.command("resolve")
@click.argument("reference", metavar="ID")
@click.argument("message")
@source_option
@at_option
@click.option("--cause", default=None, metavar="TEXT", help="What was wrong (sets 'cause').")
@click.option("--prevention", multiple=True, metavar="TEXT", help="Add a prevention step; repeat for more.")
@now_option
@report_errors
def resolve(
    reference: str,
    message: str,
    source: str,
    at: str | None,
    cause: str | None,
    prevention: tuple[str, ...],
    now: str | None,
) -> None:
    """Resolve an incident (post Resolved), or complete a maintenance window (post Completed)."""
    from inloop.authoring.post import Request, post

    request = Request(message, at=at, cause=cause, prevention=prevention, resolve=True)
    _echo(post(Path(source), source, reference, request, _now(now)))


@click.group("prevention")
def prevention() -> None:
    """Add prevention steps to an incident, or mark them done, open or resolved.

    Neither posts an update nor changes the incident's status: a resolved
    incident stays resolved.  The feeds and 'inloop notify' announce a step
    done as a follow-up of the incident.
    """


@prevention.command("add")
@click.argument("reference", metavar="ID")
@click.argument("step", metavar="STEP")
@source_option
@now_option
@report_errors
def prevention_add(reference: str, step: str, source: str, now: str | None) -> None:
    """Add STEP at the end of the prevention steps of incident ID.

    --now is accepted, as by every authoring command, and changes nothing here.
    """
    from inloop.authoring.prevention import add_step

    _now(now)  # a bad --now is still an error
    _echo(add_step(Path(source), source, reference, step))


@prevention.command("done")
@click.argument("reference", metavar="ID")
@click.argument("number", metavar="N")
@source_option
@click.option(
    "--at",
    default=None,
    metavar="DATE",
    help="When it was done, if not now: a date '2026-11-20', a time '2026-11-20 14:05' (the site's time zone) "
    "or '... UTC', or a clock time '14:05' (today). Not in the future, not before the incident started.",
)
@now_option
@report_errors
def prevention_done(reference: str, number: str, source: str, at: str | None, now: str | None) -> None:
    """Mark step N of incident ID done (1 is the first, as the page numbers them)."""
    from inloop.authoring.prevention import mark_done

    _echo(mark_done(Path(source), source, reference, number, at, _now(now)))


@click.command("list")
@source_option
@click.option(
    "--all", "everything", is_flag=True, help="Add the resolved incidents and finished windows, newest first."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts (its keys: see the docs).")
@now_option
@report_errors
def list_command(source: str, everything: bool, as_json: bool, now: str | None) -> None:
    """List the open incidents and the maintenance in progress or upcoming.

    One a line: id, status, impact ('maintenance' for a window), the time
    of the last update, title.  Open incidents come first, the most recently
    updated first; then windows in progress, then upcoming ones, the soonest
    first.  A file that does not build is reported on stderr (exit status 1);
    the others are still listed.
    """
    from inloop.authoring.listing import json_text, list_items, text_lines

    listing = list_items(Path(source), source, _now(now), everything=everything)
    if as_json:
        click.echo(json_text(listing), nl=False)
    else:
        _echo(text_lines(listing, everything=everything))
    if listing.problems:
        for problem in listing.problems:
            click.echo(str(problem), err=True)
        count = len(listing.problems)
        plural = "s" if count != 1 else ""
        raise UsageError(f"{count} error{plural} in the content: the files with errors are not listed")


COMMANDS: tuple[click.Command, ...] = (init, new, update, resolve, prevention, list_command)


def register(group: click.Group) -> None:
    """Add the authoring commands to ``group``."""
    for command in COMMANDS:
        group.add_command(command)
