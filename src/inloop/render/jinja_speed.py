"""The templates' speed shortcuts, all of them, and the switch that turns them off.

Each goes through a door Jinja documents: the environment's
``code_generator_class`` (``_("literal")`` translated, ``_("literal",
name=value)`` translated and %-formatted in place, a macro that prints one
text, the theme's ``local()``, printed, and method calls and
``_(expression)`` compiled to filters, when a template is compiled), its
``make_globals`` (one dict, not a ChainMap), filters and
``pass_eval_context`` functions (``_``, ``gettext`` and ``ngettext``
without Jinja's per-call overhead).  Nothing here imports or overrides a
private name of Jinja or MarkupSafe, so a new minor release cannot make a
page print other bytes without a test saying so.

``INLOOP_STOCK_JINJA=1`` makes inloop use stock Jinja throughout: a plain
:class:`jinja2.Environment` with the newstyle gettext of its i18n extension,
and ``shared()`` and ``listed()`` rendering every time instead of reusing
(see :class:`.render.Templates`).  Both ways build the same bytes (a test
builds the example site and a generated site both ways).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, MutableMapping
from gettext import NullTranslations
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from markupsafe import Markup

#: The environment variable that turns every shortcut off.
STOCK_SWITCH = "INLOOP_STOCK_JINJA"


def stock_jinja() -> bool:
    """Whether ``INLOOP_STOCK_JINJA=1``: read when an environment is made, so a test can set it."""
    return os.environ.get(STOCK_SWITCH) == "1"


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

    @jinja2.pass_eval_context  # not the context: Jinja would copy it for each call in a loop that sets names
    def fast_gettext(eval_ctx: nodes.EvalContext, string: str, /, **variables: Any) -> str:
        autoescape = eval_ctx.autoescape
        if variables or type(string) is not str:
            return _newstyle(gettext(string), autoescape, variables)
        key = (string, autoescape)
        text = plain.get(key)
        if text is None:
            if len(plain) >= _PLAIN_TEXTS_LIMIT:
                plain.clear()
            text = plain[key] = _newstyle(gettext(string), autoescape, {})
        return text

    @jinja2.pass_eval_context
    def fast_ngettext(eval_ctx: nodes.EvalContext, singular: str, plural: str, num: int, /, **variables: Any) -> str:
        variables.setdefault("num", num)
        return _newstyle(ngettext(singular, plural, num), eval_ctx.autoescape, variables)

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


def _gettext_call(node: nodes.Node) -> tuple[str, list[nodes.Keyword]] | None:
    """The text and the keywords of ``_("literal", name=value, ...)`` (nothing else passed), else None."""
    if (
        isinstance(node, nodes.Call)
        and isinstance(node.node, nodes.Name)
        and node.node.name in _GETTEXT_NAMES
        and len(node.args) == 1
        and isinstance(node.args[0], nodes.Const)
        and type(node.args[0].value) is str
        and node.dyn_args is None
        and node.dyn_kwargs is None
    ):
        return node.args[0].value, node.kwargs
    return None


def _translated(text: str, keywords: list[nodes.Keyword], lineno: int) -> nodes.Expr:
    """What newstyle gettext makes of ``text``'s translation: Markup where escaping, %-formatted with the keywords."""
    translated = nodes.MarkSafeIfAutoescape(nodes.Const(text, lineno=lineno), lineno=lineno)
    if not keywords:
        return translated
    pairs = [nodes.Pair(nodes.Const(k.key, lineno=lineno), k.value, lineno=lineno) for k in keywords]
    return nodes.Mod(translated, nodes.Dict(pairs, lineno=lineno), lineno=lineno)


def _translate_literals(node: nodes.Node, translate: Callable[[str], str]) -> None:
    """Replace each ``_("literal")`` under ``node`` by its translation, and each ``_("literal", name=value)``
    by its translation %-formatted with the values (what the call would return, without the call)."""
    for field, value in node.iter_fields():
        children = value if isinstance(value, list) else [value]
        for index, child in enumerate(children):
            if not isinstance(child, nodes.Node):
                continue
            found = _gettext_call(child)
            if found is not None:
                for keyword in found[1]:  # a value may be a translated literal itself
                    _translate_literals(keyword, translate)
            translated = translate(found[0]) if found is not None else None
            # without values, a "%" is left to gettext's formatting, as it was
            if found is None or translated is None or ("%" in translated and not found[1]):
                _translate_literals(child, translate)
                continue
            folded = _translated(translated, found[1], child.lineno)
            if isinstance(value, list):
                value[index] = folded
            else:
                setattr(node, field, folded)


