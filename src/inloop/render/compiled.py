"""Templates read and compiled once a process, whatever environment asks for them.

inloop makes a new Jinja environment whenever a site's templates, language
or catalogs may have changed: every ``Builder``, every ``inloop serve``
rebuild after a template edit, every site a test builds.  Each one compiled
the theme's forty templates again, which was half of a small build.  Jinja's
door for keeping compiled templates is its bytecode cache; this one keeps
them in memory, for this process only, under a key that names everything the
compiled code depends on besides the template's own text (which Jinja checks
itself): inloop's code, the Jinja version, the stock switch, the catalogs
(literal texts are translated when a template is compiled), the filters and
tests known, the template's name and file, and the fingerprint of every
template it loads (the theme's text macros are printed into the templates
that import them).  Without a catalog digest there is no such key, and no
cache: an environment with some other translations compiles as before.

What inloop reads from a template's syntax tree (the templates it loads, the
names it reads from the context) is kept the same way, by the template's
text and the parser's settings: plain names, nothing that holds on to an
environment.

Both are also kept on disk, in a folder of the user's (:class:`DiskCache`), as
Python keeps a module's bytecode in ``__pycache__``: a new ``inloop build``
process finds the theme compiled by the last one, under the same keys.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from gettext import NullTranslations
from pathlib import Path
from typing import TypeVar

import jinja2
import jinja2.meta
from jinja2 import nodes

from inloop import code_digest, i18n

#: Entries kept a process; past this (a long watch session, a test suite's many sites) they are dropped.
_LIMIT = 2_000
_CODE: dict[str, bytes] = {}
#: The key of a template whose fingerprint cannot be made: never looked up, never kept.
_UNCACHED = "-"
_FACTS: dict[tuple[object, ...], TemplateFacts] = {}
_K = TypeVar("_K")
_V = TypeVar("_V")


#: The folder compiled templates are kept in between processes; ``off`` keeps them in memory only.
CACHE_ENV = "INLOOP_TEMPLATE_CACHE"
#: Files kept in that folder; past this, the oldest are deleted when one is added.
DISK_LIMIT = 4_000


class DiskCache:
    """Files of one user's, kept between processes: compiled templates, what was read of them, compiled catalogs.

    The folder is ``$INLOOP_TEMPLATE_CACHE``, else ``$XDG_CACHE_HOME/inloop/templates``,
    else ``~/.cache/inloop/templates``; it is used only if it is a folder of
    this user's that no one else may write to (a compiled template is code,
    and Jinja reads its checksum with ``pickle``).  Every failure is a miss.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._added = 0

    @classmethod
    def for_user(cls) -> DiskCache | None:
        setting = os.environ.get(CACHE_ENV, "")
        if setting == "off":
            return None
        try:
            if setting:
                folder = Path(setting)
            else:
                base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
                folder = Path(base) / "inloop" / "templates"
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            found = os.lstat(folder)
        except (OSError, RuntimeError):  # no home folder, a read-only one
            return None
        if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid() or found.st_mode & 0o022:
            return None
        return cls(folder)

    def read(self, name: str) -> bytes | None:
        try:
            with open(self.folder / name, "rb") as stream:
                return stream.read()
        except OSError:
            return None

    def write(self, name: str, data: bytes) -> None:
        """Write a file whole or not at all: a name of this process's, then renamed."""
        temp = self.folder / f".{name}.{os.getpid()}.tmp"
        try:
            descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(data)
            os.replace(temp, self.folder / name)
        except OSError:
            temp.unlink(missing_ok=True)
            return
        self._added += 1
        if self._added % 100 == 1:
            self._trim()

    def _trim(self) -> None:
        """Delete the oldest files past :data:`DISK_LIMIT` (each edit of a template or of inloop adds some)."""
        try:
            entries = [(e.stat().st_mtime_ns, e.path) for e in os.scandir(self.folder) if e.is_file()]
        except OSError:
            return
        for _, path in sorted(entries)[: max(0, len(entries) - DISK_LIMIT)]:
            try:
                os.unlink(path)
            except OSError:
                continue


@functools.cache
def disk() -> DiskCache | None:
    """This process's :class:`DiskCache`, found once (``disk.cache_clear()`` finds it again)."""
    return DiskCache.for_user()


