"""``inloop init``: a new status site that builds as it is, and says what to do next."""

from __future__ import annotations

import tomllib
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from inloop.read.config import CONFIG_NAME, did_you_mean, validate_config

from ..errors import UsageError
from .files import create_new
from .lookup import FOLDERS
from .site import shown_path

CONFIG_TEMPLATE = """\
# The settings of this status site.  Build it with 'inloop build', preview it
# with 'inloop serve'.  Lines starting with '#' are examples: remove the '#'
# to use one.

title = {title}
base_url = {base_url}   # where the site will be published
timezone = {timezone}   # an IANA name such as "Europe/Berlin": times are shown in it
language = "en"
description = "Live status of our services"
# contact = "https://example.com/support"   # where customers go for help
# history_page_size = 25                    # incidents and maintenance windows per history page
# feed_items = 50                           # updates in feed.xml
# favicon = "https://example.com/favicon.png"   # your own icon: a URL, or a file in static/ ("favicon.png")

# One [[components]] table for each part of your service that customers know
# by name.  The id is a lowercase slug: incidents name components by it, and
# it becomes a URL.

[[components]]
id = "website"
name = "Website"
# group = "Platform"                        # components of a group are shown together
# description = "www.example.com and sign-in"

# [[components]]
# id = "api"
# name = "Public API"
# group = "Platform"

# What 'inloop check' holds incidents to.
[check]
since = {since}   # rules about resolved incidents apply to those resolved on or after this day
# disable = ["short-estimate"]              # rule codes to switch off ('inloop check --explain CODE')
# max_silence_minutes = 60                  # longest time without an update while unresolved
# prevention_days = 30                      # days to get prevention steps done after resolution
# template_text_minutes = 30                # how long a template's text may stay before 'check --strict' fails

# What 'inloop receive' does with alerts (Alertmanager, Grafana, any JSON):
# each rule opens an incident from a template in templates/incidents/.
# [alerts]
# token_env = "INLOOP_ALERTS_TOKEN"         # the environment variable holding the Bearer token
# flap_seconds = 300                        # an alert firing again this soon after clearing changes nothing
#
# [[alerts.rules]]
# match = {{ service = "website", severity = "~critical|page" }}   # "~..." is a regular expression
# components = {{ website = "major_outage" }}
# impact = "major"
# template = "outage"                       # templates/incidents/outage.md

# Where 'inloop publish DEST' uploads (DEST: a folder, or s3://bucket/prefix).
# Leave it out for a folder or AWS S3. Credentials come only from the
# environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), never from this file.
# [publish]
# endpoint_url = "https://ACCOUNT_ID.r2.cloudflarestorage.com"   # an S3-compatible store (R2, B2, MinIO)
# region = "auto"                           # "auto" for R2; the bucket's region for AWS
# addressing_style = "auto"                 # "path" for MinIO or SeaweedFS
# concurrency = 16                          # files uploaded at once

# Who 'inloop notify' tells about every update: email subscribers and webhooks.
# [notify]
# subscribers = "subscribers.csv"           # a header row 'email,language,components', then one line each
# max_age_hours = 24                        # older updates are recorded, not sent
# state = ".inloop/notify-state.json"       # what was sent to whom; or s3://bucket/key
#
# [notify.smtp]
# host = "smtp.example.com"
# port = 587
# sender = "Status <status@example.com>"
# unsubscribe = "mailto:status-unsubscribe@example.com"
# username_env = "INLOOP_SMTP_USER"         # names of environment variables, never the secrets
# password_env = "INLOOP_SMTP_PASSWORD"
#
# [[notify.webhooks]]
# url = "https://hooks.example.com/status"
# secret_env = "INLOOP_WEBHOOK_SECRET"      # optional: sign every payload
# format = "inloop"                         # or "slack", "discord"
# components = ["website"]                  # optional: only updates about these
"""

EXAMPLE_TEMPLATE = "templates/incidents/outage.md"
#: The example 'inloop init' writes: 'inloop new incident --template outage' fills it in.
EXAMPLE_TEMPLATE_TEXT = """\
---
title: ${components} unavailable
impact: major
components:
  website: major_outage
# Placeholders: ${components} (their names), ${time}, ${title}, ${summary} (an
# alert's summary, or --var summary=...), ${labels.NAME}, ${annotations.NAME},
# and any --var KEY=VALUE as ${KEY}.  'inloop check' knows this text is a
# template's until someone rewrites it.
---

## ${time} \u2014 Investigating
${components} cannot be reached at the moment. We are investigating and will
post an update within 30 minutes.

## ${time} \u2014 Monitoring
${components} should work normally again. We are watching closely to make sure it stays so.
"""

