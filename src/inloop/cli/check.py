"""``inloop check``, ``inloop stats`` and ``inloop build --strict``: thin Click commands.

Warnings go to stdout as ``path:line: CODE message``; errors, notes and
summaries go to stderr.  Exit status: 0 when clean, 1 for warnings or
errors, 2 for a command line Click cannot use (an unknown ``--explain`` code).
"""

from __future__ import annotations

import re
import sys
from datetime import date, datetime
from gettext import NullTranslations
from typing import TYPE_CHECKING, NoReturn

import click

from inloop.build.builder import Builder, build_time
from inloop.cli.options import format_option, make_builder, now_option, report_errors, source_option
from inloop.errors import BuildError, Problem

if TYPE_CHECKING:
    from inloop.check.runner import CheckReport

# The checks, their formats, the statistics and the uptime figures are imported where they are used:
# every command loads this module, 'inloop build' included, and they took 35 ms to import.


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def explain(code: str) -> str:
    """What ``inloop check --explain CODE`` prints."""
    from inloop.check.phrases import BUILTIN, toml_list
    from inloop.check.rules import RULES

    rule = RULES[code]
    lines = [f"{rule.code}: {rule.summary}", "", rule.explanation]
    if rule.phrase_list is not None:
        name = rule.phrase_list
        for language, lists in sorted(BUILTIN.items()):
            if name in lists:
                lines += ["", f"The built-in list for '{language}' ([check.phrases.{language}] replaces it):", ""]
                lines.append(toml_list(name, lists[name]))
    lines += [
        "",
        "Switch it off for the whole site in inloop.toml:",
        f'  [check]\n  disable = ["{code}"]',
        "for one file in its front matter:",
        f"  check: {{disable: [{code}]}}",
        "or for one line, at its end or alone on the line before it:",
        f"  <!-- inloop: ignore {code} -->   (in the body)",
        f"  # inloop: ignore {code}          (in the front matter)",
    ]
    return "\n".join(lines) + "\n"


def print_report(report: CheckReport, output_format: str = "text", command: str = "check") -> None:
    """Errors (stderr), warnings (stdout), then notes (stderr); or all of them as ``--format`` says."""
    from inloop.check.formats import checked_counts, render, report_entries

    if output_format != "text":
        click.echo(render(output_format, command, report_entries(report), checked_counts(report)), nl=False)
    else:
        for problem in report.errors:
            click.echo(str(problem), err=True)
        for warning in report.warnings:
            click.echo(str(warning))
    for note in report.notes:
        click.echo(note, err=True)


def report_to_github(report: CheckReport) -> None:
    """The step summary and outputs, when GitHub Actions names their files."""
    from inloop.check.formats import checked_counts, report_entries
    from inloop.check.github import write_for_github

    for warning in write_for_github(report_entries(report), checked_counts(report)):
        click.echo(warning, err=True)


def strict_gate(builder: Builder, now: datetime, output_format: str = "text") -> None:
    """``build --strict``: stop with exit status 1 before writing, if the check finds anything.

    Build errors are raised as :class:`BuildError`, so they print as ``build``
    prints them.
    """
    from inloop.check.runner import check_site

    report = check_site(builder, now, strict=True)
    if report.stopped:
        raise BuildError(report.errors)
    if report.ok:
        for note in report.notes:
            click.echo(note, err=True)
        return
    print_report(report, output_format, "build")
    found = [_plural(len(report.warnings), "warning")] if report.warnings else []
    if report.errors:
        found.append(_plural(len(report.errors), "error"))
    click.echo(f"build failed with --strict: {' and '.join(found)}; the site was not changed", err=True)
    sys.exit(1)


def _explain_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from inloop.check.rules import RULES
    from inloop.check.settings import CODES
    from inloop.read.config import did_you_mean

    if value is not None and value not in RULES:
        raise click.BadParameter(f"unknown rule '{value}': {did_you_mean(value, CODES)}")
    return value


def run_check(source: str, now: str | None, output_format: str = "text", strict: bool = False) -> None:
    """``inloop check``: errors and stop, or warnings; exit 1 on any."""
    from inloop.check.runner import check_site

    report = check_site(make_builder(source, None), build_time(now), strict)
    report_to_github(report)
    if report.stopped:
        _stop(report.errors, "check", output_format)
    print_report(report, output_format)
    if report.warnings:
        click.echo(
            f"{_plural(len(report.warnings), 'warning')} ('inloop check --explain CODE' says why and how to fix it)",
            err=True,
        )
    if not report.ok:
        sys.exit(1)
    click.echo(report.summary(), err=True)


