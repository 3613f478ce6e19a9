"""The ``[subscriptions]`` table of ``inloop.toml``, validated with the line of every mistake.

Every key has a default, so the service starts with no table at all; only
``url`` (where visitors reach it) makes the site show the sign-up form.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError

from inloop.read.config import TomlLines, did_you_mean

from ..errors import BuildError, Problem
from ..i18n import LOCALE_DIR, SITE_LOCALE_DIR, candidates, locale_dirs

KEYS = (
    "url",
    "database",
    "secret_env",
    "confirm_hours",
    "languages",
    "check_domain",
    "email_per_hour",
    "client_per_hour",
    "max_request_bytes",
    "trust_forwarded_for",
)
DEFAULT_DATABASE = "sqlite:///subscribers.db"


@dataclass(frozen=True, slots=True)
class SubscriptionSettings:
    url: str | None = None  # the service's public address, ending in "/"
    database: str = DEFAULT_DATABASE
    secret_env: str | None = None
    confirm_hours: float = 168.0
    languages: tuple[str, ...] = ()
    check_domain: bool = False
    email_per_hour: int = 3
    client_per_hour: int = 20
    max_request_bytes: int = 16_384
    trust_forwarded_for: bool = False


def default_languages(site_language: str) -> tuple[str, ...]:
    """The site's language first, then every language the package has a catalog for."""
    found = {p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/inloop.po")}
    return (site_language, *sorted(found - {site_language}))


def catalog_languages(source: Path) -> set[str]:
    """Every language a catalog exists for: the package's, $INLOOP_LOCALE_DIR's and the site's own."""
    found: set[str] = set()
    for folder in locale_dirs():
        if folder.is_dir():
            found.update(p.parent.parent.name for p in folder.glob("*/LC_MESSAGES/inloop.po"))
    site_folder = source / SITE_LOCALE_DIR
    if site_folder.is_dir():
        found.update(p.stem.replace("-", "_") for p in site_folder.glob("*.po"))
    return found


def language_name(code: str) -> str:
    """A language as its speakers write it: ``Deutsch``, ``français``, ``日本語``."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(code.replace("-", "_")) or code
    except (UnknownLocaleError, ValueError):
        return code
    return name[:1].upper() + name[1:]


def language_choices(codes: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in codes]


def url_ok(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return (
            parts.scheme in ("http", "https")
            and bool(parts.hostname)
            and not parts.query
            and not parts.fragment
            and not any(c.isspace() or not c.isprintable() for c in url)
        )
    except ValueError:
        return False


def read_subscription_settings(
    raw: object, shown_config: str, text: str, site_language: str, source: Path | None
) -> SubscriptionSettings:
    """Validate ``[subscriptions]`` (None or not a table: the defaults); problems raise :class:`BuildError`.

    ``source`` is the site folder, where the catalogs of listed ``languages``
    are looked for (not checked when None).
    """
    if not isinstance(raw, dict):
        return SubscriptionSettings(languages=default_languages(site_language))
    lines = TomlLines(text)
    problems: list[Problem] = []

    def error(message: str, *key: str) -> None:
        problems.append(Problem(shown_config, lines.line("subscriptions", *key), message))

    for key in raw:
        if key not in KEYS:
            error(f"unknown key '{key}' in [subscriptions]: {did_you_mean(key, KEYS)}", key)

    def typed(key: str, kind: type, default: Any) -> Any:
        if key not in raw:
            return default
        value: Any = raw[key]
        numeric = kind in (int, float)
        wanted = (int, float) if kind is float else kind
        if (isinstance(value, bool) and kind is not bool) or not isinstance(value, wanted):
            names = {str: "a string", bool: "true or false", int: "a whole number", float: "a number", list: "a list"}
            error(f"'{key}' must be {names[kind]}, found {value!r}", key)
            return default
        if numeric and cast(float, value) <= 0:
            error(f"'{key}' must be more than 0, found {value!r}", key)
            return default
        return value

    url = typed("url", str, None)
    if url is not None:
        if not url_ok(url):
            error(f"'url' must be an http or https URL with a host and no query, found {url!r}", "url")
            url = None
        elif not url.endswith("/"):
            url += "/"
    database = typed("database", str, DEFAULT_DATABASE)
    if not database.startswith(("sqlite:///", "postgresql://", "postgres://")):
        error(
            f"'database' must be a sqlite:///PATH or postgresql:// URL, found {database!r}",
            "database",
        )
    elif database.startswith("sqlite:///") and not database.removeprefix("sqlite:///"):
        error("'database' names no file: write e.g. sqlite:///subscribers.db", "database")
    secret_env = typed("secret_env", str, None)
    if secret_env is not None and (not secret_env or not secret_env.replace("_", "a").isalnum()):
        error(f"'secret_env' must name an environment variable, found {secret_env!r}", "secret_env")
    languages = default_languages(site_language)
    chosen = typed("languages", list, None)
    if chosen is not None:
        if not chosen or not all(isinstance(tag, str) and tag for tag in chosen):
            error('\'languages\' must be a list of language tags such as ["en", "de"]', "languages")
        else:
            known = catalog_languages(source) if source is not None else None
            for tag in chosen:
                if known is not None and tag != "en" and not known.intersection(candidates(tag)):
                    error(f"no catalog for language '{tag}': {did_you_mean(tag, sorted(known))}", "languages")
            languages = tuple(dict.fromkeys(str(tag) for tag in chosen))
    settings = SubscriptionSettings(
        url=url,
        database=database,
        secret_env=secret_env,
        confirm_hours=float(typed("confirm_hours", float, 168.0)),
        languages=languages,
        check_domain=typed("check_domain", bool, False),
        email_per_hour=typed("email_per_hour", int, 3),
        client_per_hour=typed("client_per_hour", int, 20),
        max_request_bytes=typed("max_request_bytes", int, 16_384),
        trust_forwarded_for=typed("trust_forwarded_for", bool, False),
    )
    if problems:
        raise BuildError(problems)
    return settings
