"""Helpers of the catalog tests (a module of its own: every test folder's conftest is named ``conftest``)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parents[2]
NOW = "2026-11-26 12:00 UTC"
#: The pseudo-locale's tag: "English, accented" (CLDR's own pseudo-locale name).
PSEUDO = "en-XA"
#: ``build_in(language, env=None)`` → the output folder of the example site built in ``language``.
BuildIn = Callable[..., Path]
#: A Python %-format placeholder: ``%(num)d``, ``%s``, ``%%``.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")

_ACCENTED = dict(
    zip(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "åƀçđéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÅƁÇĐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
        strict=True,
    )
)


def pseudo_text(text: str) -> str:
    """``Page %(num)d`` → ``[!! Þåĝé %(num)d !!]``: every letter changed, placeholders kept."""
    parts: list[str] = []
    last = 0
    for match in PLACEHOLDER.finditer(text):
        parts.append("".join(_ACCENTED.get(c, c) for c in text[last : match.start()]))
        parts.append(match.group())
        last = match.end()
    parts.append("".join(_ACCENTED.get(c, c) for c in text[last:]))
    return f"[!! {''.join(parts)} !!]"


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def copy_example(target: Path, language: str) -> Path:
    """The example site's source in ``target``, with ``language`` set."""
    target.mkdir(parents=True)
    config = (REPO / "inloop.toml").read_text(encoding="utf-8")
    config, count = re.subn(r'(?m)^language = "[^"]*"', f'language = "{language}"', config)
    assert count == 1, "inloop.toml has no language line"
    (target / "inloop.toml").write_text(config, encoding="utf-8")
    for folder in ("content", "templates", "static"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, target / folder)
    return target
