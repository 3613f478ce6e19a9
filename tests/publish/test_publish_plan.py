"""The pure half of publishing: headers, phases, the diff against the manifest."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from inloop.errors import UsageError
from inloop.publish import PublishError, PublishReport, PublishSettings, SettingError
from inloop.publish.links import page_links, resolve
from inloop.publish.plan import (
    IMMUTABLE_CACHE,
    SHORT_CACHE,
    Found,
    ManifestError,
    ObjectInfo,
    Phase,
    cache_control,
    content_type,
    decode_manifest,
    decode_pending,
    describe,
    encode_manifest,
    encode_pending,
    make_plan,
    phase_of,
)
from inloop.publish.stores import LocalStore, S3Store, open_store, parse_s3

from .support import site_files


def info(key: str, data: bytes) -> ObjectInfo:
    return describe(key, hashlib.sha256(data).hexdigest(), len(data))


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("incidents/x/index.html", "text/html; charset=utf-8"),
        ("style.3f2a9c1b.css", "text/css; charset=utf-8"),
        ("feed.xml", "application/rss+xml; charset=utf-8"),
        ("components/api/feed.xml", "application/rss+xml; charset=utf-8"),
        ("atom.xml", "application/atom+xml; charset=utf-8"),
        ("components/api/atom.xml", "application/atom+xml; charset=utf-8"),
        ("feed.json", "application/feed+json"),
        ("api/v2/summary.json", "application/json"),
        ("badge.json", "application/json"),
        ("maintenance.ics", "text/calendar; charset=utf-8"),
        ("badge.svg", "image/svg+xml"),
        ("favicon.png", "image/png"),
        ("favicon.ico", "image/x-icon"),
        ("robots.txt", "text/plain; charset=utf-8"),
        ("sitemap.xml", "application/xml"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("fonts/inter.woff2", "font/woff2"),
        ("photo.JPG", "image/jpeg"),
        ("docs/guide.pdf", "application/pdf"),
        ("data.tar", "application/x-tar"),  # from Python's built-in table
        ("README", "application/octet-stream"),
        ("archive.tar.gz", "application/octet-stream"),  # never Content-Encoding games
    ],
)
def test_content_type(key: str, expected: str) -> None:
    assert content_type(key) == expected


@pytest.mark.parametrize(
    ("key", "immutable"),
    [
        ("style.3f2a9c1b.css", True),
        ("style.3f2a9c1b4d.css", True),
        ("assets/app.0123456789abcdef.js", True),
        ("style.css", False),
        ("style.3f2a9c1.css", False),  # 7 hex digits: too short to be a hash
        ("style.3f2a9c1g.css", False),  # not hex
        ("3f2a9c1b.css", False),  # no name before the hash
        ("index.html", False),
        ("feed.xml", False),
        ("api/v2/summary.json", False),
        ("badge.svg", False),
        ("maintenance.ics", False),
    ],
)
def test_cache_control(key: str, immutable: bool) -> None:
    assert cache_control(key) == (IMMUTABLE_CACHE if immutable else SHORT_CACHE)
    assert SHORT_CACHE == "public, max-age=60, stale-if-error=86400"
    assert IMMUTABLE_CACHE == "public, max-age=31536000, immutable"


@pytest.mark.parametrize(
    ("key", "phase"),
    [
        ("style.3f2a9c1b.css", Phase.ASSETS),
        ("favicon.png", Phase.ASSETS),
        ("images/logo.svg", Phase.ASSETS),
        ("robots.txt", Phase.ASSETS),
        ("feed.xml", Phase.FEEDS),
        ("atom.xml", Phase.FEEDS),
        ("feed.json", Phase.FEEDS),
        ("components/api/feed.xml", Phase.FEEDS),
        ("api/v2/summary.json", Phase.FEEDS),
        ("api/v2/incidents/unresolved.json", Phase.FEEDS),
        ("badge.svg", Phase.FEEDS),
        ("badge.json", Phase.FEEDS),
        ("components/api/badge.svg", Phase.FEEDS),
        ("maintenance.ics", Phase.FEEDS),
        ("incidents/2026-11-20-outage/index.html", Phase.EVENT_PAGES),
        ("maintenance/2026-12-01-db/index.html", Phase.EVENT_PAGES),
        ("history/index.html", Phase.PAGES),
        ("history/2/index.html", Phase.PAGES),
        ("components/api/index.html", Phase.PAGES),
        ("components/api/2/index.html", Phase.PAGES),
        ("index.html", Phase.HOME),
        ("404.html", Phase.HOME),
        ("de/index.html", Phase.HOME),
        ("sitemap.xml", Phase.HOME),
    ],
)
def test_phase_of(key: str, phase: Phase) -> None:
    assert phase_of(key) == phase


def test_uploads_go_in_phase_order_with_home_last() -> None:
    files = site_files(incidents=3)
    plan = make_plan({k: info(k, v) for k, v in files.items()}, {})
    phases = plan.upload_phases()
    assert [phase for phase, _ in phases] == sorted(Phase)
    groups = {phase: {u.key for u in uploads} for phase, uploads in phases}
    css = next(k for k in files if k.startswith("style."))
    assert groups[Phase.ASSETS] == {css, "favicon.png"}
    assert groups[Phase.FEEDS] == {
        "feed.xml",
        "atom.xml",
        "feed.json",
        "api/v2/summary.json",
        "badge.svg",
        "maintenance.ics",
    }
    assert groups[Phase.EVENT_PAGES] == {k for k in files if k.startswith(("incidents/", "maint"))} - {
        "maintenance.ics"
    }
    assert groups[Phase.PAGES] == {"history/index.html", "components/api/index.html"}
    assert groups[Phase.HOME] == {"index.html", "404.html"}
    # Flattened, the order is the phases' order; within a phase, by key.
    order = [u.key for _, uploads in phases for u in uploads]
    assert order.index(css) < order.index("feed.xml") < order.index("incidents/2026-11-0001-outage/index.html")
    assert order.index("history/index.html") < order.index("index.html")
    assert set(order[-2:]) == {"index.html", "404.html"}
    assert all(label for label in (p.label for p in Phase))


def test_deletions_go_pages_first_assets_last() -> None:
    published = {k: info(k, b"x") for k in ("style.0123abcd.css", "feed.xml", "index.html", "incidents/a/index.html")}
    plan = make_plan({"index.html": info("index.html", b"x")}, published)
    assert [phase for phase, _ in plan.delete_phases()] == [Phase.EVENT_PAGES, Phase.FEEDS, Phase.ASSETS]


def test_plan_against_the_manifest() -> None:
    local = {k: info(k, v) for k, v in {"a.html": b"a", "b.html": b"b2", "c.html": b"c", "n.html": b"n"}.items()}
    published = {k: info(k, v) for k, v in {"a.html": b"a", "b.html": b"b1", "c.html": b"c", "old.html": b"o"}.items()}
    plan = make_plan(local, published)
    assert {u.key: u.reason for u in plan.uploads} == {"b.html": "changed", "n.html": "new"}
    assert plan.deletes == ("old.html",)
    assert plan.unchanged == ("a.html", "c.html")
    assert plan.manifest == tuple(local[k] for k in sorted(local))
    assert plan.touched == ("b.html", "n.html", "old.html")


def test_a_change_of_headers_uploads_again() -> None:
    local = {"a.html": info("a.html", b"a")}
    stale = ObjectInfo("a.html", local["a.html"].sha256, 1, "text/html", SHORT_CACHE)
    assert [u.reason for u in make_plan(local, {"a.html": stale}).uploads] == ["changed"]


def test_unfinished_keys_go_up_again_or_away_whatever_the_manifest_says() -> None:
    local = {k: info(k, b"same") for k in ("a.html", "b.html")}
    published = dict(local)
    plan = make_plan(local, published, unfinished={"a.html", "gone.html"})
    assert {u.key: u.reason for u in plan.uploads} == {"a.html": "unfinished"}
    assert plan.deletes == ("gone.html",)
    assert plan.unchanged == ("b.html",)


def test_full_check_trusts_the_store_not_the_manifest() -> None:
    local = {k: info(k, k.encode()) for k in ("a.html", "b.html", "c.html", "d.html")}
    good = {k: Found(v.sha256, v.size, v.content_type, v.cache_control) for k, v in local.items()}
    found: dict[str, Found | None] = {
        "a.html": good["a.html"],
        "b.html": None,
        "c.html": Found("0" * 64, 3, None, None),
        "d.html": Found(local["d.html"].sha256, local["d.html"].size, "text/plain", SHORT_CACHE),
    }
    plan = make_plan(local, local, found=found)
    assert {u.key: u.reason for u in plan.uploads} == {
        "b.html": "missing",
        "c.html": "differs",
        "d.html": "differs",
    }
    # A folder keeps no headers: only the bytes count.
    assert Found(local["a.html"].sha256, local["a.html"].size, None, None).matches(local["a.html"])


def test_manifest_round_trip_and_rejects() -> None:
    entries = [info("b.html", b"b"), info("a/index.html", b"a")]
    data = encode_manifest(entries)
    assert list(decode_manifest(data)) == ["a/index.html", "b.html"]
    assert decode_manifest(data)["b.html"] == entries[0]
    assert decode_pending(encode_pending(["x", "y", "x"])) == {"x", "y"}
    for bad in (
        b"not json",
        b"[]",
        b'{"version": 2, "files": []}',
        b'{"version": 1}',
        b'{"version": 1, "files": [{"key": "../etc/passwd", "sha256": "' + b"0" * 64 + b'", "size": 1}]}',
        b'{"version": 1, "files": [{"key": "a", "sha256": "xyz", "size": 1}]}',
    ):
        with pytest.raises(ManifestError):
            decode_manifest(bad)
    with pytest.raises(ManifestError):
        decode_pending(b'{"version": 1, "keys": ["/abs"]}')


def test_settings_from_the_publish_table() -> None:
    settings = PublishSettings.from_mapping(
        {"endpoint_url": "https://acct.r2.cloudflarestorage.com", "region": "auto", "concurrency": 4}
    )
    assert settings.region == "auto" and settings.concurrency == 4
    assert PublishSettings.from_mapping({}) == PublishSettings()
    with pytest.raises(SettingError, match="only from the environment") as caught:
        PublishSettings.from_mapping({"aws_secret_access_key": "x"})
    assert caught.value.key == "aws_secret_access_key"
    with pytest.raises(SettingError, match="unknown setting"):
        PublishSettings.from_mapping({"bucket": "x"})
    with pytest.raises(SettingError, match="whole number"):
        PublishSettings.from_mapping({"concurrency": "8"})
    with pytest.raises(SettingError, match="http"):
        PublishSettings.from_mapping({"endpoint_url": "localhost:9000"})
    with pytest.raises(SettingError, match="between"):
        PublishSettings(concurrency=0)


def test_destinations(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    settings = PublishSettings()
    assert parse_s3("s3://status-bucket") == ("status-bucket", "")
    assert parse_s3("s3://status-bucket/") == ("status-bucket", "")
    assert parse_s3("s3://status-bucket//status/v1/") == ("status-bucket", "status/v1/")
    store = open_store("s3://status-bucket/status", settings, out, client=object())
    assert isinstance(store, S3Store) and store.description == "s3://status-bucket/status"
    assert isinstance(open_store(str(tmp_path / "www"), settings, out), LocalStore)
    assert isinstance(open_store((tmp_path / "www").as_uri(), settings, out), LocalStore)
    for bad, message in [
        ("", "no destination"),
        ("s3://", "not a bucket name"),
        ("s3://Bad_Bucket!/x", "not a bucket name"),
        ("s3://bucket/a/../b", "prefix"),
        ("gs://bucket/x", "folder or s3://bucket/prefix"),
        ("https://example.com/", "folder or s3://bucket/prefix"),
        ("file://otherhost/x", "this machine"),
        (str(out), "into itself"),
        (str(out / "sub"), "into itself"),
        (str(tmp_path), "holds it"),
    ]:
        with pytest.raises(PublishError, match=message):
            open_store(bad, settings, out, client=object())
    (tmp_path / "afile").write_text("x")
    with pytest.raises(UsageError, match="is a file"):
        open_store(str(tmp_path / "afile"), settings, out)


def test_report_lines() -> None:
    report = PublishReport(
        destination="s3://b/p",
        uploaded=("a.html", "b.html"),
        deleted=("old.html",),
        unchanged=("c.html",),
        reasons={"a.html": "new", "b.html": "unfinished"},
        warnings=("careful",),
    )
    assert report.lines() == [
        "upload  a.html  (new)",
        "upload  b.html  (left unfinished by an interrupted publish)",
        "delete  old.html",
        "warning: careful",
        "Published to s3://b/p: 2 uploaded, 1 deleted, 1 unchanged.",
    ]
    dry = PublishReport("s3://b/p", ("a.html",), (), (), {"a.html": "changed"}, dry_run=True)
    assert dry.lines() == [
        "would upload  a.html  (changed)",
        "Dry run for s3://b/p: 1 file to upload, 0 files to delete, 0 unchanged; nothing was written.",
    ]
    same = PublishReport("/srv/www", (), (), ("a.html",), full=True)
    assert same.lines() == ["/srv/www is up to date (every object checked): 0 uploaded, 0 deleted, 1 unchanged."]


def test_page_links() -> None:
    body = b"""<!doctype html><link rel=stylesheet href="../../style.0123abcd.css">
    <a href="../../">home</a> <a href="../../history/?page=2#top">history</a>
    <a href="/feed.xml">feed</a> <a href="#updates">here</a> <a href="">self</a>
    <a href="https://example.com/x">elsewhere</a> <a href="//cdn.example/x.js">cdn</a>
    <a href="mailto:ops@example.com">mail</a> <img src="../../a%20b.png" srcset="x.png 1x, y.png 2x">
    <a href="../../../../etc/passwd">climbs</a>"""
    assert page_links("incidents/x/index.html", body) == {
        "style.0123abcd.css",
        "index.html",
        "history/index.html",
        "feed.xml",
        "a b.png",
        "incidents/x/x.png",
        "incidents/x/y.png",
        "etc/passwd",  # as a browser resolves it: no higher than the root
    }
    assert resolve("", "incidents/a/") == "incidents/a/index.html"
    assert resolve("history", "../") == "index.html"
    assert resolve("", "data:text/plain,hi") is None


def keys_of(waves: list[list[str]], key: str) -> int:
    return next(n for n, wave in enumerate(waves) if key in wave)


def waves_for(local: dict[str, bytes], published: dict[str, bytes]) -> tuple[list[list[str]], list[str]]:
    plan = make_plan({k: info(k, v) for k, v in local.items()}, {k: info(k, v) for k, v in published.items()})
    links = {u.key: page_links(u.key, local[u.key]) for u in plan.uploads if u.key.endswith(".html")}
    waves = plan.upload_waves(links)
    return [[u.key for u in w.uploads] for w in waves], [w.label for w in waves]


def test_first_publish_goes_by_phases_alone() -> None:
    files = site_files(incidents=5, components=("api", "db"), per_page=2)
    waves, labels = waves_for(files, {})
    plan = make_plan({k: info(k, v) for k, v in files.items()}, {})
    assert waves == [[u.key for u in group] for _, group in plan.upload_phases()]
    assert labels == [phase.label for phase in Phase]


def test_a_page_waits_for_the_new_objects_it_links_to() -> None:
    v1 = site_files(incidents=4, components=("api",), per_page=2)
    v2 = site_files(incidents=6, components=("api", "sms"), per_page=2)
    waves, labels = waves_for(v2, v1)
    new_incident = "incidents/2026-11-0006-outage/index.html"  # links the new components/sms/
    assert keys_of(waves, "components/sms/index.html") < keys_of(waves, new_incident)
    # history/2/ now links to the new history/3/, which goes up first.
    assert keys_of(waves, "history/3/index.html") < keys_of(waves, "history/2/index.html")
    assert keys_of(waves, new_incident) < keys_of(waves, "history/index.html")
    assert keys_of(waves, new_incident) < keys_of(waves, "index.html")
    # Everything else keeps its phase order, and the home page is still last.
    assert waves == [
        ["api/v2/summary.json", "feed.xml"],
        ["incidents/2026-11-0005-outage/index.html"],
        ["components/sms/index.html", "history/3/index.html"],
        [
            "history/2/index.html",
            "incidents/2026-11-0002-outage/index.html",  # these now link to components/sms/
            "incidents/2026-11-0004-outage/index.html",
            new_incident,
        ],
        ["history/index.html"],
        ["index.html"],
    ]
    assert labels[3] == "history and component pages, incident and maintenance pages"
    assert labels[-1] == "home page"


def test_new_pages_linking_each_other_fall_back_to_the_phase_order() -> None:
    local = {
        "incidents/a/index.html": b'<a href="../../components/new/">c</a>',
        "components/new/index.html": b'<a href="../../incidents/a/">i</a>',
    }
    waves, _ = waves_for(local, {})
    assert waves == [["incidents/a/index.html"], ["components/new/index.html"]]
    # An object the store already has needs no waiting: only absent ones count.
    published = {"components/new/index.html": local["components/new/index.html"]}
    local["components/new/index.html"] += b"changed"
    assert waves_for(local, published)[0] == [["incidents/a/index.html"], ["components/new/index.html"]]
