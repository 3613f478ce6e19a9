"""``obj.name(...)`` and ``_(expression)`` are compiled to filters, which Jinja calls without ``Context.call``.

inloop's code generator (:func:`inloop.render.jinja_speed.direct_calls`) does
it when a template is compiled; the methods of inloop's formatter and models
are then called at once, every other callable as Jinja calls it.  Every case
here renders the same with stock Jinja (``INLOOP_STOCK_JINJA=1``), errors
included.
"""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jinja2
import pytest
from site_support import templates_from

from inloop import i18n
from inloop.render.formatting import Formatter
from inloop.render.jinja_speed import CALL_METHOD, STOCK_SWITCH, TRANSLATE, stock_jinja
from inloop.render.templates import DIRECT_CALLS, Templates

fast_only = pytest.mark.skipif(stock_jinja(), reason=f"{STOCK_SWITCH}=1 turns the shortcuts off")
SOURCE = Path(__file__).resolve().parent.parent / "src" / "inloop"
MOMENT = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


class Other:
    """Not one of inloop's classes: its methods go through ``Context.call``."""

    def shout(self, text: str, name: str = "", value: str = "") -> str:
        return f"{text.upper()}<{name}{value}>"

    @jinja2.pass_context
    def where(self, context: jinja2.runtime.Context, suffix: str) -> str:
        return f"{context.get('root')}{suffix}"

    not_callable = "plain"


FILES = {
    "_lib.html": "{% macro box(x) %}[{{ x }}|{{ caller() if caller else '' }}]{% endmacro %}",
    "formatter.html": "{{ fmt.time_tag(moment) }}|{{ fmt.full(moment) }}|{{ fmt.day(day) }}"
    "|{{ fmt.time_tag(moment, clock_only=true) }}|{{ fmt.same_day(moment, moment) }}",
    "in_loop.html": "{% for m in [moment, moment] %}{% set n = loop.index %}{{ fmt.clock(m) }}{{ n }}"
    "{{ other.where('/' ~ n) }}{% endfor %}",
    "in_block.html": '{% extends "base_block.html" %}{% block main %}{% set b = 1 %}{{ fmt.day(day) }}'
    "{{ other.where(b) }}{% endblock %}",
    "base_block.html": "<{% block main %}{% endblock %}>",
    "other.html": "{{ other.shout('a<b', name='n', value='&') }}|{{ other.where('!') }}|{{ 'x'.upper() }}"
    "|{{ {'k': '<v>'}.get('k') }}|{{ [3, 1].index(1) }}|{{ day.strftime('%d<') }}",
    "keywords.html": "{{ other.shout('q', value='v', name='m') }}",
    "missing_method.html": "{{ fmt.no_such_method(moment) }}",
    "missing_receiver.html": "{{ nowhere.time_tag(moment) }}",
    "not_callable.html": "{{ other.not_callable() }}",
    "call_block.html": '{% import "_lib.html" as lib %}{% call lib.box(fmt.day(day)) %}in{% endcall %}',
    "module.html": '{% import "_lib.html" as lib %}{{ lib.box(root) }}',
    "nested.html": "{{ fmt.day(fmt.time_tag(moment)|length and day) }}|{{ other.shout(other.shout('z')) }}",
    "translate.html": "{{ _(status) }}|{{ _(status ~ '!') }}|{{ _(status, x=1) }}|{{ _('Resolved') }}"
    "|{{ gettext(status) }}",
    "shadowed.html": "{% set _ = other.shout %}{{ _(status) }}",
    "text.txt": "{{ fmt.time_tag(moment) }}|{{ _(status) }}|{{ other.shout('<') }}",
    "star.html": "{{ other.shout(*['s']) }}|{{ other.shout(**{'text': 't'}) }}",
}


def values() -> dict[str, Any]:
    return {
        "fmt": Formatter(UTC, "en", i18n.translations("en")),
        "moment": MOMENT,
        "day": date(2026, 11, 20),
        "other": Other(),
        "root": "../<&>/",
        "status": "Investigating",
    }


