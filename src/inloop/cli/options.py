"""Options and error handling shared by every command module."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from inloop.build.builder import Builder
from inloop.errors import BuildError, InloopError, Problem

F = TypeVar("F", bound=Callable[..., Any])


def report_errors(function: F) -> F:
    """Turn inloop's errors into messages and exit status 1, never a traceback."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except BuildError as exc:
            print_problems(exc.problems, kwargs.get("output_format", "text"))
            count = len(exc.problems)
            click.echo(f"build failed: {count} error{'s' if count != 1 else ''}; the site was not changed", err=True)
            sys.exit(1)
        except InloopError as exc:
            if kwargs.get("output_format") == "github":  # shown on the run's page, though it has no file
                from inloop.check.formats import escape_data

                click.echo(f"::error title=inloop::{escape_data(str(exc))}")
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def print_problems(problems: list[Problem], output_format: str) -> None:
    """A failed build's errors: ``path:line: message`` on stderr, or as ``--format`` says on stdout."""
    if output_format == "text":
        for problem in problems:
            click.echo(str(problem), err=True)
    else:
        from inloop.check.formats import error_entries, render

        click.echo(render(output_format, "build", error_entries(problems)), nl=False)


format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "github", "json"]),
    default="text",
    show_default=True,
    help="How to print errors and warnings: path:line: lines, GitHub Actions annotations, or JSON.",
)
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

no_wait_option = click.option(
    "--no-wait",
    is_flag=True,
    help="If another inloop process is building the same output folder, exit with status 1 instead of waiting.",
)


def say_waiting(message: str) -> None:
    """How a command that waits for another's build of its output folder says so (on stderr)."""
    click.echo(message, err=True)


def make_builder(source: str, output: str | None, base_url: str | None = None, *, cache: bool = True) -> Builder:
    source_path = Path(source)
    output_path = Path(output) if output else source_path / "site"
    return Builder(
        source_path, output_path, shown_source=source, base_url=base_url, cache_dir="default" if cache else None
    )
