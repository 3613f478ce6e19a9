"""The benchmark's site generator (bench/generate.py) makes the site issue 7 asks for."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from bench_support import load_generator

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

HEADING = re.compile(
    r"## (\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)?) (UTC|Z|[+-]\d\d:\d\d) "
    r"(?:\u2014|\u2013|-|\||\u00b7) (.+)"
)
STEM = re.compile(r"(\d{4}-\d\d-\d\d)-[a-z0-9]+(?:-[a-z0-9]+)*-(\d+)")
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "update", "resolved"}
MAINTENANCE_STATUSES = {"scheduled", "in progress", "verifying", "completed"}


generate = load_generator()


@dataclass
class Doc:
    path: Path
    meta: dict[str, Any]
    updates: list[tuple[datetime, str]]  # (UTC time, lower-case status), in time order
    code_headings: int  # lines starting with "## " inside fenced code blocks


def parse_time(stamp: str, zone: str) -> datetime:
    fmt = "%Y-%m-%d %H:%M:%S" if stamp.count(":") == 2 else "%Y-%m-%d %H:%M"
    naive = datetime.strptime(stamp, fmt)  # noqa: DTZ007 - the zone is applied below
    if zone in ("UTC", "Z"):
        return naive.replace(tzinfo=UTC)
    sign = 1 if zone[0] == "+" else -1
    offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return (naive - sign * offset).replace(tzinfo=UTC)


def front_time(value: object) -> datetime:
    """A front-matter time as YAML gives it: a string, or a datetime for ISO."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    assert isinstance(value, str), value
    stamp, zone = value.rsplit(" ", 1)
    return parse_time(stamp, zone)


def read(path: Path) -> Doc:
    text = path.read_text("utf-8")
    assert text.startswith("---\n")
    head, body = text[4:].split("\n---\n", 1)
    meta = yaml.safe_load(head)
    assert isinstance(meta, dict)
    updates: list[tuple[datetime, str]] = []
    fenced = False
    code_headings = 0
    for line in body.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif fenced:
            code_headings += line.startswith("## ")
        elif line.startswith("## "):
            m = HEADING.fullmatch(line)
            assert m, f"{path.name}: bad heading {line!r}"
            updates.append((parse_time(m[1], m[2]), m[3].lower()))
    assert not fenced, f"{path.name}: unclosed code block"
    updates.sort(key=lambda u: u[0])
    return Doc(path, meta, updates, code_headings)


def tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        if path.is_file():
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    generate.generate_site(out, 100, seed=1, now=NOW)
    return out


@pytest.fixture(scope="module")
def incidents(site: Path) -> list[Doc]:
    return [read(p) for p in sorted((site / "content" / "incidents").iterdir())]


@pytest.fixture(scope="module")
def maintenance(site: Path) -> list[Doc]:
    return [read(p) for p in sorted((site / "content" / "maintenance").iterdir())]


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    generate.generate_site(tmp_path / "a", 200, seed=7, now=NOW)
    generate.generate_site(tmp_path / "b", 200, seed=7, now=NOW)
    generate.generate_site(tmp_path / "c", 200, seed=8, now=NOW)
    assert tree_hash(tmp_path / "a") == tree_hash(tmp_path / "b")
    assert tree_hash(tmp_path / "a") != tree_hash(tmp_path / "c")


def test_command_line_matches_the_function(tmp_path: Path) -> None:
    generate.generate_site(tmp_path / "a", 100, seed=1, now=NOW)
    argv = ["--incidents", "100", "--out", str(tmp_path / "b"), "--now", "2026-11-26 12:00 UTC"]
    assert generate.main(argv) == 0
    assert tree_hash(tmp_path / "a") == tree_hash(tmp_path / "b")


def test_regenerating_leaves_no_stale_or_edited_files(tmp_path: Path) -> None:
    a = tmp_path / "a"
    generate.generate_site(a, 200, now=NOW)
    (a / "site").mkdir()  # output is not the generator's to remove
    generate.generate_site(a, 100, now=NOW)
    assert (a / "site").is_dir()
    (a / "site").rmdir()
    edited = sorted((a / "content" / "incidents").iterdir())[0]
    edited.write_text("edited\n")
    generate.generate_site(a, 100, now=NOW)
    generate.generate_site(tmp_path / "b", 100, now=NOW)
    assert tree_hash(a) == tree_hash(tmp_path / "b")


def test_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        generate.generate_site(tmp_path, 100, now=NOW)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_file_counts_and_names(site: Path) -> None:
    incident_files = sorted((site / "content" / "incidents").iterdir())
    maintenance_files = sorted((site / "content" / "maintenance").iterdir())
    assert len(incident_files) == 100
    assert len(maintenance_files) == 10
    for path in incident_files + maintenance_files:
        assert path.suffix == ".md"
        assert STEM.fullmatch(path.stem), path.name
    numbers = [int(STEM.fullmatch(p.stem)[2]) for p in incident_files]  # type: ignore[index]
    assert sorted(numbers) == list(range(1, 101))


