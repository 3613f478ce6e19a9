"""Workers that parse a file render its page too: the same bytes as rendering after the load.

A cold build of many files forks workers that parse incidents and render
each one's page at once, so that no worker holds the whole content.  These
tests build the same generated site that way and in one process and compare
every file, the cache's compressed pages, and the problems of a broken
template.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bench_support import generated_site, tree

import inloop.build.parallel
import inloop.build.parsing
import inloop.build.rendering
from inloop.build.builder import Builder
from inloop.build.loader import Loader
from inloop.build.rendering import Renderer
from inloop.errors import BuildError
from inloop.render.pages import Planner

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
needs_two_cores = pytest.mark.skipif(
    inloop.build.parallel.available_cores() < 2, reason="on one core nothing is forked, so nothing is rendered early"
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_site(tmp_path_factory, 120, 11, NOW)


def spy_on_item_planner(monkeypatch: pytest.MonkeyPatch) -> list[Planner | None]:
    made: list[Planner | None] = []
    real = Renderer.item_planner

    def recording(self: Renderer, *args: object) -> Planner | None:
        planner = real(self, *args)  # type: ignore[arg-type]
        made.append(planner)
        return planner

    monkeypatch.setattr(Renderer, "item_planner", recording)
    return made


def problems_forked_and_alone(site: Path, output: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The problems of a failing build with workers rendering, after checking one process reports the same."""

    def problems() -> list[str]:
        with pytest.raises(BuildError) as failure:
            Builder(site, output, cache_dir=None).build(NOW)
        return [f"{p.path}:{p.line}: {p.message}" for p in failure.value.problems]

    made = spy_on_item_planner(monkeypatch)
    forked = problems()
    assert made and made[0] is not None  # the workers rendered (or tried to render) the items' pages
    monkeypatch.setattr(inloop.build.parallel, "available_cores", lambda: 1)
    assert problems() == forked
    return forked