#: The filters a template's calls are compiled to (see :func:`direct_calls`): reserved names.
CALL_METHOD = "_inloop_call_method"
TRANSLATE = "_inloop_translate"


def call_method_filter(direct: Collection[type]) -> Callable[..., Any]:
    """The filter ``obj.name(...)`` is compiled to: the method called at once for an object of a ``direct`` class.

    Jinja calls every function through ``Context.call``, which looks for a
    context to pass on each call (about 1.2 us, a dozen times a page).  The
    methods of ``direct`` classes (inloop's formatter and models) take none,
    which ``tests/test_direct_calls.py`` holds them to.  Any other object's
    method is called as Jinja calls it: :func:`jinja2.Environment.getattr`,
    then ``Context.call``, with the template's context (a method that takes
    a context, called in a loop, would not see the names the loop sets;
    neither Jinja nor inloop gives templates such a method).
    """
    types = frozenset(direct)

    @jinja2.pass_context
    def call_method(context: jinja2.runtime.Context, value: Any, name: str, /, *args: Any, **kwargs: Any) -> Any:
        if type(value) in types:
            method = getattr(value, name, None)
            if method is not None:
                return method(*args, **kwargs)
        return context.call(context.environment.getattr(value, name), *args, **kwargs)

    return call_method


def _direct_call(node: nodes.Call, translate: bool) -> nodes.Filter | None:
    """The filter ``node`` is compiled to, if it is ``obj.name(...)`` or ``_(expression)``."""
    if node.dyn_args is not None or node.dyn_kwargs is not None:
        return None
    callee = node.node
    if isinstance(callee, nodes.Getattr):
        name = nodes.Const(callee.attr, lineno=node.lineno)
        return nodes.Filter(callee.node, CALL_METHOD, [name, *node.args], node.kwargs, None, None, lineno=node.lineno)
    if (
        translate
        and isinstance(callee, nodes.Name)
        and callee.name in _GETTEXT_NAMES
        and len(node.args) == 1
        and not isinstance(node.args[0], nodes.Const)  # folded or translated when compiled
    ):
        return nodes.Filter(node.args[0], TRANSLATE, [], node.kwargs, None, None, lineno=node.lineno)
    return None


def direct_calls(tree: nodes.Template, translate: bool) -> None:
    """Compile ``obj.name(...)`` and ``_(expression)`` to filters, which Jinja calls directly.

    ``fmt.time_tag(update.time)`` becomes ``update.time`` passed through the
    :data:`CALL_METHOD` filter (see :func:`call_method_filter`), ``_(status)``
    the :data:`TRANSLATE` filter, the ``_`` of :func:`_fast_gettext`
    (``translate``: the template does not bind ``_`` itself).  Not the call
    of a ``{% call %}`` block, which passes it ``caller``.
    """
    blocks = {id(block.call) for block in tree.find_all(nodes.CallBlock) if isinstance(block, nodes.CallBlock)}

    def rewrite(node: nodes.Node) -> None:
        for field, value in node.iter_fields():
            children = value if isinstance(value, list) else [value]
            for index, child in enumerate(children):
                if not isinstance(child, nodes.Node):
                    continue
                rewrite(child)
                if not isinstance(child, nodes.Call) or id(child) in blocks:
                    continue
                direct = _direct_call(child, translate)
                if direct is None:
                    continue
                if isinstance(value, list):
                    value[index] = direct
                else:
                    setattr(node, field, direct)

    rewrite(tree)


def _constant_text(body: list[nodes.Node]) -> str | None:
    """The text a macro's body prints, if it prints that text and does nothing else."""
    parts = []
    for node in body:
        if not isinstance(node, nodes.Output) or not all(isinstance(c, nodes.TemplateData) for c in node.nodes):
            return None
        parts += [c.data for c in node.nodes if isinstance(c, nodes.TemplateData)]
    return "".join(parts)


def _blank(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Output) and all(
        isinstance(c, nodes.TemplateData) and not c.data.strip() for c in node.nodes
    )


def is_library(tree: nodes.Template) -> bool:
    """Whether a template is macro definitions and blank lines alone: importing it does nothing else."""
    return all(isinstance(node, nodes.Macro) or _blank(node) for node in tree.body)


