"""Jinja: the theme, the project's overrides, and template errors as problems.

The project's ``templates/`` folder overrides the built-in theme file by file;
``{% extends "!theme/base.html" %}`` reaches the original it overrides, like
Pelican's ``!simple/``.  Every page records the templates it can load, so a
template change re-renders exactly the pages that use it.
"""

from __future__ import annotations

import hashlib
import traceback
from collections.abc import Callable, Mapping
from datetime import date, datetime
from gettext import NullTranslations
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
from jinja2 import nodes
from markupsafe import Markup

from inloop import __version__
from inloop.errors import Problem
from inloop.model import Incident, Maintenance, SiteConfig
from inloop.render.compiled import TemplateFacts, bytecode_cache, facts_of
from inloop.render.formatting import Formatter
from inloop.render.jinja_speed import IMPORTED, SpeedEnvironment, make_environment, stock_jinja
from inloop.render.listed import ROW_MACROS, ListedRows

THEME_DIR = Path(__file__).parent.parent / "theme"
THEME_TEMPLATES = THEME_DIR / "templates"
THEME_PREFIX = "!theme"


#: Files in templates/ that are templates (others, such as images, are not compiled).
TEMPLATE_SUFFIXES = (".html", ".xml", ".txt", ".css", ".js", ".svg", ".json")


def _not_utf8(exc: UnicodeDecodeError) -> str:
    return (
        f"not valid UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}): save the template as UTF-8"
    )


#: The global that renders a template like ``{% include %}``, reusing its output for the same inputs.
SHARED = "shared"
#: Shared fragments kept by one environment; a watch session's old builds are dropped past this.
_SHARED_LIMIT = 1024
#: The globals that render an item's row of a list page once for every list page (see :mod:`.listed`).
LISTED = "listed"
LISTED_ROWS = "listed_rows"
#: Modules of libraries imported with a context, kept by one environment; past this they are dropped.
_MODULES_LIMIT = 64
#: What ``getattr`` gives for a name a module lacks.
_ABSENT = object()


def references(tree: nodes.Template) -> list[str | None]:
    """The templates a template may load: extends, include, import, and ``shared("name")`` (None: not known)."""
    found: list[str | None] = list(jinja2.meta.find_referenced_templates(tree))
    for call in tree.find_all(nodes.Call):
        assert isinstance(call, nodes.Call)
        if isinstance(call.node, nodes.Name) and call.node.name in (LISTED, LISTED_ROWS):
            found.append(ROW_MACROS)
        if isinstance(call.node, nodes.Name) and call.node.name == SHARED:
            first = call.args[0] if call.args else None
            literal = isinstance(first, nodes.Const) and isinstance(first.value, str)
            found.append(first.value if literal else None)  # type: ignore[union-attr]
    return found


