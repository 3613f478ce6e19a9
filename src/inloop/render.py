"""Jinja: the theme, the project's overrides, and template errors as problems.

The project's ``templates/`` folder overrides the built-in theme file by file;
``{% extends "!theme/base.html" %}`` reaches the original it overrides, like
Pelican's ``!simple/``.  Every page records the templates it can load, so a
template change re-renders exactly the pages that use it.
"""

from __future__ import annotations

import hashlib
import secrets
import traceback
from collections.abc import Callable, Mapping
from gettext import NullTranslations
from pathlib import Path
from types import FunctionType, MethodType
from typing import Any

import jinja2
import jinja2.meta
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.utils import _PassArg
from markupsafe import Markup, escape

from . import __version__
from .errors import Problem

THEME_DIR = Path(__file__).parent / "theme"
THEME_TEMPLATES = THEME_DIR / "templates"
THEME_PREFIX = "!theme"


#: Files in templates/ that are templates (others, such as images, are not compiled).
TEMPLATE_SUFFIXES = (".html", ".xml", ".txt", ".css", ".js", ".svg", ".json")


def _not_utf8(exc: UnicodeDecodeError) -> str:
    return (
        f"not valid UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}): save the template as UTF-8"
    )


#: Translated texts without placeholders kept by a template environment; more is a project translating content.
_PLAIN_TEXTS_LIMIT = 10_000


def _newstyle(text: str, autoescape: bool, variables: dict[str, Any]) -> str:
    """What Jinja's newstyle gettext makes of a translation: Markup when escaping, always %-formatted."""
    return (Markup(text) if autoescape else text) % variables


def _fast_gettext(translations: NullTranslations) -> dict[str, Callable[..., str]]:
    """``_``, ``gettext`` and ``ngettext`` as Jinja's newstyle i18n has them, at a fraction of the cost.

    Jinja's ``_`` resolves ``gettext`` and calls it through the context twice, then
    escapes and %-formats the translation on every call; a page has dozens.  The
    result is the same; a text without placeholders is translated once.
    """
    gettext, ngettext = translations.gettext, translations.ngettext
    plain: dict[tuple[str, bool], str] = {}

    @jinja2.pass_context
    def fast_gettext(context: jinja2.runtime.Context, string: str, /, **variables: Any) -> str:
        autoescape = context.eval_ctx.autoescape
        if variables or type(string) is not str:
            return _newstyle(gettext(string), autoescape, variables)
        key = (string, autoescape)
        text = plain.get(key)
        if text is None:
            if len(plain) >= _PLAIN_TEXTS_LIMIT:
                plain.clear()
            text = plain[key] = _newstyle(gettext(string), autoescape, {})
        return text

    @jinja2.pass_context
    def fast_ngettext(
        context: jinja2.runtime.Context, singular: str, plural: str, num: int, /, **variables: Any
    ) -> str:
        variables.setdefault("num", num)
        return _newstyle(ngettext(singular, plural, num), context.eval_ctx.autoescape, variables)

    return {"_": fast_gettext, "gettext": fast_gettext, "ngettext": fast_ngettext}


#: The names a template translates with; a call of one with a bare literal is translated when it is compiled.
_GETTEXT_NAMES = frozenset({"_", "gettext"})


def _shadows_gettext(tree: nodes.Template) -> bool:
    """Whether a template binds ``_`` or ``gettext`` itself (a loop variable, a macro argument, an import)."""
    for name in tree.find_all(nodes.Name):
        if name.name in _GETTEXT_NAMES and name.ctx != "load":
            return True
    for imported in tree.find_all(nodes.Import):
        if isinstance(imported, nodes.Import) and imported.target in _GETTEXT_NAMES:
            return True
    for from_import in tree.find_all(nodes.FromImport):
        assert isinstance(from_import, nodes.FromImport)
        if _GETTEXT_NAMES.intersection(n if isinstance(n, str) else n[1] for n in from_import.names):
            return True
    return False


def _literal_text(node: nodes.Node) -> str | None:
    """The text of ``_("literal")`` (no placeholders, nothing else passed), else None."""
    if (
        isinstance(node, nodes.Call)
        and isinstance(node.node, nodes.Name)
        and node.node.name in _GETTEXT_NAMES
        and len(node.args) == 1
        and isinstance(node.args[0], nodes.Const)
        and type(node.args[0].value) is str
        and not node.kwargs
        and node.dyn_args is None
        and node.dyn_kwargs is None
    ):
        return node.args[0].value
    return None


