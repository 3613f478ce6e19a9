"""The collector's policy (inloop.build.gc_policy) rests on what a build makes: checked here.

Parsing runs with the collector off, and what it made is frozen: a reference
cycle made while parsing would stay until the builder's next full collection.
None may hold what inloop makes (a parsed item, a page); Python-Markdown
leaves a few small objects in a cycle for each document it converts.  Rendering collects, less
often than Python's default, and the build gives back the thresholds it found.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bench_support import generated_site

from inloop.build import gc_policy
from inloop.read.content import parse_incident, parse_maintenance
from inloop.read.repeats import Repeats

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
#: Objects a converted document may leave in a cycle (Python-Markdown: a closure, its cell, a tuple or so).
PER_DOCUMENT = 8

#: Markdown a parser takes other paths for than for plain paragraphs.
RICH_BODY = b"""---
title: Rich body
impact: major
components:
  api: partial_outage
---
## 2026-11-20 10:00 UTC - Investigating
We see **errors** on the [API](https://example.com/api) and `queue-7`:

- one
- two, with *emphasis*

| region | state |
| --- | --- |
| eu | down |

```
trace line
```

> quoted
"""


@pytest.fixture
def no_collector() -> Iterator[None]:
    """Collector off and everything existing frozen, so that ``gc.collect`` finds only what the test makes."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    gc.freeze()
    try:
        yield
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.unfreeze()
        if enabled:
            gc.enable()


def cycles_made_by(work: Callable[[], object]) -> list[object]:
    """What ``work`` left in reference cycles, done a second time (the first makes what a process makes once)."""
    kept = work()
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    kept = work()
    gc.collect()
    found = list(gc.garbage)
    del kept
    return found


def made_by_inloop(objects: list[object]) -> list[str]:
    return sorted({type(found).__qualname__ for found in objects if type(found).__module__.startswith("inloop")})


def parse_folder(site: Path) -> list[object]:
    zone, repeats, parsed = UTC, Repeats(), []
    for kind, parser in (("incidents", parse_incident), ("maintenance", parse_maintenance)):
        for path in sorted((site / "content" / kind).glob("*.md")):
            parsed.append(parser(path.read_bytes(), path.stem, str(path), zone, None, repeats))
    return parsed


def test_parsing_the_example_leaves_nothing_of_inloop_in_cycles(no_collector: None) -> None:
    parsed = parse_folder(ROOT)
    left = cycles_made_by(lambda: parse_folder(ROOT))
    assert made_by_inloop(left) == []
    assert len(left) <= PER_DOCUMENT * len(parsed)


def test_parsing_a_generated_site_leaves_nothing_of_inloop_in_cycles(
    tmp_path_factory: pytest.TempPathFactory, no_collector: None
) -> None:
    site = generated_site(tmp_path_factory, 120, seed=3, now=NOW)
    parsed = parse_folder(site)
    left = cycles_made_by(lambda: parse_folder(site))
    assert made_by_inloop(left) == []
    assert len(left) <= PER_DOCUMENT * len(parsed)


def test_parsing_markdown_beyond_paragraphs_leaves_a_few_objects_at_most(no_collector: None) -> None:
    def parse() -> object:
        return parse_incident(RICH_BODY, "rich", "content/incidents/rich.md", UTC, None, Repeats())

    item, problems = parse()  # type: ignore[misc]
    assert problems == [] and item is not None and "<table>" in item.updates[0].html
    left = cycles_made_by(parse)
    assert made_by_inloop(left) == []
    assert len(left) <= PER_DOCUMENT


def test_the_check_sees_a_cycle_of_inloop_objects() -> None:
    from inloop.errors import Problem

    def make_cycle() -> None:
        looped: list[object] = [Problem("a.md", 1, "looped")]
        looped.append(looped)

    gc.disable()
    try:
        left = cycles_made_by(make_cycle)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert made_by_inloop(left) == ["Problem"]


def test_a_build_collects_less_often_and_gives_back_the_thresholds_it_found() -> None:
    before, enabled = gc.get_threshold(), gc.isenabled()
    gc.set_threshold(900, 11, 12)
    gc.enable()
    try:
        with gc_policy.quiet_build(1):
            assert not gc.isenabled()
            assert gc.get_threshold() == (gc_policy.BUILD_THRESHOLD, 11, 12)
            with gc_policy.collecting_cycles():
                assert gc.isenabled()
                with gc_policy.making_no_cycles():
                    assert not gc.isenabled()
                assert gc.isenabled()
            assert not gc.isenabled()
        assert gc.get_threshold() == (900, 11, 12)
        assert gc.isenabled()
    finally:
        gc.set_threshold(*before)
        if not enabled:
            gc.disable()
