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


@fast_only
def test_the_shared_parts_of_every_page_are_rendered_once_per_root(
    example_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``<head>``'s links and the footer's are the same on every page at a depth: made once for each."""
    config = example_copy / "inloop.toml"
    config.write_text(config.read_text().replace("history_page_size = 10", "history_page_size = 2"))
    planner, pages = planned(example_copy, tmp_path, monkeypatch)
    templates = planner.templates
    made: list[tuple[str, str]] = []
    real = templates.env.get_template
    counted: set[int] = set()

    def counting(name: str, *args: object, **kwargs: object) -> object:
        template = real(name, *args, **kwargs)  # type: ignore[arg-type]
        if name in ("_head.html", "_footer_links.html") and id(template) not in counted:
            counted.add(id(template))  # Jinja gives the same template object each time: wrapped once
            original = template.render

            def render(context: dict[str, object]) -> str:
                made.append((name, str(context["root"])))
                return original(context)

            template.render = render  # type: ignore[method-assign]
        return template

    monkeypatch.setattr(templates.env, "get_template", counting)
    html = [p for p in pages if p.path.endswith(".html")]
    feeds = {str(planner.context(p.path)["root"]): set() for p in html}  # type: ignore[var-annotated]
    for page in html:
        page.render()
    assert len(html) > 3 * len(feeds)
    assert len([p for p in html if p.path.startswith("components/")]) > len(planner.state.config.components)
    assert sorted(n for n in made if n[0] == "_footer_links.html") == sorted(("_footer_links.html", r) for r in feeds)
    heads = [root for name, root in made if name == "_head.html"]
    # once for each root and set of feeds: a component's pages link its own, maintenance pages the calendar's
    kinds = {(str(planner.context(p.path)["root"]), feed_group(p.path)) for p in html}
    assert len(heads) == len(kinds), heads


def feed_group(path: str) -> str:
    """Whose feeds a page links: a component's, the maintenance windows', or the site's."""
    parts = path.split("/")
    if parts[0] == "components" and len(parts) > 2:
        return parts[1]
    return "maintenance" if parts[0] == "maintenance" else "site"
