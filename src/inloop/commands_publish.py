"""``inloop publish DEST``: build, upload what changed, then (``--notify``) notify."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .build import build_time
from .config import CONFIG_NAME, TomlLines
from .errors import BuildError, Problem
from .options import make_builder, no_wait_option, now_option, output_option, report_errors, say_waiting, source_option
from .outputlock import output_lock


def _publish_settings(source: Path, shown_config: str, raw: object) -> object:
    """``[publish]`` as settings; a bad key is a ``path:line`` problem."""
    from .publish import PublishSettings, SettingError

    table = raw if isinstance(raw, dict) else {}
    try:
        return PublishSettings.from_mapping(table)
    except SettingError as exc:
        text = (source / CONFIG_NAME).read_text("utf-8")
        raise BuildError([Problem(shown_config, TomlLines(text).line("publish", exc.key), str(exc))]) from None


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
    from .publish import PublishSettings, publish_site

    builder = make_builder(source, output)
    moment = build_time(now)
    # the output folder stays as built until it is uploaded: no other build may write it meanwhile
    with output_lock(builder.output, "inloop publish", wait=not no_wait, on_wait=say_waiting):
        report = builder.build_once(moment)
        click.echo(f"built {report.files} files: {len(report.written)} written")
        loaded = builder.load(moment).config
        assert loaded.config is not None
        raw = dict(loaded.config.raw_tables).get("publish", {})
        settings = _publish_settings(builder.source, loaded.path, raw)
        assert isinstance(settings, PublishSettings)
        result = publish_site(
            builder.output, dest, full=full, dry_run=dry_run, settings=settings, progress=sys.stderr.isatty()
        )
    lines = result.lines()
    for line in lines if verbose or dry_run else lines[-1:]:
        click.echo(line)
    if and_notify:
        from .commands_notify import run_and_print

        if not run_and_print(builder.source, source, moment, None, None, dry_run):
            sys.exit(1)


def register(group: click.Group) -> None:
    group.add_command(publish)
