"""Characters that XML 1.0 forbids: refused in what authors write, removed from what inloop writes.

XML 1.0 allows tab, line feed, carriage return and every character from
U+0020 on, except the surrogates (U+D800 to U+DFFF, which are not characters
at all and cannot be written as UTF-8) and U+FFFE and U+FFFF.  One NUL, BEL
or ESC in a title makes every feed that carries it unreadable to every feed
reader, so content files and ``inloop.toml`` refuse them with the line
(:func:`first_forbidden`), and the writers of feeds, badges, the sitemap and
the calendar remove any that reach them another way (:func:`strip_forbidden`).
"""

from __future__ import annotations

import re

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def first_forbidden(text: str) -> int | None:
    """The index of the first character XML 1.0 forbids in ``text``, or None."""
    found = FORBIDDEN.search(text)
    return found.start() if found is not None else None


def code_point(char: str) -> str:
    """``U+001B``: how a message names a character that cannot be shown."""
    return f"U+{ord(char):04X}"


def forbidden_message(char: str) -> str:
    """Why a text holding ``char`` is refused, and what to do."""
    if "\ud800" <= char <= "\udfff":
        kind = "half of a surrogate pair, not a character"
    elif char in "\ufffe\uffff":
        kind = "a noncharacter"
    else:
        kind = "a control character"
    return f"holds {code_point(char)} ({kind}), which feeds, badges and pages cannot carry: remove it"


def strip_forbidden(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (the common case costs one search)."""
    return FORBIDDEN.sub("", text) if FORBIDDEN.search(text) else text


def strip_forbidden_bytes(data: bytes) -> bytes:
    """UTF-8 ``data`` without the control characters XML 1.0 forbids (surrogates cannot be in UTF-8)."""
    return re.sub(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]", b"", data)
