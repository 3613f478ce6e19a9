"""The command line: parse options, call one function, map errors to exit codes.

Authors' mistakes print as ``path:line: message`` on stderr with exit status
1; Click keeps exit status 2 for a command line it cannot parse.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime

import click

from inloop import __version__
from inloop.build.builder import build_time
from inloop.build.lock import output_lock
from inloop.cli.options import format_option
from inloop.cli.options import make_builder as make_builder
from inloop.cli.options import no_wait_option as no_wait_option
from inloop.cli.options import now_option as now_option
from inloop.cli.options import output_option as output_option
from inloop.cli.options import report_errors as report_errors
from inloop.cli.options import say_waiting as say_waiting
from inloop.cli.options import source_option as source_option


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="inloop")
def main() -> None:
    """inloop: a static status page, written as Markdown, built into plain files.

    Write one Markdown file per incident in content/incidents/ (and per
    maintenance window in content/maintenance/), then run 'inloop build'.
    """


@main.command()
@source_option
@output_option
@now_option
@click.option(
    "--base-url", default=None, metavar="URL", help="Override base_url from inloop.toml (e.g. for a preview)."
)
@click.option("--strict", is_flag=True, help="Fail, writing nothing, if 'inloop check' finds anything.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache in .inloop-cache/.")
@format_option
@no_wait_option
@report_errors
def build(
    source: str,
    output: str | None,
    now: str | None,
    base_url: str | None,
    strict: bool,
    no_cache: bool,
    output_format: str,
    no_wait: bool,
) -> None:
    """Build the site into the output folder.

    Every error in every file is listed as path:line: message, and then
    nothing is written: the last good site stays as it was.  One build at a
    time writes an output folder: a second one waits for the first.  With
    '--format github' the errors are GitHub Actions annotations, with
    '--format json' one JSON document on stdout (the build's own line then
    goes to stderr).
    """
    builder = make_builder(source, output, base_url, cache=not no_cache)
    moment = build_time(now)
    with output_lock(builder.output, "inloop build", wait=not no_wait, on_wait=say_waiting):
        if strict:
            from inloop.cli.check import strict_gate

            strict_gate(builder, moment, output_format)
        report = builder.build_once(moment)
    how = "" if not report.from_ledger else " (inputs as at the last build: output checked, nothing rendered)"
    if output_format == "json":
        from inloop.check.formats import render

        click.echo(render("json", "build", []), nl=False)
    click.echo(
        f"built {report.files} files in {report.seconds * 1000:.0f} ms: "
        f"{len(report.written)} written, {len(report.removed)} removed, output in {builder.output}{how}",
        err=output_format == "json",
    )


def _clock(now: str | None) -> tuple[Callable[[], datetime], bool]:
    """The build time for the watcher: fixed by --now or SOURCE_DATE_EPOCH, else the clock."""
    if now or os.environ.get("SOURCE_DATE_EPOCH"):
        fixed = build_time(now)
        return (lambda: fixed), False
    return (lambda: build_time(None)), True


@main.command()
@source_option
@output_option
@now_option
@report_errors
def watch(source: str, output: str | None, now: str | None) -> None:
    """Build, then rebuild on every change to inloop.toml, content/, templates/ or static/.

    A failed rebuild prints its errors and keeps the last good site.
    """
    from inloop.dev.loop import run_watch

    clock, follow = _clock(now)
    run_watch(make_builder(source, output), clock, follow)


@main.command()
@source_option
@output_option
@now_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", "-p", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--open", "open_browser", is_flag=True, help="Open the site in a web browser.")
@report_errors
def serve(source: str, output: str | None, now: str | None, host: str, port: int, open_browser: bool) -> None:
    """Build, serve the site on http://HOST:PORT/, rebuild on every change, and reload the browser.

    Only HTML responses get the live-reload script; the files on disk stay as
    built.  After a failed rebuild, pages show the errors over the last good site.
    """
    from inloop.dev.loop import run_serve

    clock, follow = _clock(now)
    run_serve(make_builder(source, output), clock, follow, host, port, open_browser)


def _register_commands() -> None:
    """The other commands live in modules of their own, each with a ``register(group)``.

    Imported here, after the group exists; none of them imports this module.
    """
    from inloop.cli import authoring, check, importing, notify, publish, receive
    from inloop.subscriptions import cli as subscriptions

    for module in (authoring, check, importing, notify, publish, receive, subscriptions):
        module.register(main)


_register_commands()