def test_config(site: Path) -> None:
    config = tomllib.loads((site / "inloop.toml").read_text("utf-8"))
    assert config["base_url"] == "https://status.bench.example/"
    assert config["timezone"] in ("UTC", "Europe/Berlin")
    assert config["history_page_size"] == 25
    components = config["components"]
    assert len(components) == 30
    assert len({c["id"] for c in components}) == 30
    assert len({c["group"] for c in components}) == 6
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", c["id"]) for c in components)


def test_incidents(site: Path, incidents: list[Doc]) -> None:
    ids = {c["id"] for c in tomllib.loads((site / "inloop.toml").read_text("utf-8"))["components"]}
    for doc in incidents:
        meta, name = doc.meta, doc.path.name
        assert set(meta) >= {"title", "impact", "components"}, name
        assert meta["impact"] in ("none", "minor", "major", "critical"), name
        components = meta["components"]
        assert 1 <= len(components) <= 3, name
        assert set(components) <= ids, name
        if isinstance(components, dict):
            assert set(components.values()) <= {
                "operational",
                "degraded_performance",
                "partial_outage",
                "major_outage",
            }, name
        assert 2 <= len(doc.updates) <= 6, name
        assert {status for _, status in doc.updates} <= INCIDENT_STATUSES, name
        assert all(t < NOW for t, _ in doc.updates), name
        assert len({t for t, _ in doc.updates}) == len(doc.updates), name
        start = front_time(meta["started"]) if "started" in meta else doc.updates[0][0]
        if "estimate" in meta:
            assert front_time(meta["estimate"]) > start, name
        for step in meta.get("prevention", []):
            if isinstance(step, dict):
                assert set(step) == {"step", "done"}, name
                done = step["done"]
                if isinstance(done, date) and not isinstance(done, datetime):
                    assert doc.updates[-1][0].date() < done < NOW.date(), name
                else:
                    assert doc.updates[-1][0] < front_time(done) < NOW, name
            else:
                assert isinstance(step, str), name


def test_exactly_three_unresolved_all_recent(incidents: list[Doc]) -> None:
    unresolved = [doc for doc in incidents if doc.updates[-1][1] != "resolved"]
    assert len(unresolved) == 3
    for doc in unresolved:
        start = front_time(doc.meta["started"]) if "started" in doc.meta else doc.updates[0][0]
        assert NOW - timedelta(days=7) <= start < NOW, doc.path.name


def test_most_incidents_say_cause_estimate_and_prevention(incidents: list[Doc]) -> None:
    for key in ("cause", "estimate", "prevention"):
        share = sum(key in doc.meta for doc in incidents) / len(incidents)
        assert 0.6 <= share <= 0.95, (key, share)
    steps = [s for doc in incidents for s in doc.meta.get("prevention", [])]
    assert any(isinstance(s, dict) for s in steps)
    assert any(isinstance(s, str) for s in steps)
    styles = {type(doc.meta["components"]) for doc in incidents}
    assert styles == {dict, list}


def test_long_postmortem_with_a_heading_inside_code(incidents: list[Doc]) -> None:
    long = [doc for doc in incidents if doc.code_headings]
    assert long
    for doc in long:
        text = doc.path.read_text("utf-8")
        assert "\n| --- |" in text
        assert "\n- " in text
        assert "\n```" in text


def test_a_reopened_incident(incidents: list[Doc]) -> None:
    reopened = [doc for doc in incidents if "resolved" in [s for _, s in doc.updates[:-1]]]
    assert reopened
    assert all(doc.updates[-1][1] == "resolved" for doc in reopened)


def test_maintenance(maintenance: list[Doc]) -> None:
    upcoming = 0
    for doc in maintenance:
        meta, name = doc.meta, doc.path.name
        assert set(meta) >= {"title", "components", "start", "end"}, name
        assert isinstance(meta["components"], list), name
        start, end = front_time(meta["start"]), front_time(meta["end"])
        assert start < end, name
        assert doc.updates, name
        assert {status for _, status in doc.updates} <= MAINTENANCE_STATUSES, name
        assert all(t < NOW for t, _ in doc.updates), name
        if start > NOW:
            upcoming += 1
            assert [s for _, s in doc.updates] == ["scheduled"], name
        else:
            assert end < NOW, name
            assert doc.updates[-1][1] == "completed", name
    assert 1 <= upcoming <= 2


def test_another_now(tmp_path: Path) -> None:
    now = datetime(2031, 3, 30, 1, 30, 45, tzinfo=UTC)
    generate.generate_site(tmp_path, 100, seed=3, now=now)
    docs = [read(p) for p in sorted((tmp_path / "content").rglob("*.md"))]
    assert all(t < now for doc in docs for t, _ in doc.updates)
    assert sum(doc.updates[-1][1] in ("investigating", "identified", "monitoring", "update") for doc in docs) == 3


def test_now_parsing() -> None:
    assert generate.parse_now("2026-11-26 12:00 UTC") == NOW
    assert generate.parse_now("2026-11-26T13:00+01:00") == NOW
    assert generate.parse_now("2026-11-26 12:00:00Z") == NOW