def outcome(templates: Templates, name: str) -> str:
    try:
        return templates.render(name, values())
    except Exception as exc:  # the failure and where it points are what is compared
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize("name", [n for n in FILES if not n.startswith(("_", "base_"))])
def test_a_direct_call_renders_what_jinja_renders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    fast = templates_from(tmp_path, monkeypatch, FILES, stock=False)
    stock = templates_from(tmp_path, monkeypatch, FILES, stock=True)
    assert outcome(fast, name) == outcome(stock, name)


def test_the_cases_render_what_they_are_about(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison above compares something: outputs, and errors where there should be errors."""
    fast = templates_from(tmp_path, monkeypatch, FILES, stock=stock_jinja())
    assert outcome(fast, "formatter.html").startswith('<time datetime="2026-11-20T14:30:00Z">Nov 20, 2026, 14:30 UTC')
    assert outcome(fast, "in_loop.html") == "14:30 UTC1../&lt;&amp;&gt;//114:30 UTC2../&lt;&amp;&gt;//2"
    assert outcome(fast, "other.html").startswith("A&lt;B&lt;n&amp;&gt;|../&lt;&amp;&gt;/!|X|&lt;v&gt;|1|20&lt;")
    assert outcome(fast, "missing_method.html").startswith("TemplateProblem: ")
    assert "no_such_method" in outcome(fast, "missing_method.html")
    assert "'nowhere' is undefined" in outcome(fast, "missing_receiver.html")
    assert "not callable" in outcome(fast, "not_callable.html")
    assert outcome(fast, "call_block.html") == "[Nov 20, 2026|in]"
    assert outcome(fast, "translate.html") == "Investigating|Investigating!|Investigating|Resolved|Investigating"
    assert outcome(fast, "shadowed.html") == "INVESTIGATING&lt;&gt;"


@fast_only
def test_method_calls_and_translations_are_compiled_to_filters(tmp_path: Path) -> None:
    """The fast path is taken: the theme's pages call no method and no ``_`` through ``Context.call``."""
    theme = Templates(tmp_path, ".", i18n.translations("en"))
    calling = [name for name in theme.template_names() if "fmt." in theme.source(name)[0]]
    assert {"incident.html", "maintenance.html", "uptime.html", "_macros.html"} <= set(calling)
    for name in calling:
        code = theme.env.compile(theme.source(name)[0], name, raw=True)
        assert "context.call(environment.getattr(" not in code, name  # how Jinja's code calls a method
        assert f"environment.filters['{CALL_METHOD}']" in code, name
    code = theme.env.compile(theme.source("_macros.html")[0], "_macros.html", raw=True)
    assert f"environment.filters['{TRANSLATE}']" in code
    code = theme.env.compile("{{ _(status) }}{{ fmt.day(day) }}", "page.html", raw=True)
    assert "context.call(" not in code


@fast_only
def test_a_template_that_binds_underscore_keeps_its_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = templates_from(tmp_path, monkeypatch, FILES, stock=False)
    code = fast.env.compile(FILES["shadowed.html"], "shadowed.html", raw=True)
    assert TRANSLATE not in code


def _decorated_methods(path: Path, classes: set[str]) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ClassDef) and node.name in classes:
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    for decorator in item.decorator_list:
                        text = ast.unparse(decorator)
                        if "pass_" in text:
                            found.append(f"{path.name}:{item.lineno} {node.name}.{item.name}: {text}")
    return found


def test_no_method_of_a_directly_called_class_takes_a_context() -> None:
    """What calling them directly rests on: Jinja would pass a context to a method decorated to take one."""
    ours = {cls.__name__ for cls in DIRECT_CALLS if cls.__module__.startswith("inloop")}
    assert ours == {"Formatter", "SiteConfig", "Incident", "Maintenance"}
    found = [line for path in sorted(SOURCE.rglob("*.py")) for line in _decorated_methods(path, ours)]
    assert found == []


def test_the_decorator_check_sees_a_decorated_method(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import jinja2\nclass Formatter:\n    @jinja2.pass_context\n    def f(self, c): pass\n")
    assert _decorated_methods(sample, {"Formatter"}) == ["sample.py:4 Formatter.f: jinja2.pass_context"]