@needs_two_cores
def test_pages_rendered_while_parsing_equal_pages_rendered_after(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = spy_on_item_planner(monkeypatch)
    forked = Builder(generated, tmp_path / "forked", cache_dir=tmp_path / "cache")
    report = forked.build(NOW)
    assert len(made) == 1 and made[0] is not None  # the workers rendered the items' pages

    monkeypatch.setattr(inloop.build.parallel, "available_cores", lambda: 1)
    alone = Builder(generated, tmp_path / "alone", cache_dir=None).build(NOW)
    assert len(made) == 1  # in one process, pages are rendered after the load
    assert report.rendered == alone.rendered  # each page once: none rendered early and again
    assert tree(tmp_path / "forked") == tree(tmp_path / "alone")

    # the workers stored what they parsed, and the cache holds the pages compressed:
    # a build from it parses nothing, renders nothing and writes the same bytes
    def no_parsing(*args: object) -> None:
        raise AssertionError("parsed again instead of taken from the cache")

    monkeypatch.setattr(inloop.build.parsing, "parse_incident", no_parsing)
    monkeypatch.setattr(inloop.build.parsing, "parse_maintenance", no_parsing)
    warm = Builder(generated, tmp_path / "warm", cache_dir=tmp_path / "cache").build(NOW)
    assert warm.rendered == 0
    assert tree(tmp_path / "warm") == tree(tmp_path / "alone")


def with_template(generated: Path, tmp_path: Path, name: str, text: str) -> Path:
    """The generated site's config and content (copied: a link out of the project is refused), with one template."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy2(generated / "inloop.toml", site / "inloop.toml")
    shutil.copytree(generated / "content", site / "content")
    (site / "templates").mkdir()
    (site / "templates" / name).write_text(text)
    return site


@needs_two_cores
def test_a_template_that_fails_on_every_incident_is_reported_as_in_one_process(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = with_template(
        generated,
        tmp_path,
        "incident.html",
        '{% extends "!theme/incident.html" %}\n{% block main %}{{ incident.no_such_field }}{% endblock %}\n',
    )
    output = tmp_path / "out"
    output.mkdir()
    (output / "index.html").write_text("the last good site\n")

    forked = problems_forked_and_alone(site, output, monkeypatch)
    assert len(forked) == 1 and "templates/incident.html:2: " in forked[0]
    assert "no_such_field" in forked[0]
    assert tree(output) == {"index.html": b"the last good site\n"}  # nothing half-built


@needs_two_cores
@pytest.mark.parametrize("into", ["new", "full"])
def test_a_broken_template_no_item_page_loads_fails_the_build_after_the_workers_rendered(
    into: str, generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the fork only the item pages' templates are compiled; the history's mistake is still reported."""
    broken = '{% extends "!theme/history.html" %}\n{% block main %}{% if %}\n'
    site = with_template(generated, tmp_path, "history.html", broken)
    output = tmp_path / "out"
    if into == "full":
        output.mkdir()
        (output / "index.html").write_text("the last good site\n")

    forked = problems_forked_and_alone(site, output, monkeypatch)
    expected = "templates/history.html:2: template syntax error: Expected an expression, got 'end of statement block'"
    assert forked == [f"{site}/{expected}"]
    if into == "full":
        assert tree(output) == {"index.html": b"the last good site\n"}  # nothing half-built
    else:
        assert not output.exists()
    assert not list(tmp_path.glob(".out.inloop-staging*"))


def test_a_file_saved_between_hashing_and_parsing_is_not_cached_under_its_old_key(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from inloop.build.cache import Cache

    site = tmp_path / "site"
    shutil.copytree(generated, site)
    victim = sorted((site / "content" / "incidents").rglob("*.md"))[0]
    old_bytes = victim.read_bytes()
    keys: list[str] = []
    real = Loader._parse

    def saving_in_between(self: Loader, files: list, *args: object) -> None:  # type: ignore[type-arg]
        keys.extend(f.key for f in files if f.path == victim)
        victim.write_bytes(old_bytes.rstrip() + b"\n\nA sentence saved while the build ran.\n")
        real(self, files, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Loader, "_parse", saving_in_between)
    Builder(site, tmp_path / "out", cache_dir=tmp_path / "cache").build(NOW)
    assert len(keys) == 1
    assert Cache(tmp_path / "cache").get_many("parsed", keys) == {}
    page = (tmp_path / "out" / "incidents" / victim.stem / "index.html").read_text()
    assert "A sentence saved while the build ran." in page


@needs_two_cores
def test_content_problems_are_the_same_when_workers_render(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    site = tmp_path / "site"
    shutil.copytree(generated, site)
    incidents = sorted((site / "content" / "incidents").rglob("*.md"))
    incidents[3].write_text(incidents[3].read_text().replace("impact:", "impakt:", 1))
    incidents[70].write_text("---\ntitle: [unclosed\n---\n")

    forked = problems_forked_and_alone(site, tmp_path / "out", monkeypatch)
    assert len({line.split(":")[0] for line in forked}) == 2
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
@needs_two_cores
@pytest.mark.parametrize("slow", ["worker", "parent"])
def test_the_workers_item_pages_are_the_same_whoever_renders_them(
    slow: str, generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker renders the items' pages while the parent renders the list pages; a parent free first takes some."""
    import os
    import time

    parent = os.getpid()
    log = tmp_path / "renders.log"
    real_prerender, real_render_one = inloop.build.parsing.prerender, inloop.build.rendering.render_one

    def prerender(*args: object) -> object:
        if os.getpid() != parent and slow == "worker":
            time.sleep(0.02)
        with log.open("a") as stream:
            stream.write(f"{'parent' if os.getpid() == parent else 'worker'}\n")
        return real_prerender(*args)  # type: ignore[arg-type]

    def render_one(*args: object) -> object:
        if slow == "parent":
            time.sleep(0.005)
        return real_render_one(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(inloop.build.parsing, "prerender", prerender)
    monkeypatch.setattr(inloop.build.rendering, "render_one", render_one)
    forked = Builder(generated, tmp_path / "forked", cache_dir=None).build(NOW)
    renders = log.read_text().split()
    monkeypatch.setattr(inloop.build.parallel, "available_cores", lambda: 1)
    alone = Builder(generated, tmp_path / "alone", cache_dir=None).build(NOW)
    assert tree(tmp_path / "forked") == tree(tmp_path / "alone")
    assert forked.rendered == alone.rendered  # every page once
    # a slow worker leaves some to the parent; a slow parent leaves the worker its own runs and the parent's
    assert "worker" in renders and ("parent" in renders or slow == "parent")
    alone_site = tmp_path / "alone"
    items = [*alone_site.glob("incidents/*/index.html"), *alone_site.glob("maintenance/*/index.html")]
    assert len(renders) == len(items)  # each item's page rendered once


@needs_two_cores
def test_a_load_that_is_not_a_build_renders_nothing_and_leaves_no_worker(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """inloop check, stats and notify only read: no page is rendered and no worker outlives the load."""
    import multiprocessing

    made = spy_on_item_planner(monkeypatch)
    loaded = Builder(generated, tmp_path / "out", cache_dir=None).load(NOW)
    assert len(loaded.content.incidents) == 120 and not loaded.problems
    assert made == []
    assert multiprocessing.active_children() == []
    assert not (tmp_path / "out").exists()


def test_a_workers_results_travel_as_the_pickle_it_stored_for_the_cache(generated: Path, tmp_path: Path) -> None:
    """A worker pickles a run's parse results once: the cache stores those bytes and its message carries them."""
    import pickle
    import sqlite3

    from inloop.build.cache import Cache
    from inloop.build.loader import stored_results
    from inloop.build.parsing import RUN_KIND, Outcome, ParseRuns, RunResults, RunSlot

    loader = Loader(generated, str(generated), None, Cache(tmp_path / "cache"))
    config = loader._config()
    files = [
        loader._source_file(kind, path, "settings", {}, [], keep_bytes=False, unread=False)
        for kind, path in loader._listing()[:5]
    ]
    assert all(file is not None for file in files)
    runs = ParseRuns(config, loader.cache, {}, None, "settings")
    runs.parent = -1  # as in a worker: this process is not the one that made it
    outcomes = runs.first([f for f in files if f is not None])
    slots = [outcome.result for outcome in outcomes]
    assert all(isinstance(slot, RunSlot) for slot in slots)
    run = slots[0].run  # type: ignore[union-attr]
    assert isinstance(run, RunResults) and all(slot.run is run for slot in slots)  # type: ignore[union-attr]
    blob = run.blob
    message = pickle.dumps(outcomes, pickle.HIGHEST_PROTOCOL)
    assert blob is not None and blob in message  # the run's pickle, as it is, not the objects pickled again
    assert run.blob is None  # sent: the worker keeps the objects alone
    received = [outcome.resolved() for outcome in pickle.loads(message)]
    assert [o.parsed for o in received] == list(run)
    assert all(isinstance(o, Outcome) for o in received)
    again = [outcome.resolved() for outcome in pickle.loads(pickle.dumps(outcomes))]  # a second time: the objects
    assert [o.parsed for o in again] == list(run)
    keys = [f.key for f in files if f is not None and f.key is not None]
    assert stored_results(loader.cache, keys) == dict(zip(keys, run, strict=True))
    loader.cache.close()
    with sqlite3.connect(tmp_path / "cache" / "cache.sqlite3") as db:  # a damaged run: parsed again, never served
        db.execute("UPDATE entries SET value = ? WHERE kind = ?", (b"not a pickle", RUN_KIND))
    assert stored_results(Cache(tmp_path / "cache"), keys) == {}