def _translate_literals(node: nodes.Node, translate: Callable[[str], str]) -> None:
    """Replace each ``_("literal")`` under ``node`` by its translation, marked safe where escaping is on."""
    for field, value in node.iter_fields():
        children = value if isinstance(value, list) else [value]
        for index, child in enumerate(children):
            if not isinstance(child, nodes.Node):
                continue
            text = _literal_text(child)
            translated = translate(text) if text is not None else None
            if translated is None or "%" in translated:  # a "%" is left to gettext's formatting, as it was
                _translate_literals(child, translate)
                continue
            folded = nodes.MarkSafeIfAutoescape(nodes.Const(translated, lineno=child.lineno), lineno=child.lineno)
            if isinstance(value, list):
                value[index] = folded
            else:
                setattr(node, field, folded)


class _TranslatingCodeGenerator(CodeGenerator):
    """Jinja's code generator, after translating ``_("literal")`` once, when the template is compiled.

    Most texts on a page are such literals; as constants Jinja joins them to the
    markup around them, so a page no longer calls gettext for them at all.  An
    environment has one catalog for its life, so this is what each call would
    have returned (Markup when autoescaping, a plain text when not).
    """

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        environment = self.environment
        translate = environment.translate_literal if isinstance(environment, _Environment) else None
        if translate is not None and not _shadows_gettext(node):
            _translate_literals(node, translate)
        super().visit_Template(node, frame)
        # Last in the module, so that its functions find this escape, not the one imported first.
        self.writeline(f"from {__name__} import escape_output as escape, text_macro")

    def visit_Macro(self, node: nodes.Macro, frame: Frame) -> None:
        """A macro that takes nothing and holds only text is marked, so that calling it is a lookup."""
        super().visit_Macro(node, frame)
        if _only_text(node):
            self.writeline(f"text_macro({frame.symbols.ref(node.name)})")


try:
    from markupsafe._speedups import _escape_inner
except ImportError:  # pragma: no cover - MarkupSafe built without its C speedups

    def _escape_inner(text: str, /) -> str:
        return str(escape(text))


_new_str = str.__new__


def escape_output(value: object) -> Markup:
    """MarkupSafe's ``escape``, for what ``{{ ... }}`` prints, without its copies.

    ``escape`` copies a value that is already Markup (a macro's result, a
    translation, a ``<time>`` tag) into a new Markup, and checks a plain
    text for ``__html__`` twice.  The result is equal; a page prints
    about a hundred values, so this is a tenth of its rendering.
    """
    kind = type(value)
    if kind is Markup:
        return value  # type: ignore[return-value]
    if kind is str:
        return _new_str(Markup, _escape_inner(value))  # type: ignore[arg-type]
    return escape(value)


def _only_text(node: nodes.Macro) -> bool:
    """Whether a macro takes no argument and its body is text alone (``local()`` in the theme)."""
    return (
        not node.args
        and not node.defaults
        and bool(node.body)
        and all(
            isinstance(child, nodes.Output) and all(isinstance(part, nodes.TemplateData) for part in child.nodes)
            for child in node.body
        )
    )


#: Where a macro marked by :func:`text_macro` keeps what it printed, by the autoescape setting of the call.
_TEXT_MADE = "inloop_text_made"


def text_macro(macro: jinja2.runtime.Macro) -> None:
    """Mark a macro of text alone: :class:`_Context` calls it once per setting, then gives that text."""
    setattr(macro, _TEXT_MADE, {})


#: What Jinja's ``Context.call`` finds for a macro: it is called with the evaluation context first.
_MACRO_PASSES_EVAL_CONTEXT = _PassArg.from_obj(jinja2.runtime.Macro.__call__) is _PassArg.eval_context


class _Context(jinja2.runtime.Context):
    """A template context that calls macros and functions without looking them over each time.

    Jinja's ``call`` checks every callable for ``pass_context`` and its kin
    (four attribute lookups) before calling it; a page makes dozens of calls,
    nearly all to macros, to plain methods such as ``fmt.time_tag`` and to
    ``_``.  What they are called with is the same; anything else (a callable
    object, a context function given a loop's or a block's variables) goes
    the usual way.
    """

    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        kind = type(__obj)
        if kind is jinja2.runtime.Macro and _MACRO_PASSES_EVAL_CONTEXT:
            if kwargs:
                kwargs.pop("_block_vars", None)
                kwargs.pop("_loop_vars", None)
            made = __obj.__dict__.get(_TEXT_MADE)
            if made is not None and not args and not kwargs:  # text alone: the same every time
                autoescape = __self.eval_ctx.autoescape
                text = made.get(autoescape)
                if text is None:
                    text = made[autoescape] = __obj(__self.eval_ctx)
                return text
            return __obj(__self.eval_ctx, *args, **kwargs)
        if kind is MethodType or kind is FunctionType:
            passes = getattr(__obj, "jinja_pass_arg", None)  # what _PassArg.from_obj reads
            if passes is _PassArg.context and not kwargs.get("_loop_vars") and not kwargs.get("_block_vars"):
                args = (__self, *args)
            elif passes is not None:
                return super().call(__obj, *args, **kwargs)
            if kwargs:
                kwargs.pop("_block_vars", None)
                kwargs.pop("_loop_vars", None)
            try:
                return __obj(*args, **kwargs)
            except StopIteration:  # as Jinja's own call answers it
                return __self.environment.undefined(
                    "value was undefined because a callable raised a StopIteration exception"
                )
        return super().call(__obj, *args, **kwargs)


