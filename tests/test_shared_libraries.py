"""A library imported ``with context`` is made once for the values it reads, not once per page.

``{% from "_macros.html" import update_list with context %}`` runs the
library and defines its macros again for every page; inloop's code generator
takes the names from a module kept by the values the library reads (see
:func:`inloop.render.jinja_speed.share_libraries`).  Every case renders the
same with stock Jinja (``INLOOP_STOCK_JINJA=1``), page after page with
values that change, stay, or are missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from site_support import templates_from

from inloop import i18n
from inloop.render.jinja_speed import IMPORTED, STOCK_SWITCH, stock_jinja
from inloop.render.templates import Templates

fast_only = pytest.mark.skipif(stock_jinja(), reason=f"{STOCK_SWITCH}=1 turns the shortcuts off")

FILES = {
    "_lib.html": "{% macro show(v) %}{{ label }}:{{ v }}{{ root }}{% endmacro %}\n"
    "{% macro deep() %}{% from '_base.html' import base with context %}{{ base() }}{% endmacro %}\n"
    "{% macro wrap() %}<{{ caller() }}>{% endmacro %}\n",
    "_base.html": "{% macro base() %}[{{ extra }}]{% endmacro %}\n",
    "_state.html": "{% set counter = namespace(n=0) %}{% macro bump() %}{% set counter.n = counter.n + 1 %}"
    "{{ counter.n }}{% endmacro %}",
    "page.html": '{% from "_lib.html" import show, deep as d, wrap with context %}'
    "{{ show(1) }}|{{ d() }}|{% call wrap() %}in {{ root }}{% endcall %}",
    "set_before.html": '{% set label = "set here" %}{% from "_lib.html" import show with context %}{{ show(2) }}',
    "missing.html": '{% from "_lib.html" import show, nothing with context %}{{ show(3) }}{{ nothing is defined }}',
    "state.html": '{% from "_state.html" import bump with context %}{{ bump() }}{{ bump() }}',
    "bound_twice.html": '{% from "_lib.html" import show with context %}{% set show = "x" %}{{ show }}',
    "child.html": '{% extends "frame.html" %}{% from "_lib.html" import show with context %}'
    "{% block main %}{{ show(4) }}{% endblock %}",
    "frame.html": "<main>{% block main %}{% endblock %}</main>",
    "without.html": '{% from "_lib.html" import wrap %}{% call wrap() %}x{% endcall %}',
}
PAGES = [
    {"label": "a", "root": "../", "extra": 1},
    {"label": "a", "root": "../", "extra": 1},
    {"label": "b", "root": "../", "extra": 1},
    {"label": "a", "root": "<&>", "extra": 2},
    {"root": "../", "extra": 1},  # label missing: undefined, as Jinja says it
]


def templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, stock: bool) -> Templates:
    return templates_from(tmp_path, monkeypatch, FILES, stock=stock)


def outcomes(templates: Templates, name: str) -> list[str]:
    found = []
    for values in [*PAGES, *PAGES]:  # the second time from the kept modules
        try:
            found.append(templates.render(name, values))
        except Exception as exc:  # the failure and its words are what is compared
            found.append(f"{type(exc).__name__}: {exc}")
    return found


@pytest.mark.parametrize("name", [n for n in FILES if not n.startswith("_") and n != "frame.html"])
def test_a_shared_library_prints_what_importing_it_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    fast = outcomes(templates(tmp_path, monkeypatch, stock=False), name)
    assert fast == outcomes(templates(tmp_path, monkeypatch, stock=True), name)


@fast_only
def test_one_module_serves_the_pages_that_give_it_the_same_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = templates(tmp_path, monkeypatch, stock=False)
    assert IMPORTED in made.env.compile(FILES["page.html"], "page.html", raw=True)
    assert IMPORTED not in made.env.compile(FILES["state.html"], "state.html", raw=True)  # not a library
    for values in PAGES[:3]:
        made.render("page.html", values)
    assert len(made.modules) == 2  # label a and label b; extra is read too, through deep()


@fast_only
def test_the_theme_imports_its_libraries_once_for_all_item_pages(tmp_path: Path) -> None:
    theme = Templates(tmp_path, ".", i18n.translations("en"))
    for name in ("incident.html", "maintenance.html", "component.html", "_history_list.html", "uptime.html"):
        code = theme.env.compile(theme.source(name)[0], name, raw=True)
        assert IMPORTED in code and "make_module" not in code, name