def run_stats(source: str, now: str | None, as_json: bool, uptime: bool = False, month: date | None = None) -> None:
    """``inloop stats``: a table, or JSON; with ``uptime``, a month's uptime figures instead."""
    from inloop.check.stats import site_stats, stats_json, stats_table
    from inloop.render import uptime_files
    from inloop.render.formatting import Formatter
    from inloop.render.uptime import Uptime

    moment = build_time(now)
    loaded = make_builder(source, None).load(moment)
    config = loaded.config.config
    if loaded.problems or config is None:
        _stop(sorted(set(loaded.problems)), "stats")
    if uptime:
        figures = Uptime(config, loaded.content, moment)
        chosen = month or moment.astimezone(config.zone).date().replace(day=1)
        if as_json:
            click.echo(uptime_files.stats_json(figures, chosen), nl=False)
        else:
            click.echo(uptime_files.stats_table(figures, chosen), nl=False)
        return
    stats = site_stats(config, loaded.content, moment)
    if as_json:
        click.echo(stats_json(stats), nl=False)
    else:
        fmt = Formatter(config.zone, "en", NullTranslations())
        click.echo(stats_table(stats, fmt.duration), nl=False)


def _stop(problems: list[Problem], command: str, output_format: str = "text") -> NoReturn:
    """Print build errors as ``build`` does, then exit 1."""
    from inloop.check.formats import error_entries, render

    if output_format != "text":
        click.echo(render(output_format, command, error_entries(problems)), nl=False)
    else:
        for problem in problems:
            click.echo(str(problem), err=True)
    count = _plural(len(problems), "error")
    click.echo(f"{command} stopped: {count} to fix first ('inloop build' reports the same)", err=True)
    sys.exit(1)


@click.command("check")
@source_option
@now_option
@click.option(
    "--explain",
    "explain_code",
    metavar="CODE",
    default=None,
    callback=_explain_callback,
    help="Explain the rule CODE (why it matters, how to fix it, how to switch it off) and exit.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Also fail on a template's text left unchanged longer than [check] template_text_minutes "
    "(without it, such text is listed as notes).",
)
@format_option
@report_errors
def check_command(source: str, now: str | None, explain_code: str | None, strict: bool, output_format: str) -> None:
    """Check incidents for good customer communication, like a linter.

    Reports the errors 'inloop build' would (and then stops); otherwise
    prints one warning per line as path:line: CODE message on stdout.
    Exit status 1 if there is any warning, 0 if none.  '--format github'
    prints GitHub Actions annotations instead, '--format json' one JSON
    document; in GitHub Actions ($GITHUB_STEP_SUMMARY set) the results are
    also added to the step summary.  '--explain CODE' says more about each
    rule:

    \b
    no-cause, no-estimate, estimate-passed, next-update-passed, silence,
    no-prevention, prevention-overdue, finger-pointing, sales-pitch,
    todo, empty-update, still-investigating, short-estimate,
    imported-defaults, template-text
    """
    if explain_code is not None:
        click.echo(explain(explain_code), nl=False)
        return
    run_check(source, now, output_format, strict)


def _month_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    found = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1:
        raise click.BadParameter(f"expected a month as YYYY-MM, such as 2026-11, found '{value}'")
    return date(int(found.group(1)), int(found.group(2)), 1)


@click.command("stats")
@source_option
@now_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (durations in seconds) instead of a table.")
@click.option(
    "--uptime",
    is_flag=True,
    help="Print a month's uptime and downtime minutes per component, group and overall, for SLA reports.",
)
@click.option(
    "--month",
    metavar="YYYY-MM",
    default=None,
    callback=_month_callback,
    help="With --uptime: the month, in the site's time zone (default: the current month, up to now).",
)
@report_errors
def stats_command(source: str, now: str | None, as_json: bool, uptime: bool, month: date | None) -> None:
    """How incidents were handled, per impact and per component.

    Incidents, median time from 'started:' to the first update, median
    time to resolve, longest silence between updates, prevention steps
    open and done; then the share of first estimates met over the last
    90 days, with the median error.  With '--uptime', a month's uptime
    instead: the same figures as uptime.json and the uptime page.
    """
    if month is not None and not uptime:
        raise click.UsageError("--month goes with --uptime: 'inloop stats --uptime --month 2026-11'")
    run_stats(source, now, as_json, uptime, month)


def register(main: click.Group) -> None:
    """Add ``check`` and ``stats`` to the ``inloop`` command group."""
    main.add_command(check_command)
    main.add_command(stats_command)