class _Same:
    """A value that is its own key: the same object, not an equal one (kept alive, so its id stays its own)."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.value is self.value


#: Values equal only when they print the same (not ``datetime``: equal moments in other zones print differently).
_PLAIN_TYPES = frozenset({str, Markup, int, float, bool, type(None), date})


def _memo_key(value: object) -> object:
    """A key under which two values render the same: plain values by type and value, lists by their items,
    anything else by identity (pages get the same objects: the config, the formatter, frozen content)."""
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return (kind, value)
    if kind is list or kind is tuple:
        return (kind, tuple(_memo_key(item) for item in value))  # type: ignore[attr-defined]
    return _Same(value)


#: The classes whose methods the templates call (``fmt.time_tag(...)``, ``site.component(id)``), none with a
#: context: called directly (see :func:`.jinja_speed.call_method_filter`).
DIRECT_CALLS = (Formatter, SiteConfig, Incident, Maintenance, date, datetime)


class TemplateProblem(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class Templates:
    """The Jinja environment of one site, with fingerprints of its templates."""

    def __init__(self, source: Path, shown_source: str, translations: NullTranslations) -> None:
        self.project_dir = (source / "templates").resolve()
        self.shown_source = shown_source
        theme = jinja2.FileSystemLoader(str(THEME_TEMPLATES))
        #: ``INLOOP_STOCK_JINJA=1``: stock Jinja, and ``shared()`` and ``listed()`` render every time.
        self.stock = stock_jinja()
        self.env = make_environment(
            translations,
            DIRECT_CALLS,
            loader=jinja2.ChoiceLoader(
                [
                    jinja2.FileSystemLoader(str(self.project_dir)),
                    theme,
                    jinja2.PrefixLoader({THEME_PREFIX: theme}, delimiter="/"),
                ]
            ),
            autoescape=jinja2.select_autoescape(["html", "xml", "svg"], default_for_string=True),
            undefined=jinja2.StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        self.env.bytecode_cache = bytecode_cache(self.env, translations, self.fingerprint, stock=self.stock)
        self.env.globals[SHARED] = self._render_shared
        #: The list pages' rows, by the values the macros read (see :mod:`.listed`).
        self.rows = ListedRows(self.env, self.inputs, _memo_key, stock=self.stock)
        self.env.globals[LISTED] = self.rows.one
        self.env.globals[LISTED_ROWS] = self.rows.many
        if isinstance(self.env, SpeedEnvironment):
            self.env.globals[IMPORTED] = imported_from(self)
            self.env.share_modules = True
        self._fingerprints: dict[str, str] = {}
        self._loads: dict[str, list[str]] = {}
        self._shared: dict[tuple[object, ...], str] = {}
        self._inputs: dict[str, tuple[str, ...] | None] = {}
        self._trees: dict[str, tuple[str, str | None, TemplateFacts]] = {}
        #: Libraries' modules by the values they read (see :func:`imported_from`).
        self.modules: dict[tuple[object, ...], jinja2.environment.TemplateModule] = {}

    def shown_path(self, filename: str | None) -> str:
        """A template's path as an author reads it in an error."""
        if not filename:
            return "<template>"
        path = Path(filename).resolve()
        if path.is_relative_to(self.project_dir):
            relative = path.relative_to(self.project_dir.parent)
            return str(Path(self.shown_source) / relative) if self.shown_source != "." else str(relative)
        return str(path)

    def source(self, name: str) -> tuple[str, str | None]:
        loader = self.env.loader
        assert loader is not None
        text, filename, _ = loader.get_source(self.env, name)
        return text, filename

    def fingerprint(self, name: str) -> str:
        """A hash of every template ``name`` may load, as resolved now."""
        if name in self._fingerprints:
            return self._fingerprints[name]
        seen: dict[str, str] = {}
        pending = [name]
        dynamic = False
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            try:
                text, filename, facts = self._parsed(current)
            except jinja2.TemplateNotFound:
                seen[current] = "missing"
                continue
            seen[current] = f"{filename}:{hashlib.sha256(text.encode()).hexdigest()}"
            for reference in facts.references:
                if reference is None:
                    dynamic = True
                else:
                    pending.append(reference)
        self._loads[name] = [loaded for loaded, found in seen.items() if found != "missing"]
        if dynamic:
            seen["*"] = self.everything()
        digest = hashlib.sha256(repr((__version__, sorted(seen.items()))).encode()).hexdigest()[:20]
        self._fingerprints[name] = digest
        return digest

    def _parsed(self, name: str) -> tuple[str, str | None, TemplateFacts]:
        """A template's text, file and what its syntax tree says, read once for every page kind.

        Raises ``TemplateNotFound`` and, for a file that is not UTF-8, ``UnicodeDecodeError``.
        """
        found = self._trees.get(name)
        if found is None:
            text, filename = self.source(name)
            found = self._trees[name] = (text, filename, facts_of(self.env, text, references))
        return found

    def loads(self, name: str) -> list[str]:
        """``name`` and every template it names for loading (extends, include, import, ``shared``)."""
        self.fingerprint(name)
        return self._loads.get(name, [name])

    def inputs(self, name: str) -> tuple[str, ...] | None:
        """Every name ``name``, and each template it may load, reads from the context; None if not known."""
        if name in self._inputs:
            return self._inputs[name]
        names: set[str] = set()
        seen: set[str] = set()
        pending = [name]
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            try:
                facts = self._parsed(current)[2]
            except (jinja2.TemplateError, UnicodeDecodeError):
                return None  # rendering says what is wrong; nothing is kept
            if facts.undeclared is None:
                return None
            names.update(facts.undeclared)
            # Jinja leaves out the environment's globals; a page's context could still give one another value.
            names.update(n for n in facts.names if n in self.env.globals)
            for reference in facts.references:
                if reference is None:
                    self._inputs[name] = None
                    return None
                pending.append(reference)
        found = self._inputs[name] = tuple(sorted(names))
        return found

    @jinja2.pass_context
    def _render_shared(self, context: jinja2.runtime.Context, name: str) -> str:
        """``{{ shared("footer.html") }}``: what ``{% include "footer.html" %}`` renders, made once per inputs.

        Like any function, it sees the page's context, not the names a loop or a
        macro binds: it is for the top level of a template, as in base.html.

        Most pages of a site share fragments that depend on a few values (the
        root, the feeds).  The key is the value of every name the fragment, and
        any template it loads, reads from the context, so a fragment reused is
        byte for byte the one rendering would make; deterministic, never stale.
        """
        inputs = self.inputs(name) if type(name) is str and not self.stock else None
        key: tuple[object, ...] | None = None
        if inputs is not None:
            key = (name, context.eval_ctx.autoescape, *(_memo_key(context.resolve_or_missing(n)) for n in inputs))
            done = self._shared.get(key)
            if done is not None:
                return done
        template = self.env.get_template(name, parent=context.name)
        text = template.render(context.get_all())
        rendered: str = Markup(text) if context.eval_ctx.autoescape else text
        if key is not None:
            if len(self._shared) >= _SHARED_LIMIT:
                self._shared.clear()
            self._shared[key] = rendered
        return rendered

    def template_names(self) -> list[str]:
        """Every template the loaders can find, without editors' leftovers and hidden files."""
        from inloop.read.content import ignored_path

        return sorted(
            name
            for name in self.env.list_templates()
            if not name.startswith(THEME_PREFIX + "/") and not ignored_path(tuple(name.split("/")))
        )

    def file_of(self, name: str) -> str | None:
        """The file a template name resolves to (the project's first, then the theme's)."""
        for folder in (self.project_dir, THEME_TEMPLATES):
            candidate = folder / name
            if candidate.is_file():
                return str(candidate)
        return None

    def everything(self) -> str:
        names = self.template_names()
        parts = []
        for name in names:
            try:
                parts.append((name, self.source(name)[0]))
            except jinja2.TemplateNotFound:  # pragma: no cover - listed but gone
                continue
        return hashlib.sha256(repr(parts).encode()).hexdigest()

    def check_syntax(self, names: list[str], *, everything: bool = True) -> list[Problem]:
        """Compile the templates a build needs and every other one; problems, not exceptions.

        Every template of the project, so that a mistake in one no page uses
        yet is reported too; every one of the theme, so that no watcher
        rebuild pays for compiling the partials a page happens to need first.
        Not ``everything``: ``names`` and the templates they load, no others.
        """
        problems = []
        if everything:
            every = [n for n in self.template_names() if n.endswith(TEMPLATE_SUFFIXES)]
        else:
            every = [loaded for name in names for loaded in self.loads(name)]
        for name in dict.fromkeys([*names, *every]):
            try:
                self.env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                problems.append(
                    Problem(self.shown_path(exc.filename), exc.lineno, f"template syntax error: {exc.message}")
                )
            except jinja2.TemplateNotFound as exc:
                problems.append(Problem(self.shown_source, 1, f"template not found: {exc.name}"))
            except UnicodeDecodeError as exc:
                problems.append(Problem(self.shown_path(self.file_of(name)), 1, _not_utf8(exc)))
        return problems

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        try:
            return self.env.get_template(name).render(context)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(
                Problem(self.shown_path(exc.filename), exc.lineno, f"template syntax error: {exc.message}")
            ) from None
        except UnicodeDecodeError as exc:
            raise TemplateProblem(Problem(self.shown_path(self.file_of(name)), 1, _not_utf8(exc))) from None
        except Exception as exc:  # a render error: blame the innermost template frame
            raise TemplateProblem(self._render_problem(exc, name)) from None

    def _render_problem(self, exc: Exception, name: str) -> Problem:
        where: tuple[str, int] | None = None
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename.endswith((".html", ".xml", ".css", ".txt", ".svg")) and frame.lineno:
                where = (frame.filename, frame.lineno)
        if isinstance(exc, jinja2.TemplateNotFound):
            kind, message = "template not found", str(exc.name)
        else:
            message = str(exc) if not isinstance(exc, jinja2.UndefinedError) else f"{exc.message}"
            kind = (
                "template error" if isinstance(exc, jinja2.TemplateError) else f"template error ({type(exc).__name__})"
            )
        if where is None:
            try:
                filename = self.source(name)[1]
            except jinja2.TemplateNotFound:  # pragma: no cover
                filename = None
            return Problem(self.shown_path(filename), 1, f"{kind}: {message}")
        return Problem(self.shown_path(where[0]), where[1], f"{kind}: {message}")


