"""The templates' speed shortcuts, all of them, and the switch that turns them off.

Each goes through a door Jinja documents: the environment's
``code_generator_class`` (``_("literal")`` translated when a template is
compiled) and ``pass_eval_context`` functions (``_``, ``gettext`` and ``ngettext``
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
from collections.abc import Callable
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
        translate = environment.translate_literal if isinstance(environment, SpeedEnvironment) else None
        if translate is not None and not _shadows_gettext(node):
            _translate_literals(node, translate)
        super().visit_Template(node, frame)


class SpeedEnvironment(jinja2.Environment):
    """A Jinja environment whose templates translate their literal texts when compiled."""

    code_generator_class = _TranslatingCodeGenerator
    #: The catalog's gettext, set once translations are installed.
    translate_literal: Callable[[str], str] | None = None


def make_environment(translations: NullTranslations, **options: Any) -> jinja2.Environment:
    """A Jinja environment with ``options`` and the newstyle gettext of ``translations``, fast or stock."""
    if stock_jinja():
        env = jinja2.Environment(**options)
        env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
        return env
    fast = SpeedEnvironment(**options)
    fast.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    fast.globals.update(_fast_gettext(translations))
    fast.translate_literal = translations.gettext
    return fast