def text_macros(tree: nodes.Template) -> dict[str, str]:
    """The macros of a macro library that take nothing and print one text (the theme's ``local()``), by name.

    Only a library, a template of macro definitions and blank lines alone:
    importing it, or calling its macros, can then do nothing else.
    """
    if not is_library(tree):
        return {}
    names = [node.name for node in tree.body if isinstance(node, nodes.Macro)]
    found = {}
    for node in tree.body:
        if isinstance(node, nodes.Macro) and names.count(node.name) == 1 and not node.args and not node.defaults:
            text = _constant_text(node.body)
            if text is not None:
                found[node.name] = text
    return found


def _bindings(tree: nodes.Template) -> list[str]:
    """Every name the template binds, once per binding: imports, macros, sets, loop and macro variables."""
    bound = [n.name for n in tree.find_all(nodes.Name) if isinstance(n, nodes.Name) and n.ctx in ("store", "param")]
    bound += [m.name for m in tree.find_all(nodes.Macro) if isinstance(m, nodes.Macro)]
    bound += [i.target for i in tree.find_all(nodes.Import) if isinstance(i, nodes.Import)]
    for imported in tree.find_all(nodes.FromImport):
        assert isinstance(imported, nodes.FromImport)
        bound += [name if isinstance(name, str) else name[1] for name in imported.names]
    return bound


def _zero_argument_call(node: nodes.Node, names: Mapping[str, str]) -> str | None:
    """The name of ``names`` that ``node`` calls with nothing: ``local()``."""
    if (
        isinstance(node, nodes.Call)
        and isinstance(node.node, nodes.Name)
        and node.node.name in names
        and not node.args
        and not node.kwargs
        and node.dyn_args is None
        and node.dyn_kwargs is None
    ):
        return node.node.name
    return None


def _fold_calls(tree: nodes.Template, texts: dict[str, str]) -> None:
    """Print the text of each text macro called alone in ``{{ }}``.

    Only there: where a call is part of an expression (``local() ~ "<"``),
    Jinja's constant folding would make its Markup a plain string.
    """
    for output in tree.find_all(nodes.Output):
        assert isinstance(output, nodes.Output)
        for index, child in enumerate(output.nodes):
            name = _zero_argument_call(child, texts)
            if name is not None:
                output.nodes[index] = nodes.MarkSafeIfAutoescape(nodes.Const(texts[name]), lineno=child.lineno)


def inline_text_macros(tree: nodes.Template, library_of: Callable[[str], dict[str, str]]) -> None:
    """Print the text of each call of a macro that takes nothing and prints one text, instead of calling it.

    A macro call returns its text, Markup where the caller escapes: what
    ``MarkSafeIfAutoescape`` of the text prints.  The macro is the theme's
    ``local()``, called a dozen times a page; its template, a library (see
    :func:`text_macros`), is read here with the loader the import uses.
    Only a name the template binds once, by an import at its top (or, in a
    library, by its own definition).  An import left with no name in use is
    dropped: a library's import does nothing else.  ``library_of(name)``
    gives the text macros of a template by its name (none for a template
    that cannot be read).
    """
    candidates: dict[str, str] = dict(text_macros(tree))  # a library's own, called in its other macros
    imports: list[nodes.FromImport] = []
    for imported in tree.body:  # imports at the top, which bind their names for the whole template
        if (
            isinstance(imported, nodes.FromImport)
            and isinstance(imported.template, nodes.Const)
            and isinstance(imported.template.value, str)
        ):
            library = library_of(imported.template.value)
            for name in imported.names:
                source, alias = (name, name) if isinstance(name, str) else name
                if source in library:
                    candidates[alias] = library[source]
            imports.append(imported)
    bindings = _bindings(tree)
    texts = {name: text for name, text in candidates.items() if bindings.count(name) == 1}
    if not texts:
        return
    _fold_calls(tree, texts)
    loads = [n.name for n in tree.find_all(nodes.Name) if isinstance(n, nodes.Name) and n.ctx == "load"]
    for imported in imports:
        aliases = [name if isinstance(name, str) else name[1] for name in imported.names]
        if all(alias in texts and loads.count(alias) == 0 for alias in aliases):
            tree.body.remove(imported)  # every name it binds is printed as text and used nowhere else


#: The global that gives the names a page imports ``with context`` from a library: see :func:`share_libraries`.
IMPORTED = "_inloop_imported"