def imported_from(templates: Templates) -> Callable[..., tuple[Any, ...]]:
    """The :data:`.jinja_speed.IMPORTED` global of ``templates``' environment."""

    @jinja2.pass_context
    def imported(context: jinja2.runtime.Context, name: str, names: tuple[str, ...], line: int) -> tuple[Any, ...]:
        """What ``{% from name import names with context %}`` binds, from a module made once for the values it reads.

        See :func:`.jinja_speed.share_libraries`: the module of a library is
        kept by the value of every name the library, and every template it
        loads, reads from the context (as ``shared()`` keeps a fragment), so
        a module reused is the module importing would make.  A name the
        library lacks is undefined with Jinja's own words.
        """
        template = templates.env.get_template(name, parent=context.name)
        inputs = templates.inputs(name)
        key = None if inputs is None else (name, *(_memo_key(context.resolve_or_missing(n)) for n in inputs))
        module = templates.modules.get(key) if key is not None else None
        if module is None:
            module = template.make_module(context.get_all(), True)
            if key is not None:
                if len(templates.modules) >= _MODULES_LIMIT:  # a watch session's old builds
                    templates.modules.clear()
                templates.modules[key] = module
        found = []
        for wanted in names:
            value = getattr(module, wanted, _ABSENT)
            if value is _ABSENT:
                hint = (
                    f"the template {template.name!r} (imported on line {line} in {context.name!r}) "
                    f"does not export the requested name {wanted!r}"
                )
                value = templates.env.undefined(hint, name=wanted)
            found.append(value)
        return tuple(found)

    return imported
