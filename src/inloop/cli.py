"""The command line: parse options, call one function, map errors to exit codes.

Authors' mistakes print as ``path:line: message`` on stderr with exit status
1; Click keeps exit status 2 for a command line it cannot parse.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .build import Builder, build_time
from .errors import BuildError, InloopError

F = TypeVar("F", bound=Callable[..., Any])


def report_errors(function: F) -> F:
    """Turn inloop's errors into messages and exit status 1, never a traceback."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except BuildError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            count = len(exc.problems)
            click.echo(f"build failed: {count} error{'s' if count != 1 else ''}; the site was not changed", err=True)
            sys.exit(1)
        except InloopError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


source_option = click.option(
    "--source",
    "-s",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=str),
    help="The status site's folder (holds inloop.toml and content/).",
)
output_option = click.option(
    "--output",
    "-o",
    default=None,
    type=click.Path(file_okay=False, path_type=str),
    help="Where to write the site.  [default: site/ inside the source]",
)
now_option = click.option(
    "--now",
    default=None,
    metavar="TIME",
    help="Build as if it were TIME ('2026-11-20 12:00 UTC', ISO 8601 or Unix seconds). "
    "Default: $SOURCE_DATE_EPOCH, else the clock.",
)


def make_builder(source: str, output: str | None, base_url: str | None = None) -> Builder:
    source_path = Path(source)
    output_path = Path(output) if output else source_path / "site"
    return Builder(source_path, output_path, shown_source=source, base_url=base_url)


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
@report_errors
def build(source: str, output: str | None, now: str | None, base_url: str | None) -> None:
    """Build the site into the output folder.

    Every error in every file is listed as path:line: message, and then
    nothing is written: the last good site stays as it was.
    """
    builder = make_builder(source, output, base_url)
    report = builder.build(build_time(now))
    click.echo(
        f"built {report.files} files in {report.seconds * 1000:.0f} ms: "
        f"{len(report.written)} written, {len(report.removed)} removed, output in {builder.output}"
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
    from .devloop import run_watch

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
    from .devloop import run_serve

    clock, follow = _clock(now)
    run_serve(make_builder(source, output), clock, follow, host, port, open_browser)
