"""What a build makes once and reuses on every page: a test fails when a page stops reusing it.

Each of these is the design's speed, not a private name of Jinja: a value
that is the same for every page must be the same object (or a plain value)
in every page's context, or ``listed()`` and ``shared()``, which key their
reuse on the values a fragment reads, make it again for each page.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inloop.build import parallel
from inloop.build.builder import Builder, build_time
from inloop.render.jinja_speed import STOCK_SWITCH, stock_jinja
from inloop.render.pages import Page, Planner, make_state

fast_only = pytest.mark.skipif(stock_jinja(), reason=f"{STOCK_SWITCH}=1 turns the reuse off")
NOW = build_time("2026-11-26 12:00 UTC")


def planned(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Planner, list[Page]]:
    """The example site loaded in this process and every page planned, as a build plans them."""
    monkeypatch.setattr(parallel, "available_cores", lambda: 1)
    builder = Builder(source, tmp_path / "out", cache_dir=None)
    loaded = builder.load(NOW)
    config = loaded.config.config
    assert config is not None and not loaded.problems
    templates, translations = builder.renderer.templates_for(config)
    css_name, _ = builder.renderer.stylesheet(templates)
    planner = Planner(make_state(config, loaded.content, NOW, css_name), templates, translations)
    return planner, planner.plan()


@fast_only
def test_every_list_page_renders_each_row_once(
    example_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The history and every component's list share the rows: one set, one row per item listed."""
    planner, pages = planned(example_copy, tmp_path, monkeypatch)
    lists = [p for p in pages if p.path.startswith(("history/", "components/")) and p.path.endswith(".html")]
    assert len(lists) > len(planner.state.config.components)
    for page in lists:
        page.render()
    rows = planner.templates.rows.sets
    assert len(rows) == 1, "a value of the list pages' context differs from page to page"
    items = {*planner.state.content.incidents, *planner.state.content.maintenance}
    assert len(next(iter(rows.values()))[1]) == len(items)


def test_the_values_every_page_reads_are_the_same_objects(
    example_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planner, _ = planned(example_copy, tmp_path, monkeypatch)
    first, second = planner.context("history/index.html"), planner.context("incidents/x/index.html")
    for name in set(first) - {"root", "path", "canonical", "css", "js", "favicon", "noindex"}:
        assert first[name] is second[name] or first[name] == second[name], name
        if not isinstance(first[name], (str, int, bool)):
            assert first[name] is second[name], f"{name}: a new object for each page"
