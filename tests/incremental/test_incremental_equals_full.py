"""Any sequence of edits, built incrementally, gives the bytes of a fresh full build.

Hypothesis drives one long-lived :class:`Builder` (the watcher's) through
random edits of content, config, templates and static files, and of the
build time, and after each step compares its output folder, byte for byte,
with a cold build of the same sources into an empty folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inloop.build.builder import Builder
from inloop.errors import BuildError

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
#: A dozen examples in the normal run; ``INLOOP_LONG_PROPERTIES=1`` runs many more.
EXAMPLES = 150 if os.environ.get("INLOOP_LONG_PROPERTIES") == "1" else 12

CONFIG = """title = "Test Status"
base_url = "https://status.test.example/"
timezone = "Europe/Berlin"
history_page_size = 2
feed_items = 6

[[components]]
id = "api"
name = "API"
group = "Platform"

[[components]]
id = "web"
name = "Website"
group = "Platform"

[[components]]
id = "mail"
name = "Email"
"""

COMPONENTS = ["api", "web", "mail"]


def incident_text(day: int, components: list[str], text: str, resolved: bool) -> str:
    start = NOW - timedelta(days=day, hours=3)
    lines = [
        "---",
        f"title: Incident {day} {text[:12]}",
        "impact: major",
        "components:",
        *[f"  {c}: partial_outage" for c in components],
        "cause: A bad deploy.",
        f"estimate: {(start + timedelta(hours=2)).strftime('%Y-%m-%d %H:%M')} UTC",
        "---",
        f"## {start.strftime('%Y-%m-%d %H:%M')} UTC — Investigating",
        text,
        "",
    ]
    if resolved:
        lines += [f"## {(start + timedelta(minutes=90)).strftime('%Y-%m-%d %H:%M')} UTC — Resolved", "Fixed.", ""]
    return "\n".join(lines)


def maintenance_text(day: int) -> str:
    start = NOW + timedelta(days=day)
    return (
        "---\ntitle: Window\ncomponents: [mail]\n"
        f"start: {start.strftime('%Y-%m-%d %H:%M')} UTC\n"
        f"end: {(start + timedelta(hours=2)).strftime('%Y-%m-%d %H:%M')} UTC\n"
        "---\n"
    )


def write_base(source: Path) -> None:
    (source / "inloop.toml").write_text(CONFIG)
    incidents = source / "content" / "incidents"
    incidents.mkdir(parents=True)
    (source / "content" / "maintenance").mkdir()
    for day in (1, 5, 20, 40):
        (incidents / f"incident-{day}.md").write_text(incident_text(day, ["api"], "Looking into it.", day != 1))
    (source / "content" / "maintenance" / "window-a.md").write_text(maintenance_text(-1))


edits = st.one_of(
    st.tuples(st.just("text"), st.sampled_from([1, 5, 20, 40]), st.text("abc xyz", min_size=1, max_size=20)),
    st.tuples(st.just("move"), st.sampled_from([1, 5, 20, 40]), st.integers(0, 80)),
    st.tuples(
        st.just("components"),
        st.sampled_from([1, 5, 20, 40]),
        st.lists(st.sampled_from(COMPONENTS), min_size=1, max_size=3, unique=True),
    ),
    st.tuples(st.just("add"), st.integers(0, 95), st.booleans()),
    st.tuples(st.just("delete"), st.sampled_from([1, 5, 20, 40]), st.none()),
    st.tuples(st.just("config"), st.sampled_from(["title", "component"]), st.none()),
    st.tuples(st.just("template"), st.sampled_from(["footer", "none"]), st.none()),
    st.tuples(st.just("static"), st.booleans(), st.none()),
    st.tuples(st.just("maintenance"), st.integers(-3, 3), st.none()),
    st.tuples(st.just("time"), st.integers(0, 72), st.none()),
    st.tuples(st.just("break"), st.none(), st.none()),
)


def apply(source: Path, edit: tuple[object, ...], now: datetime) -> datetime:
    kind, arg, extra = edit
    incidents = source / "content" / "incidents"
    if kind == "text":
        path = incidents / f"incident-{arg}.md"
        if path.exists():
            path.write_text(path.read_text().replace("Looking into it.", f"Looking into it. {extra}", 1))
    elif kind == "move":
        path = incidents / f"incident-{arg}.md"
        if path.exists():
            path.write_text(incident_text(int(arg) + int(extra), ["api"], "Looking into it.", True))  # type: ignore[call-overload]
    elif kind == "components":
        path = incidents / f"incident-{arg}.md"
        if path.exists():
            path.write_text(incident_text(int(arg), list(extra), "Looking into it.", True))  # type: ignore[arg-type, call-overload]
    elif kind == "add":
        (incidents / f"new-{arg}.md").write_text(incident_text(int(arg), ["web"], "New one.", bool(extra)))  # type: ignore[call-overload]
    elif kind == "delete":
        (incidents / f"incident-{arg}.md").unlink(missing_ok=True)
    elif kind == "config":
        config = source / "inloop.toml"
        text = config.read_text()
        if arg == "title":
            text = (
                text.replace('title = "Test Status"', 'title = "Renamed Status"', 1)
                if "Test Status" in text
                else text.replace("Renamed", "Test")
            )
        elif '"extra"' not in text:
            text += '\n[[components]]\nid = "extra"\nname = "Extra"\ngroup = "Other"\n'
        config.write_text(text)
    elif kind == "template":
        folder = source / "templates"
        folder.mkdir(exist_ok=True)
        target = folder / "footer.html"
        if arg == "footer":
            target.write_text('{% extends "!theme/footer.html" %}{% block extra %}<p>Custom footer</p>{% endblock %}')
        else:
            target.unlink(missing_ok=True)
    elif kind == "static":
        folder = source / "static"
        folder.mkdir(exist_ok=True)
        if arg:
            (folder / "logo.txt").write_text("logo")
        else:
            (folder / "logo.txt").unlink(missing_ok=True)
    elif kind == "maintenance":
        (source / "content" / "maintenance" / "window-a.md").write_text(maintenance_text(int(arg)))  # type: ignore[call-overload]
    elif kind == "time":
        return now + timedelta(hours=int(arg))  # type: ignore[call-overload]
    elif kind == "break":
        path = incidents / "broken.md"
        if path.exists():
            path.unlink()
        else:
            path.write_text("---\ntitle: [unclosed\n---\n")
    return now


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def snapshot_mtimes(source: Path) -> dict[str, bytes]:
    """Every source file's bytes: what changed is what a watcher would report."""
    return {
        str(p.absolute()): p.read_bytes() for p in source.rglob("*") if p.is_file() and ".inloop-cache" not in p.parts
    }


