"""Message catalogs of the built-in theme, found by the site's ``language``.

Catalogs are gettext ``.po`` files, read when a build needs them: there is no
compile step and no ``.mo`` file, so adding a language is adding one file.
Where they are looked for, first found first:

1. the site's own ``locale/<language>.po`` (when the caller passes ``site``),
   so a site can add a language, or reword a few texts, without touching
   the package;
2. every folder in ``$INLOOP_LOCALE_DIR`` (``os.pathsep``-separated), laid
   out like the package's: ``<folder>/<language>/LC_MESSAGES/inloop.po``;
3. the package's ``locale/<language>/LC_MESSAGES/inloop.po``.

``pt-BR`` tries ``pt_BR``, then ``pt``, in each of these places; every
catalog found is used, the first one first, and a text none of them
translates stays English.  Fuzzy entries and empty translations are ignored,
as ``msgfmt`` ignores them.  A catalog is parsed once per process for each
modification time, so a rebuild after editing it sees the change.
"""

from __future__ import annotations

import ast
import hashlib
import io
import os
import re
import threading
import tokenize
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from gettext import NullTranslations
from pathlib import Path
from typing import IO, Any

from babel.support import Translations

from .errors import BuildError, Problem

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "inloop"
#: The template every catalog is made from.
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
#: Extra catalog folders, searched before the package's (tests, trying a translation).
LOCALE_DIR_ENV = "INLOOP_LOCALE_DIR"
#: A site's own catalogs: ``<site>/locale/<language>.po``.
SITE_LOCALE_DIR = "locale"


class Catalog(Translations):
    """One language's texts: a :class:`babel.support.Translations` with where it came from.

    ``digest`` covers every catalog file in the fallback chain, so a page made
    with it can name the catalogs it depends on in its cache key.
    """

    def __init__(self, mo: bytes | None = None, *, files: Sequence[Path] = (), digest: str = "") -> None:
        super().__init__(io.BytesIO(mo) if mo is not None else None, domain=DOMAIN)
        if mo is None:  # no catalog: every text stays as written (English)
            self._catalog = {}
            self.plural = lambda n: int(n != 1)
        self.files = [str(f) for f in files]
        self.digest = digest


def candidates(language: str) -> list[str]:
    """Catalog names for a language tag, most specific first: ``pt-BR`` → ``pt_BR``, ``pt``."""
    parts = [p for p in language.replace("-", "_").split("_") if p]
    if not parts:
        return []
    parts[0] = parts[0].lower()
    return ["_".join(parts[:n]) for n in range(len(parts), 0, -1)]


def locale_dirs() -> list[Path]:
    """Folders of ``<language>/LC_MESSAGES/inloop.po`` catalogs, searched in this order."""
    extra = [Path(p) for p in os.environ.get(LOCALE_DIR_ENV, "").split(os.pathsep) if p]
    return [*extra, LOCALE_DIR]


def catalog_files(language: str, site: Path | None = None) -> list[Path]:
    """Every catalog file for ``language``, in the order their texts win."""
    names = candidates(language)
    found: list[Path] = []
    if site is not None:
        folder = site / SITE_LOCALE_DIR
        for name in names:
            spellings = dict.fromkeys([name, name.replace("_", "-")])
            found += [folder / f"{spelling}.po" for spelling in spellings]
    for folder in locale_dirs():
        found += [folder / name / "LC_MESSAGES" / f"{DOMAIN}.po" for name in names]
    unique = dict.fromkeys(p for p in found if p.is_file())
    return list(unique)


# -- reading ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Compiled:
    mo: bytes
    digest: str


_Signature = tuple[str, int, int]
_lock = threading.Lock()
_compiled: dict[_Signature, _Compiled] = {}
_chains: dict[tuple[_Signature, ...], Catalog] = {}
_CACHE_LIMIT = 64


def _signature(path: Path) -> _Signature:
    stat = path.stat()
    return (str(path), stat.st_mtime_ns, stat.st_size)


def compile_po(data: bytes, path: Path) -> bytes:
    """A ``.po`` file's bytes as ``.mo`` bytes, without fuzzy or empty entries.

    A file that is not a valid catalog, or a translation whose ``%(name)s``
    placeholders differ from its text's, is an author's mistake:
    :class:`BuildError` with the file and line.
    """
    # Imported here: a site in English reads no catalog, and they took 15 ms before every build's fork.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import PoFileError, read_po

    try:
        catalog = read_po(io.BytesIO(data), ignore_obsolete=True, abort_invalid=True)
    except PoFileError as exc:
        reason = re.sub(r" on \d+$", "", str(exc))  # Babel adds its 0-based line number
        raise BuildError([Problem(str(path), exc.lineno + 1, f"not a valid gettext catalog: {reason}")]) from None
    except (ValueError, LookupError) as exc:  # a bad header: unknown charset, plural forms
        raise BuildError([Problem(str(path), 1, f"not a valid gettext catalog: {exc}")]) from None
    problems = [
        Problem(str(path), message.lineno or 1, f"translation of {message.id!r}: {error}")
        for message, errors in catalog.check()
        if not message.fuzzy
        for error in errors
    ]
    if problems:
        raise BuildError(problems)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _compiled_file(path: Path, signature: _Signature) -> _Compiled:
    cached = _compiled.get(signature)
    if cached is None:
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        cached = _Compiled(_mo_of(data, path, digest), digest)
        _compiled[signature] = cached
    return cached


