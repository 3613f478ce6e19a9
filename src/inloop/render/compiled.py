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
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from gettext import NullTranslations

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
        found = _CODE.get(bucket.key) if bucket.key != _UNCACHED else None
        if found is not None:
            bucket.bytecode_from_string(found)  # Jinja compares the template's checksum, and drops a stale one

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key == _UNCACHED:
            return
        if len(_CODE) >= _LIMIT:
            _CODE.clear()
        _CODE[bucket.key] = bucket.bytecode_to_string()

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
    """The facts of a template's text, parsed once a process for the same parser settings."""
    key = (*_parser_settings(env), text)
    found = _FACTS.get(key)
    if found is None:
        try:
            tree = env.parse(text)
        except jinja2.TemplateSyntaxError:
            found = TemplateFacts(False)
        else:
            names = frozenset(n.name for n in tree.find_all(nodes.Name) if isinstance(n, nodes.Name))
            found = TemplateFacts(True, tuple(references(tree)), _undeclared(tree), names)
        if len(_FACTS) >= _LIMIT:
            _FACTS.clear()
        _FACTS[key] = found
    return found


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