def touched(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    """What a watcher would report: every file created, changed or deleted."""
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))


def build_or_errors(builder: Builder, now: datetime, changed: list[str] | None = None) -> list[str] | None:
    try:
        builder.build(now, changed)
    except BuildError as exc:
        return [str(p) for p in exc.problems]
    return None


@pytest.mark.slow  # about 30 s: builds of generated sites, edited step by step
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edits, min_size=1, max_size=6), st.booleans())
def test_incremental_builds_equal_cold_builds(steps: list[tuple[object, ...]], use_hints: bool) -> None:
    """``use_hints``: the builder is told which files changed, as the watcher tells it."""
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        source = root / "source"
        source.mkdir()
        write_base(source)
        incremental = Builder(source, root / "incremental", shown_source="source")
        now = NOW
        assert build_or_errors(incremental, now) is None
        last_good = tree(root / "incremental")
        for step in steps:
            before = snapshot_mtimes(source)
            now = apply(source, step, now)
            changed = touched(before, snapshot_mtimes(source)) if use_hints else None
            errors = build_or_errors(incremental, now, changed)
            cold_dir = root / "cold"
            shutil.rmtree(cold_dir, ignore_errors=True)
            cold_errors = build_or_errors(Builder(source, cold_dir, shown_source="source", cache_dir=None), now)
            assert errors == cold_errors
            if errors is None:
                last_good = tree(root / "incremental")
                assert last_good == tree(cold_dir)
            else:
                assert tree(root / "incremental") == last_good  # a failed build leaves the last good site