class ProcessBytecodeCache(jinja2.BytecodeCache):
    """Jinja's bytecode cache, in this process's memory, keyed by everything compiled code depends on."""

    def __init__(self, env: jinja2.Environment, settings: str, fingerprint: Callable[[str], str]) -> None:
        self.env = env
        self.settings = settings
        self.fingerprint = fingerprint

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        try:
            fingerprint = self.fingerprint(name)
        except (jinja2.TemplateError, UnicodeDecodeError):  # a template it loads is unreadable: compiling says which
            return _UNCACHED
        known = (sorted(self.env.filters), sorted(self.env.tests))  # Jinja refuses an unknown one when compiling
        key = f"{self.settings}\0{known}\0{name}\0{filename}\0{fingerprint}"
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key == _UNCACHED:
            return
        found = _CODE.get(bucket.key)
        if found is None and (kept := disk()) is not None:
            found = kept.read(f"{bucket.key}.code")
            if found is not None:
                _remember(_CODE, bucket.key, found)
        if found is not None:
            try:
                bucket.bytecode_from_string(found)  # Jinja compares the template's checksum, and drops a stale one
            except Exception:  # a file damaged past what Jinja checks: compiled again
                bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key == _UNCACHED:
            return
        code = _remember(_CODE, bucket.key, bucket.bytecode_to_string())
        if (kept := disk()) is not None:
            kept.write(f"{bucket.key}.code", code)

    def clear(self) -> None:
        _CODE.clear()


def bytecode_cache(
    env: jinja2.Environment, translations: NullTranslations, fingerprint: Callable[[str], str], *, stock: bool
) -> ProcessBytecodeCache | None:
    """The cache for ``env``'s templates; None when its translations have no digest to key them by."""
    if not isinstance(translations, i18n.Catalog):
        return None
    settings = repr(
        (
            code_digest(),
            jinja2.__version__,
            stock,
            type(env).__qualname__,
            translations.digest,
        )
    )
    return ProcessBytecodeCache(env, settings, fingerprint)


@dataclass(frozen=True, slots=True)
class TemplateFacts:
    """What inloop reads from a template's syntax tree."""

    parses: bool
    references: tuple[str | None, ...] = ()  # the templates it may load (None: a name not known before rendering)
    #: The names it reads from the context, as Jinja tells them (without its globals); None if Jinja cannot tell.
    undeclared: frozenset[str] | None = None
    names: frozenset[str] = frozenset()  # every name it uses


def facts_of(
    env: jinja2.Environment, text: str, references: Callable[[nodes.Template], list[str | None]]
) -> TemplateFacts:
    """The facts of a template's text, parsed once for the same parser settings (and kept on disk)."""
    key = (*_parser_settings(env), text)
    found = _FACTS.get(key)
    if found is not None:
        return found
    kept = disk()
    name = hashlib.sha256(repr((code_digest(), key)).encode("utf-8", "surrogatepass")).hexdigest() + ".facts"
    found = _facts_from(kept.read(name)) if kept is not None else None
    if found is None:
        try:
            tree = env.parse(text)
        except jinja2.TemplateSyntaxError:
            found = TemplateFacts(False)
        else:
            names = frozenset(n.name for n in tree.find_all(nodes.Name) if isinstance(n, nodes.Name))
            found = TemplateFacts(True, tuple(references(tree)), _undeclared(tree), names)
        if kept is not None:
            kept.write(name, _facts_bytes(found))
    return _remember(_FACTS, key, found)


def _facts_bytes(facts: TemplateFacts) -> bytes:
    undeclared = sorted(facts.undeclared) if facts.undeclared is not None else None
    fields = [facts.parses, list(facts.references), undeclared, sorted(facts.names)]
    return json.dumps(fields).encode()


def _facts_from(data: bytes | None) -> TemplateFacts | None:
    """Facts as :func:`_facts_bytes` wrote them; None for anything else."""
    if data is None:
        return None
    try:
        parses, references, undeclared, names = json.loads(data)
        if not isinstance(parses, bool) or not all(isinstance(r, str | None) for r in references):
            return None
        if undeclared is not None and not all(isinstance(n, str) for n in undeclared):
            return None
        if not all(isinstance(n, str) for n in names):
            return None
        return TemplateFacts(
            parses, tuple(references), frozenset(undeclared) if undeclared is not None else None, frozenset(names)
        )
    except (ValueError, TypeError):
        return None


def _remember(found: dict[_K, _V], key: _K, value: _V) -> _V:
    if len(found) >= _LIMIT:
        found.clear()
    found[key] = value
    return value


def _undeclared(tree: nodes.Template) -> frozenset[str] | None:
    try:
        return frozenset(jinja2.meta.find_undeclared_variables(tree))
    except jinja2.TemplateError:  # an unknown filter or test: rendering says so
        return None


def _parser_settings(env: jinja2.Environment) -> tuple[object, ...]:
    """Everything besides the text that makes Jinja's parser read a template to another tree."""
    return (
        type(env).__qualname__,
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        tuple(sorted(env.extensions)),
        getattr(env, "newstyle_gettext", None),
        tuple(sorted(env.filters)),  # reading the names compiles the tree, which refuses unknown filters and tests
        tuple(sorted(env.tests)),
    )