GITIGNORE_NAME = ".gitignore"
GITIGNORE = """\
# What inloop makes, and can make again at any time (written by 'inloop init').
# The built site ('inloop build', 'inloop serve'):
/site/
# What a build keeps beside it (a first build's staging folder):
/.site.inloop-*
# The build cache:
/.inloop-cache/
# The notify state and its lock (keep the state in s3:// when CI runners are thrown away):
/.inloop/
# Temporary files of a write that was cut short:
.*.inloop-tmp
.inloop-*.tmp
# A virtual environment for inloop, and Python's byte code:
/.venv/
__pycache__/
"""


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c >= " " else f"\\u{ord(c):04x}" for c in escaped) + '"'


@dataclass(slots=True)
class Scaffold:
    folder: Path
    lines: list[str] = field(default_factory=list)


def render_config(title: str, base_url: str, timezone: str, now: datetime) -> str:
    """The ``inloop.toml`` of a new site, validated as ``build`` will read it."""
    try:
        zone = zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        hint = did_you_mean(timezone, sorted(zoneinfo.available_timezones()))
        if hint.startswith("expected"):
            hint = "expected an IANA name such as 'Europe/Berlin' or 'UTC'"
        raise UsageError(f"--timezone: unknown time zone '{timezone}': {hint}") from None
    since = now.astimezone(zone).date().isoformat()
    text = CONFIG_TEMPLATE.format(
        title=_toml_string(title), base_url=_toml_string(base_url), timezone=_toml_string(timezone), since=since
    )
    result = validate_config(tomllib.loads(text), text, CONFIG_NAME, "")
    if result.problems:
        raise UsageError(f"the new {CONFIG_NAME} would not build: {result.problems[0].message}")
    return text


def _write_gitignore(folder: Path, shown: str) -> str:
    """Write ``.gitignore`` unless there is one; the line that says which happened."""
    path = folder / GITIGNORE_NAME
    if path.exists() or path.is_symlink():
        return f"{shown} exists: kept as it is (inloop makes site/, .inloop-cache/ and .inloop/)"
    try:
        create_new(path, GITIGNORE.encode("utf-8"))
    except FileExistsError:
        return f"{shown} exists: kept as it is (inloop makes site/, .inloop-cache/ and .inloop/)"
    except OSError as exc:
        raise UsageError(f"cannot write {shown}: {exc.strerror}") from None
    return shown


def _write_example_template(folder: Path, shown: str) -> str:
    """Write the example incident template unless the file exists; the line that says which happened."""
    path = folder / EXAMPLE_TEMPLATE
    try:
        create_new(path, EXAMPLE_TEMPLATE_TEXT.encode("utf-8"))
    except FileExistsError:
        return f"{shown} exists: kept as it is"
    except OSError as exc:
        raise UsageError(f"cannot write {shown}: {exc.strerror}") from None
    return shown


def init_site(folder: Path, shown: str, now: datetime, *, title: str, base_url: str, timezone: str) -> Scaffold:
    """Write a new site into ``folder``; refuse if any file it would write exists."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{shown} exists and is not a folder")
    text = render_config(title, base_url, timezone, now)
    config_path = folder / CONFIG_NAME
    shown_config = shown_path(shown, CONFIG_NAME)
    if config_path.exists() or config_path.is_symlink():
        raise UsageError(f"{shown_config} exists: inloop init never overwrites a file")
    folders = [folder / "content" / name for name in FOLDERS.values()]
    for path in folders:
        if path.exists() and not path.is_dir():
            raise UsageError(f"{shown_path(shown, path.relative_to(folder).as_posix())} exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        create_new(config_path, text.encode("utf-8"))
        for path in folders:
            path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"{shown_config} exists: inloop init never overwrites a file") from None
    except OSError as exc:
        raise UsageError(f"cannot write in {shown}: {exc.strerror}") from None
    ignore_note = _write_gitignore(folder, shown_path(shown, GITIGNORE_NAME))
    template_note = _write_example_template(folder, shown_path(shown, EXAMPLE_TEMPLATE))
    here = shown in (".", "")
    scaffold = Scaffold(folder)
    scaffold.lines = [
        f"created a status site in {shown}:",
        f"  {shown_config}",
        *(f"  {shown_path(shown, path.relative_to(folder).as_posix())}/" for path in folders),
        f"  {ignore_note}",
        f"  {template_note}",
        "",
        "what next:",
        *([] if here else [f"  cd {shown}"]),
        f"  edit {CONFIG_NAME}: the title, base_url, time zone and your components",
        "  preview the site:      inloop serve",
        '  open an incident:      inloop new incident "Something is broken" --component website',
        "  or from the template:  inloop new incident --template outage",
        '  post an update:        inloop update ID --status identified "What we know now"',
        '  resolve it:            inloop resolve ID "What we did, and what it means for you"',
        "  build for publishing:  inloop build   (writes site/)",
    ]
    return scaffold
