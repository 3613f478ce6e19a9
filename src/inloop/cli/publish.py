"""``inloop publish DEST``: build, upload what changed, then (``--notify``) notify."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from inloop.build.builder import Builder, build_time, shown_path
from inloop.build.lock import output_lock
from inloop.cli.options import (
    make_builder,
    no_wait_option,
    now_option,
    output_option,
    report_errors,
    say_waiting,
    source_option,
)
from inloop.errors import BuildError, Problem, UsageError
from inloop.read.config import CONFIG_NAME, TomlLines, load_config

if TYPE_CHECKING:
    from inloop.publish import PublishSettings


def _publish_settings(source: Path, shown_config: str, raw: object) -> PublishSettings:
    """``[publish]`` as settings; a bad key is a ``path:line`` problem."""
    from inloop.publish import PublishSettings, SettingError

    table = raw if isinstance(raw, dict) else {}
    try:
        return PublishSettings.from_mapping(table)
    except SettingError as exc:
        text = (source / CONFIG_NAME).read_text("utf-8")
        raise BuildError([Problem(shown_config, TomlLines(text).line("publish", exc.key), str(exc))]) from None


def settings_before_build(builder: Builder, and_notify: bool) -> PublishSettings | None:
    """``[publish]`` (and ``[notify]`` for ``--notify``), checked before anything is written.

    A mistake there stops the command with its ``path:line`` while the site
    and the destination are as they were.  ``None`` when ``inloop.toml``
    itself has errors: the build reports those, and writes nothing either.
    """
    shown_config = shown_path(builder.shown_source, CONFIG_NAME)
    loaded = load_config(builder.source, shown_config)
    if loaded.config is None:
        return None
    tables = dict(loaded.config.raw_tables)
    problems: list[Problem] = []
    settings: PublishSettings | None = None
    try:
        settings = _publish_settings(builder.source, shown_config, tables.get("publish", {}))
    except BuildError as exc:
        problems += exc.problems
    if and_notify:
        from inloop.notify.settings import read_settings

        raw = tables.get("notify")
        if not isinstance(raw, dict):
            raise UsageError("--notify needs a [notify] table in inloop.toml: see the README's 'Notifications' section")
        try:
            read_settings(raw, builder.source, shown_config, tuple(c.id for c in loaded.config.components))
        except BuildError as exc:
            problems += exc.problems
    if problems:
        for problem in sorted(problems):
            click.echo(str(problem), err=True)
        count = len(problems)
        click.echo(
            f"publish stopped: {count} error{'s' if count != 1 else ''} in inloop.toml; "
            "nothing was built, published or sent",
            err=True,
        )
        sys.exit(1)
    return settings


@click.command()
@click.argument("dest")
@source_option
@output_option
@now_option
@click.option("--full", is_flag=True, help="Check every object in the store and repair what differs.")
@click.option("--dry-run", is_flag=True, help="List what would change; upload, delete and send nothing.")
@click.option("--notify", "and_notify", is_flag=True, help="After publishing, run 'inloop notify'.")
@click.option("--verbose", "-v", is_flag=True, help="List every uploaded and deleted file.")
@no_wait_option
@report_errors
def publish(
    dest: str,
    source: str,
    output: str | None,
    now: str | None,
    full: bool,
    dry_run: bool,
    and_notify: bool,
    verbose: bool,
    no_wait: bool,
) -> None:
    """Build the site, then upload it to DEST: a folder or s3://bucket/prefix.

    Only what changed goes up (judged by the manifest .inloop/manifest.json in
    the destination), in an order that never leaves a page linking to a
    missing file; running it again completes an interrupted publish.
    Credentials come from the usual AWS environment variables.
    """
    from inloop.publish import publish_site

    builder = make_builder(source, output)
    moment = build_time(now)
    checked = settings_before_build(builder, and_notify)
    # the output folder stays as built until it is uploaded: no other build may write it meanwhile
    with output_lock(builder.output, "inloop publish", wait=not no_wait, on_wait=say_waiting):
        report = builder.build_once(moment)
        click.echo(f"built {report.files} files: {len(report.written)} written")
        settings = checked if checked is not None else _publish_settings(builder.source, CONFIG_NAME, {})
        result = publish_site(
            builder.output, dest, full=full, dry_run=dry_run, settings=settings, progress=sys.stderr.isatty()
        )
    lines = result.lines()
    for line in lines if verbose or dry_run else lines[-1:]:
        click.echo(line)
    if and_notify:
        from inloop.cli.notify import run_and_print

        if not run_and_print(builder.source, source, moment, None, None, dry_run):
            sys.exit(1)


def register(group: click.Group) -> None:
    group.add_command(publish)