def _mo_of(data: bytes, path: Path, digest: str) -> bytes:
    """:func:`compile_po` of a catalog, kept between processes where compiled templates are kept.

    Babel's reading and checking of the theme's English catalog took about
    30 ms before every build's fork.  Kept by the catalog's bytes, Babel's
    version and inloop's code, and only for a catalog that compiled without
    a problem; each file holds its own SHA-256, and one that does not match
    is compiled again.
    """
    from babel import __version__ as babel_version

    from inloop import code_digest
    from inloop.render.compiled import disk

    store = disk()
    if store is None:
        return compile_po(data, path)
    key = hashlib.sha256(f"{digest}\0{babel_version}\0{code_digest()}".encode()).hexdigest()
    name = f"catalog-{key[:40]}.mo"
    found = store.read(name)
    if found is not None and hashlib.sha256(found[32:]).digest() == found[:32]:
        return found[32:]
    mo = compile_po(data, path)
    store.write(name, hashlib.sha256(mo).digest() + mo)
    return mo


def _chain(files: Iterable[Path]) -> Catalog:
    """The catalogs of ``files``, each falling back to the next, then to English."""
    listed = list(files)
    signatures = tuple(_signature(p) for p in listed)
    with _lock:
        chain = _chains.get(signatures)
        if chain is not None:
            return chain
        if len(_chains) > _CACHE_LIMIT:  # a long watch session edits catalogs many times
            _chains.clear()
            _compiled.clear()
        compiled = [_compiled_file(p, s) for p, s in zip(listed, signatures, strict=True)]
        digest = hashlib.sha256("\0".join(c.digest for c in compiled).encode()).hexdigest() if compiled else ""
        if not compiled:
            chain = Catalog(digest=digest)
        else:
            chain = Catalog(compiled[0].mo, files=listed, digest=digest)
            for path, more in zip(listed[1:], compiled[1:], strict=True):
                chain.add_fallback(Catalog(more.mo, files=[path], digest=more.digest))
        _chains[signatures] = chain
        return chain


def translations(language: str, site: Path | None = None) -> NullTranslations:
    """The catalog for ``language`` (``pt-BR`` tries ``pt_BR``, then ``pt``), else English.

    The result is a :class:`Catalog`; with ``site``, the site's own
    ``locale/<language>.po`` comes first.  Raises :class:`BuildError` for a
    catalog file that cannot be read.
    """
    return _chain(catalog_files(language, site))


def catalog_digest(found: NullTranslations) -> str:
    """What a page made with ``found`` depends on: the catalog files' hash ("" for none)."""
    return found.digest if isinstance(found, Catalog) else ""


def dynamic_messages() -> list[str]:
    """Texts the code translates from tables, which extraction cannot see in a call.

    ``scripts/i18n`` adds them to the template; a test checks they are there.
    """
    from inloop.render import status as derive

    from . import model

    texts = [
        *model.STATUS_LABELS.values(),
        *model.STATUS_WORDS.values(),
        *derive.OVERALL_SENTENCES.values(),
        *model.INCIDENT_STATUSES,
        *model.MAINTENANCE_STATUSES,
        "Cancelled",  # Maintenance.state() of a cancelled window
    ]
    return list(dict.fromkeys(texts))


# -- extraction (scripts/i18n, babel.cfg) ----------------------------------------------


def extract_python(
    fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str], options: Mapping[str, Any]
) -> Iterator[tuple[int, str, tuple[str | None, ...], list[str]]]:
    """A Babel extractor for Python that also finds calls inside f-strings.

    Babel's own reads tokens, and before Python 3.12 an f-string is one token,
    so ``f"{_('Affected')}: ..."`` would go unseen.  This one walks the syntax
    tree: every call of a keyword (``_(...)``, ``translations.gettext(...)``)
    whose first argument is a literal string.  A ``# TRANSLATORS:`` comment on
    the lines just above a call goes to the translators.
    """
    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    comments = _comments(source, tuple(comment_tags))
    found: list[tuple[int, int, str, tuple[str | None, ...]]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name not in keywords or not node.args:
            continue
        args = tuple(a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args)
        if args[0] is not None:
            found.append((node.lineno, node.col_offset, name, args))
    for lineno, _column, name, args in sorted(found):
        yield lineno, name, args, _comment_above(comments, lineno)


def _comments(source: str, tags: tuple[str, ...]) -> dict[int, str]:
    """Comment text by line, for comments that are a whole line."""
    if not tags:
        return {}
    found: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and token.line.strip().startswith("#"):
            found[token.start[0]] = token.string.lstrip("#").strip()
    tagged: dict[int, str] = {}
    for line in sorted(found):
        text = found[line]
        if text.startswith(tags):
            tagged[line] = text
        elif line - 1 in tagged:  # a tagged comment going on over several lines
            tagged[line] = text
    return tagged


def _comment_above(comments: dict[int, str], lineno: int) -> list[str]:
    lines: list[str] = []
    line = lineno - 1
    while line in comments:
        lines.insert(0, comments[line])
        line -= 1
    return lines