class _Template(jinja2.Template):
    """A template whose ``{% import ... with context %}`` modules are made once for the same values.

    Jinja makes the module again for every page that imports it with its
    context: it runs the whole template and defines each macro anew.  The
    pages of one kind give the imported template the same values (the
    formatter, the labels, the root), so the module made for the first is
    the module every other would make (see :meth:`Templates.module_for`).
    """

    environment: _Environment

    def make_module(
        self, vars: dict[str, Any] | None = None, shared: bool = False, locals: Mapping[str, Any] | None = None
    ) -> jinja2.environment.TemplateModule:
        module_for = self.environment.module_for
        if module_for is not None and vars is not None and shared:
            found = module_for(self, vars, locals or {})
            if found is not None:
                return found
        return super().make_module(vars, shared, locals)


class _Environment(jinja2.Environment):
    """A Jinja environment whose templates translate their literal texts when compiled and print faster."""

    code_generator_class = _TranslatingCodeGenerator
    context_class = _Context
    template_class = _Template
    #: The catalog's gettext, set once translations are installed.
    translate_literal: Callable[[str], str] | None = None
    #: The module a template imported with a context makes, if it is known (see :meth:`Templates.module_for`).
    module_for: (
        Callable[[jinja2.Template, dict[str, Any], Mapping[str, Any]], jinja2.environment.TemplateModule | None] | None
    ) = None


#: The global that renders a template like ``{% include %}``, reusing its output for the same inputs.
SHARED = "shared"
#: Shared fragments kept by one environment; a watch session's old builds are dropped past this.
_SHARED_LIMIT = 1024
#: The global that renders an item's row of a list page once for every list page (see :meth:`Templates._listed`).
LISTED = "listed"
#: Where the ``item_row`` macro lives.
ROW_MACROS = "_macros.html"
#: Sets of rows kept by one environment (one per build's values); past this they are dropped.
_ROW_SETS_LIMIT = 4
#: Modules of templates imported with a context, kept by one environment; past this they are dropped.
_MODULES_LIMIT = 256


def references(tree: nodes.Template) -> list[str | None]:
    """The templates a template may load: extends, include, import, and ``shared("name")`` (None: not known)."""
    found: list[str | None] = list(jinja2.meta.find_referenced_templates(tree))
    for call in tree.find_all(nodes.Call):
        assert isinstance(call, nodes.Call)
        if isinstance(call.node, nodes.Name) and call.node.name == LISTED:
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


_PLAIN_TYPES = frozenset({str, Markup, int, float, bool, type(None)})


