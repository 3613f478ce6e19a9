"""A macro that takes nothing and prints one text (the theme's ``local()``) is printed, not called.

inloop's code generator (:mod:`inloop.render.jinja_speed`) replaces such a
call by the macro's text when a template is compiled.  Every case here
renders the same with stock Jinja (``INLOOP_STOCK_JINJA=1``), including those
where the macro must still be called: a name bound twice, a macro called
with arguments or from ``{% call %}``, a macro that reads the context, a
template that is not only macros.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from site_support import templates_from

from inloop import i18n
from inloop.render.jinja_speed import STOCK_SWITCH, inline_text_macros, stock_jinja, text_macros
from inloop.render.templates import Templates

fast_only = pytest.mark.skipif(stock_jinja(), reason=f"{STOCK_SWITCH}=1 turns the shortcuts off")

LIBRARY = (
    "{# a library: macros and blank lines #}\n"
    '{% macro local() -%}\n<span class="local"></span>\n{%- endmacro %}\n\n'
    "{% macro amp() %}a & b{% endmacro %}\n"
    "{% macro shout(text) %}{{ text|upper }}{% endmacro %}\n"
    "{% macro reads() %}{{ root }}{% endmacro %}\n"
    "{% macro uses() %}[{{ local() }}|{{ amp() }}]{% endmacro %}\n"
    "{% macro twice() %}1{% endmacro %}{% macro twice() %}2{% endmacro %}\n"
)
NOT_A_LIBRARY = '{% macro local() %}<i>{% endmacro %}{% set made = "x" ~ root %}{{ made }}'
FILES = {
    "_lib.html": LIBRARY,
    "_not_lib.html": NOT_A_LIBRARY,
    "plain.html": '{% from "_lib.html" import local, amp %}{{ local() }}|{{ amp() }}|{{ local() ~ "<" }}'
    "|{{ local()|length }}|{{ [local(), amp()]|join(root) }}",
    "alias.html": '{% from "_lib.html" import local as here with context %}'
    "{% for i in [1, 2] %}{{ here() }}{% endfor %}{% if true %}{{ here() }}{% endif %}",
    "text.txt": '{% from "_lib.html" import local, amp %}{{ local() }}{{ amp() ~ "<" }}',
    "shadowed.html": '{% from "_lib.html" import local %}{{ local() }}{% set local = "<x>" %}{{ local }}',
    "loop.html": '{% from "_lib.html" import local %}{% for local in ["<y>"] %}{{ local }}{% endfor %}{{ local() }}',
    "call_block.html": '{% from "_lib.html" import local, shout %}{% call local() %}c{% endcall %}{{ shout("a") }}',
    "reads.html": '{% from "_lib.html" import reads, uses %}{{ reads() }}{{ uses() }}',
    "tested.html": '{% from "_lib.html" import local %}{{ local is defined }}{{ local() }}',
    "twice.html": '{% from "_lib.html" import twice %}{{ twice() }}',
    "not_lib.html": '{% from "_not_lib.html" import local %}{{ local() }}',
    "module.html": '{% import "_lib.html" as lib %}{{ lib.local() }}{{ lib.uses() }}',
}


def templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, stock: bool) -> Templates:
    return templates_from(tmp_path, monkeypatch, FILES, stock=stock)


def outcome(templates: Templates, name: str, values: dict[str, object]) -> str:
    try:
        return templates.render(name, values)
    except Exception as exc:  # the failure and where it points are what is compared
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize("name", [n for n in FILES if not n.startswith("_")])
@pytest.mark.parametrize("root", ["../", "<&>"])
def test_a_text_macro_prints_what_calling_it_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, root: str
) -> None:
    fast = templates(tmp_path, monkeypatch, stock=False)
    stock = templates(tmp_path, monkeypatch, stock=True)
    values = {"root": root}
    assert outcome(fast, name, values) == outcome(stock, name, values)
    assert outcome(fast, name, values) == outcome(fast, name, values)


def test_only_the_macros_that_print_one_text_of_a_library() -> None:
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
    assert text_macros(env.parse(LIBRARY)) == {"local": '<span class="local"></span>', "amp": "a & b"}
    assert text_macros(env.parse(NOT_A_LIBRARY)) == {}


def test_calls_are_folded_only_where_the_name_is_the_macros_alone() -> None:
    env = jinja2.Environment()
    library = {"_lib.html": text_macros(env.parse(LIBRARY))}

    def calls(name: str) -> list[str]:
        tree = env.parse(FILES[name])
        inline_text_macros(tree, lambda imported: library.get(imported, {}))
        return [
            call.node.name
            for call in tree.find_all(jinja2.nodes.Call)
            if isinstance(call, jinja2.nodes.Call) and isinstance(call.node, jinja2.nodes.Name)
        ]

    assert calls("plain.html") == ["local", "local", "local", "amp"]  # in expressions: called
    assert calls("alias.html") == []
    assert calls("shadowed.html") == ["local"]
    assert calls("loop.html") == ["local"]
    assert calls("call_block.html") == ["local", "shout"]
    assert calls("tested.html") == []
    assert calls("twice.html") == ["twice"]


@fast_only
def test_the_theme_prints_local_without_calling_it(tmp_path: Path) -> None:
    """The fast path is taken: the footer no longer even imports the macros, and no page calls ``local``."""
    theme = Templates(tmp_path, ".", i18n.translations("en"))
    for name in ("footer.html", "incident.html", "maintenance.html", "_macros.html"):
        code = theme.env.compile(theme.source(name)[0], name, raw=True)
        assert "context.call((undefined(name='local')" not in code, name  # how Jinja's code calls it
        assert '<span class="local"></span>' in code, name
    assert "_macros.html" not in theme.env.compile(theme.source("footer.html")[0], "footer.html", raw=True)