def share_libraries(tree: nodes.Template, is_library: Callable[[str], bool]) -> None:
    """Take what a template imports ``with context`` from a library from the global :data:`IMPORTED`.

    ``{% from "_macros.html" import update_list with context %}`` makes the
    library's module again for every page, running it and defining each of
    its macros anew; the global keeps the module by the values the library
    reads (see :meth:`.Templates.imported`), which all pages of a kind share.
    A library (:func:`text_macros`) has nothing but macros, so one module
    serves every page that gives it the same values.  Only imports at the
    top of the template, which bind their names for all of it, as a
    ``{% set %}`` of the same names does.
    """
    if IMPORTED in _bindings(tree):
        return
    for index, node in enumerate(tree.body):
        if not (
            isinstance(node, nodes.FromImport)
            and node.with_context
            and isinstance(node.template, nodes.Const)
            and isinstance(node.template.value, str)
            and is_library(node.template.value)
        ):
            continue
        pairs = [(name, name) if isinstance(name, str) else name for name in node.names]
        target = nodes.Tuple([nodes.Name(alias, "store") for _, alias in pairs], "store")
        names = nodes.Const(tuple(name for name, _ in pairs))
        call = nodes.Call(
            nodes.Name(IMPORTED, "load"), [node.template, names, nodes.Const(node.lineno)], [], None, None
        )
        assigned = nodes.Assign(target, call)
        assigned.set_lineno(node.lineno)
        tree.body[index] = assigned


class _TranslatingCodeGenerator(CodeGenerator):
    """Jinja's code generator, after translating ``_("literal")`` once, when the template is compiled.

    Most texts on a page are such literals; as constants Jinja joins them to the
    markup around them, so a page no longer calls gettext for them at all
    (with values, the translation is %-formatted in place, as gettext would).  An
    environment has one catalog for its life, so this is what each call would
    have returned (Markup when autoescaping, a plain text when not).
    """

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        environment = self.environment
        if isinstance(environment, SpeedEnvironment):
            translate, shadowed = environment.translate_literal, _shadows_gettext(node)
            if translate is not None and not shadowed:
                _translate_literals(node, translate)
            inline_text_macros(node, lambda name: environment.library_of(name, self.name)[1])
            if environment.direct_calls:
                direct_calls(node, translate=not shadowed)
            if environment.share_modules:
                share_libraries(node, lambda name: environment.library_of(name, self.name)[0])
        super().visit_Template(node, frame)


class SpeedEnvironment(jinja2.Environment):
    """A Jinja environment whose templates translate their literal texts, and print their text macros, when compiled.

    An environment compiles each template once for its life (inloop makes a
    new one when a template of the site changes), so what it read of another
    template when compiling one is what that template holds.
    """

    code_generator_class = _TranslatingCodeGenerator
    #: The catalog's gettext, set once translations are installed.
    translate_literal: Callable[[str], str] | None = None

    #: Whether the templates take what they import with context from :data:`IMPORTED` (see :func:`share_libraries`).
    share_modules = False
    #: Whether method calls and ``_(expression)`` are compiled to filters (see :func:`direct_calls`).
    direct_calls = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._libraries: dict[str, tuple[bool, dict[str, str]]] = {}

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals as one dict, where Jinja makes a ChainMap over the environment's.

        Every page copies them into its context, and a ChainMap is copied
        key by key in Python (about 1 % of a cold build).  Jinja asks that
        globals not change once a template is loaded; inloop sets them all
        when it makes the environment.
        """
        merged = dict(self.globals)
        if d:
            merged.update(d)
        return merged

    def library_of(self, name: str, importer: str | None) -> tuple[bool, dict[str, str]]:
        """Whether the template ``importer`` imports as ``name`` is a library, and its text macros; read once.

        See :func:`text_macros`.  A template that cannot be read is neither.
        """
        found = self._libraries
        resolved = self.join_path(name, importer) if importer is not None else name
        if resolved not in found:
            try:
                assert self.loader is not None
                tree = self.parse(self.loader.get_source(self, resolved)[0], resolved)
                found[resolved] = (is_library(tree), text_macros(tree))
            except (jinja2.TemplateError, UnicodeDecodeError, AssertionError):
                found[resolved] = (False, {})
        return found[resolved]


def make_environment(
    translations: NullTranslations, direct: Collection[type] = (), **options: Any
) -> jinja2.Environment:
    """A Jinja environment with ``options`` and the newstyle gettext of ``translations``, fast or stock.

    ``direct``: the classes whose methods templates may call without Jinja's ``Context.call``.
    """
    if stock_jinja():
        env = jinja2.Environment(**options)
        env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
        return env
    fast = SpeedEnvironment(**options)
    fast.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    gettexts = _fast_gettext(translations)
    fast.globals.update(gettexts)
    fast.filters[TRANSLATE] = gettexts["_"]
    fast.filters[CALL_METHOD] = call_method_filter(direct)
    fast.translate_literal = translations.gettext
    fast.direct_calls = True
    return fast