def _memo_key(value: object) -> object:
    """A key under which two values render the same: plain values by type and value, lists by their items,
    anything else by identity (pages get the same objects: the config, the formatter, frozen content)."""
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return (kind, value)
    if kind is list or kind is tuple:
        return (kind, tuple(_memo_key(item) for item in value))  # type: ignore[attr-defined]
    return _Same(value)


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
        self.env = _Environment(
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
        self.env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
        self.env.globals.update(_fast_gettext(translations))
        self.env.translate_literal = translations.gettext
        self.env.globals[SHARED] = self._render_shared
        self.env.globals[LISTED] = self._listed
        self.env.module_for = self.module_for
        #: A root no page has, put in a row in place of the page's own, then replaced by it.
        self._root_mark = Markup(f"\x00{secrets.token_hex(16)}\x00")
        #: By the values the macros read: the macros' module and each item's row, by the item's id.
        self._rows: dict[tuple[object, ...], tuple[Any, dict[int, tuple[object, str, bool]]]] = {}
        self._fingerprints: dict[str, str] = {}
        self._loads: dict[str, list[str]] = {}
        self._shared: dict[tuple[object, ...], str] = {}
        self._inputs: dict[str, tuple[str, ...] | None] = {}
        self._modules: dict[tuple[object, ...], jinja2.environment.TemplateModule] = {}

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
                text, filename = self.source(current)
            except jinja2.TemplateNotFound:
                seen[current] = "missing"
                continue
            seen[current] = f"{filename}:{hashlib.sha256(text.encode()).hexdigest()}"
            try:
                parsed = self.env.parse(text)
            except jinja2.TemplateSyntaxError:
                continue
            for reference in references(parsed):
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
                tree = self.env.parse(self.source(current)[0])
            except (jinja2.TemplateError, UnicodeDecodeError):
                return None  # rendering says what is wrong; nothing is kept
            names.update(jinja2.meta.find_undeclared_variables(tree))
            # Jinja leaves out the environment's globals; a page's context could still give one another value.
            names.update(n.name for n in tree.find_all(nodes.Name) if n.name in self.env.globals)
            for reference in references(tree):
                if reference is None:
                    self._inputs[name] = None
                    return None
                pending.append(reference)
        found = self._inputs[name] = tuple(sorted(names))
        return found

    def module_for(
        self, template: jinja2.Template, values: dict[str, Any], locals: Mapping[str, Any]
    ) -> jinja2.environment.TemplateModule | None:
        """``template``'s module made with a context of ``values`` and ``locals``, once for the values it reads.

        ``locals`` are the importing template's own names (a loop variable);
        those that hold a value override ``values``, as Jinja has it.  The
        key is the template itself and the value of every name it, and every
        template it loads, reads from the context (as for
        :meth:`_render_shared`): a module reused is the module that
        importing would make, so its macros print the same bytes.  None
        when that cannot be known (a template loaded by a name computed
        while rendering).
        """
        inputs = self.inputs(template.name) if template.name is not None else None
        if inputs is None:
            return None
        missing = jinja2.utils.missing
        key = (
            _Same(template),
            *(
                _memo_key(found if (found := locals.get(name, missing)) is not missing else values.get(name, missing))
                for name in inputs
            ),
        )
        module = self._modules.get(key)
        if module is None:
            if len(self._modules) >= _MODULES_LIMIT:
                self._modules.clear()
            module = jinja2.environment.TemplateModule(template, template.new_context(values, True, locals))
            self._modules[key] = module
        return module

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
        inputs = self.inputs(name) if type(name) is str else None
        key: tuple[object, ...] | None = None
        if inputs is not None:
            key = (name, context.eval_ctx.autoescape, *(_memo_key(context.resolve_or_missing(n)) for n in inputs))
            done = self._shared.get(key)
            if done is not None:
                return done
        template = self.env.get_template(name, parent=context.name)
        text = self.env.concat(template.root_render_func(template.new_context(context.get_all(), True)))
        rendered: str = Markup(text) if context.eval_ctx.autoescape else text
        if key is not None:
            if len(self._shared) >= _SHARED_LIMIT:
                self._shared.clear()
            self._shared[key] = rendered
        return rendered

    @jinja2.pass_context
    def _listed(self, context: jinja2.runtime.Context, item: object) -> str:
        """``{{ listed(item) }}``: ``item_row(item)`` of ``_macros.html``, rendered once for all list pages.

        An item is on the history and on each of its components' pages, which
        differ only in ``root``.  The row is rendered once with a mark for the
        root, under the values of every other name ``_macros.html`` reads from
        the context (as :meth:`_render_shared` does), and each page puts its
        own root in, escaped as the macro escapes it: byte for byte what
        ``item_row(item)`` makes there.
        """
        inputs = self.inputs(ROW_MACROS)
        root = context.resolve_or_missing("root")
        if inputs is None or type(root) is not str:
            return self._row_module(context, root).item_row(item)  # type: ignore[no-any-return]
        key = tuple(_memo_key(context.resolve_or_missing(name)) for name in inputs if name != "root")
        found = self._rows.get(key)
        if found is None:
            if len(self._rows) >= _ROW_SETS_LIMIT:  # a watch session's old builds
                self._rows.clear()
            module = self._row_module(context, self._root_mark)
            found = self._rows[key] = (module, {})
        module, rows = found
        row = rows.get(id(item))
        if row is None or row[0] is not item:
            made = module.item_row(item)
            row = rows[id(item)] = (item, str(made), isinstance(made, Markup))
        _, text, escaped = row
        if escaped:  # the macro's template escapes what it prints
            return Markup(text.replace(self._root_mark, str(escape(root))))
        return text.replace(self._root_mark, root)

    def _row_module(self, context: jinja2.runtime.Context, root: object) -> Any:
        """``_macros.html`` imported with the page's context, ``root`` set as given."""
        template = self.env.get_template(ROW_MACROS, parent=context.name)
        return template.make_module({**context.get_all(), "root": root})

    def template_names(self) -> list[str]:
        """Every template the loaders can find, without editors' leftovers and hidden files."""
        from .content import ignored_path

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

    def add_filters(self, filters: Mapping[str, Callable[..., Any]]) -> None:
        self.env.filters.update(filters)

    def add_globals(self, values: Mapping[str, Any]) -> None:
        self.env.globals.update(values)
