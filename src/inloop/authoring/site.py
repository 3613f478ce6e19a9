"""The site an authoring command works on: its config, and its files parsed as ``build`` would."""

from __future__ import annotations

import os
from pathlib import Path

from inloop.read.config import CONFIG_NAME, load_config
from inloop.read.content import parse_incident, parse_maintenance

from ..errors import Problem, UsageError
from ..model import Incident, Kind, Maintenance, SiteConfig


def shown_path(shown_source: str, relative: str) -> str:
    """A path inside the source as the author typed the source folder (``content/incidents/x.md``)."""
    return os.path.normpath(os.path.join(shown_source, relative))


def load_site(source: Path, shown_source: str) -> SiteConfig:
    """The site's config; a broken or missing one is a clean error."""
    shown = shown_path(shown_source, CONFIG_NAME)
    if not (source / CONFIG_NAME).exists():
        raise UsageError(f"no {shown}: is this a status site? (give its folder with --source; 'inloop init' makes one)")
    result = load_config(source, shown)
    if result.config is None:
        raise UsageError(_first(result.problems, "fix inloop.toml first"))
    return result.config


def _first(problems: list[Problem], advice: str) -> str:
    ordered = sorted(problems)
    more = f" (and {len(ordered) - 1} more)" if len(ordered) > 1 else ""
    return f"{ordered[0]}{more}; {advice}" if ordered else advice


def parse_item(
    kind: Kind, data: bytes, file_id: str, shown: str, config: SiteConfig
) -> tuple[Incident | Maintenance | None, list[Problem]]:
    parse = parse_incident if kind == "incident" else parse_maintenance
    item, problems = parse(data, file_id, shown, config.zone, frozenset(config.component_ids))
    return item, problems


def require_item(
    kind: Kind, data: bytes, file_id: str, shown: str, config: SiteConfig, advice: str
) -> Incident | Maintenance:
    """Parse a file that must be correct; its first problem is the error."""
    item, problems = parse_item(kind, data, file_id, shown, config)
    if item is None or problems:
        raise UsageError(_first(problems, advice))
    return item
