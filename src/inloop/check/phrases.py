"""The phrase lists of ``finger-pointing`` and ``sales-pitch``, per language.

An entry is a phrase, matched in any letter case at word boundaries, with
any run of spaces or line breaks between its words and either apostrophe
(``'`` or U+2019); or a regular expression written between slashes
(``/due to \\w+'s/``), matched in any letter case.  Entries are phrases,
not single words, so that "a database upgrade" is not a sales pitch.

A language's list in ``[check.phrases.<language>]`` replaces the built-in
list of the same name; ``inloop check --explain CODE`` prints the built-in
one, ready to copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .settings import PHRASE_LISTS

#: A vendor blamed by name: "due to AWS's", "due to Amazon Web Services'".
#: The name must start with a capital letter, so "due to the database's disk" is fine.
DUE_TO_VENDOR = r"/\bdue to (?-i:[A-Z][\w.&-]*)(?: (?-i:[A-Z][\w.&-]*)){0,2}(?:['\u2019]s\b|s['\u2019])/"

BUILTIN: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "finger_pointing": (
            "our provider",
            "our providers",
            "our cloud provider",
            "our hosting provider",
            "our upstream provider",
            "our infrastructure provider",
            "our vendor",
            "our supplier",
            "third-party",
            "third party",
            "not our fault",
            "no fault of our own",
            "beyond our control",
            "out of our control",
            "outside our control",
            "outside of our control",
            DUE_TO_VENDOR,
        ),
        "sales_pitch": (
            "upgrade your plan",
            "upgrade your account",
            "upgrade your subscription",
            "upgrade to our",
            r"/\bupgrade to (?:a |the )?(?:premium|pro|business|enterprise|higher|paid)\b/",
            "premium plan",
            "premium tier",
            "enterprise plan",
            "special offer",
            "limited-time offer",
            "limited time offer",
            "check out our",
            "sign up for our",
            "free trial",
            "promo code",
            "coupon code",
            r"/\bdiscount(?:s|ed)?\b/",
            r"/\b\d+ ?% off\b/",
        ),
    },
}


@dataclass(frozen=True, slots=True)
class PhraseList:
    """One list, compiled; ``entries`` as written, for messages and ``--explain``."""

    name: str
    language: str
    entries: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    configured: bool


def compile_entry(entry: str) -> re.Pattern[str]:
    """A phrase or a ``/regular expression/``, as a case-insensitive pattern."""
    if len(entry) >= 2 and entry.startswith("/") and entry.endswith("/"):
        return re.compile(entry[1:-1], re.IGNORECASE)
    words = entry.split()
    parts = [re.sub("['\u2019]", lambda _: "['\u2019]", re.escape(word)) for word in words]
    pattern = r"\s+".join(parts)
    if re.match(r"\w", entry.strip()):
        pattern = r"\b" + pattern
    if re.search(r"\w$", entry.strip()):
        pattern += r"\b"
    return re.compile(pattern, re.IGNORECASE)


def language_candidates(language: str) -> list[str]:
    """``pt-BR`` looks for ``pt-BR``, then ``pt_BR``, then ``pt``."""
    found = [language, language.replace("-", "_"), language.replace("_", "-")]
    found.append(re.split(r"[-_]", language)[0])
    unique: list[str] = []
    for item in found:
        if item not in unique:
            unique.append(item)
    return unique


def phrase_list(name: str, language: str, configured: dict[str, dict[str, tuple[str, ...]]]) -> PhraseList | None:
    """The list ``name`` for ``language``: configured, else built in, else ``None``."""
    if name not in PHRASE_LISTS:
        raise KeyError(name)
    for candidate in language_candidates(language):
        if name in configured.get(candidate, {}):
            entries = configured[candidate][name]
            return PhraseList(name, candidate, entries, tuple(compile_entry(e) for e in entries), True)
    for candidate in language_candidates(language):
        if name in BUILTIN.get(candidate, {}):
            entries = BUILTIN[candidate][name]
            return PhraseList(name, candidate, entries, tuple(compile_entry(e) for e in entries), False)
    return None


def toml_list(name: str, entries: tuple[str, ...]) -> str:
    """A list as it would be written in ``inloop.toml`` (literal strings where possible)."""
    lines = [f"{name} = ["]
    for entry in entries:
        if "'" not in entry and "\n" not in entry:
            lines.append(f"    '{entry}',")
        else:
            escaped = entry.replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'    "{escaped}",')
    lines.append("]")
    return "\n".join(lines)
