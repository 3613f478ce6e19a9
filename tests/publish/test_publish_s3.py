"""Publishing to a real S3-compatible server (SeaweedFS), read back over plain HTTP.

SeaweedFS answers boto3's ``list_objects_v2`` with an empty body in some
versions, so nothing here lists: the tests read each object they expect, and
the manifest says what was published.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from inloop.errors import UsageError
from inloop.publish import (
    MANIFEST_KEY,
    PENDING_KEY,
    PublishError,
    PublishSettings,
    content_type,
    publish_site,
)
from inloop.publish.plan import IMMUTABLE_CACHE, SHORT_CACHE, Phase, phase_of
from inloop.publish.run import publish_to_store
from inloop.publish.stores import S3Store, make_s3_client

from .seaweed import BUCKET, Weed
from .support import broken_links, read_all, site_files, write_site


def check_published(weed: Weed, prefix: str, files: dict[str, bytes]) -> None:
    """Every object equals its file, with its headers; the manifest lists exactly the files."""
    for key, data in files.items():
        status, body, headers = weed.get(f"{prefix}/{key}")
        assert status == 200, key
        assert body == data, key
        assert headers["Content-Type"] == content_type(key), key
        assert headers["Cache-Control"] == (IMMUTABLE_CACHE if key.startswith("style.") else SHORT_CACHE), key
    status, body, _ = weed.get(f"{prefix}/{MANIFEST_KEY}")
    assert status == 200
    assert [entry["key"] for entry in json.loads(body)["files"]] == sorted(files)
    assert weed.get(f"{prefix}/{PENDING_KEY}")[0] == 404


def test_publish_read_back_change_delete(weed: Weed, s3_settings: PublishSettings, tmp_path: Path) -> None:
    files = site_files(incidents=2)
    out = write_site(tmp_path / "site", files)
    dest = f"s3://{BUCKET}/site-a"

    report = publish_site(out, dest, settings=s3_settings, progress=False)
    assert sorted(report.uploaded) == sorted(files)
    assert report.destination == dest
    check_published(weed, "site-a", files)
    expected = {
        "index.html": "text/html; charset=utf-8",
        "feed.xml": "application/rss+xml; charset=utf-8",
        "atom.xml": "application/atom+xml; charset=utf-8",
        "feed.json": "application/feed+json",
        "api/v2/summary.json": "application/json",
        "maintenance.ics": "text/calendar; charset=utf-8",
        "badge.svg": "image/svg+xml",
    }
    for key, ctype in expected.items():
        assert weed.get(f"site-a/{key}")[2]["Content-Type"] == ctype
    css = next(k for k in files if k.startswith("style."))
    assert weed.get(f"site-a/{css}")[2]["Cache-Control"] == "public, max-age=31536000, immutable"
    assert weed.get("site-a/index.html")[2]["Cache-Control"] == "public, max-age=60, stale-if-error=86400"
    assert weed.get("site-a/index.html")[2]["X-Amz-Meta-Sha256"]
    assert weed.get("site-a/.inloop-build.json")[0] == 404
    assert weed.get("site-a/.inloop/notify-state.json")[0] == 404

    again = publish_site(out, dest, settings=s3_settings, progress=False)
    assert again.uploaded == () and again.deleted == ()

    changed = "incidents/2026-11-0001-outage/index.html"
    files[changed] = files[changed].replace(b"</h1>", b"</h1><p>Resolved.</p>")
    del files["incidents/2026-11-0002-outage/index.html"]
    write_site(out, files)
    report = publish_site(out, dest, settings=s3_settings, progress=False)
    assert report.uploaded == (changed,)
    assert report.deleted == ("incidents/2026-11-0002-outage/index.html",)
    assert len(report.unchanged) == len(files) - 1
    check_published(weed, "site-a", files)
    assert weed.get("site-a/incidents/2026-11-0002-outage/index.html")[0] == 404


def test_full_repairs_objects_changed_behind_its_back(weed: Weed, s3_settings: PublishSettings, tmp_path: Path) -> None:
    files = site_files()
    out = write_site(tmp_path / "site", files)
    dest = f"s3://{BUCKET}/site-b/"
    publish_site(out, dest, settings=s3_settings, progress=False)
    client = weed.client()
    client.put_object(Bucket=BUCKET, Key="site-b/feed.xml", Body=b"overwritten")
    client.put_object(
        Bucket=BUCKET,
        Key="site-b/atom.xml",
        Body=files["atom.xml"],
        ContentType="text/xml",
        CacheControl=SHORT_CACHE,
    )
    client.delete_object(Bucket=BUCKET, Key="site-b/history/index.html")

    assert publish_site(out, dest, settings=s3_settings, progress=False).uploaded == ()
    dry = publish_site(out, dest, full=True, dry_run=True, settings=s3_settings, progress=False)
    assert dry.reasons == {"atom.xml": "differs", "feed.xml": "differs", "history/index.html": "missing"}
    assert weed.get("site-b/feed.xml")[1] == b"overwritten"
    report = publish_site(out, dest, full=True, settings=s3_settings, progress=False)
    assert report.reasons == dry.reasons
    check_published(weed, "site-b", files)
    assert publish_site(out, dest, full=True, settings=s3_settings, progress=False).uploaded == ()


def test_dry_run_changes_nothing(weed: Weed, s3_settings: PublishSettings, tmp_path: Path) -> None:
    files = site_files()
    out = write_site(tmp_path / "site", files)
    dest = f"s3://{BUCKET}/site-c"
    first = publish_site(out, dest, dry_run=True, settings=s3_settings, progress=False)
    assert sorted(first.uploaded) == sorted(files)
    assert weed.get("site-c/index.html")[0] == 404
    assert weed.get(f"site-c/{MANIFEST_KEY}")[0] == 404
    assert weed.get(f"site-c/{PENDING_KEY}")[0] == 404

    publish_site(out, dest, settings=s3_settings, progress=False)
    new = dict(files, **{"index.html": b"<p>new home</p>"})
    del new["feed.json"]
    write_site(out, new)
    report = publish_site(out, dest, dry_run=True, settings=s3_settings, progress=False)
    assert report.uploaded == ("index.html",) and report.deleted == ("feed.json",)
    check_published(weed, "site-c", files)


def test_errors_are_messages_not_tracebacks(
    weed: Weed, s3_settings: PublishSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = write_site(tmp_path / "site", site_files())
    with pytest.raises(PublishError, match="bucket 'no-such-bucket' does not exist"):
        publish_site(out, "s3://no-such-bucket/x", settings=s3_settings, progress=False)

    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    with pytest.raises(PublishError, match="refused the credentials"):
        publish_site(out, f"s3://{BUCKET}/x", settings=s3_settings, progress=False)

    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(PublishError, match="AWS_ACCESS_KEY_ID"):
        publish_site(out, f"s3://{BUCKET}/x", settings=s3_settings, progress=False)

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    closed = PublishSettings(endpoint_url="http://127.0.0.1:9", max_attempts=1, connect_timeout=1)
    with pytest.raises(UsageError, match="cannot reach"):
        publish_site(out, f"s3://{BUCKET}/x", settings=closed, progress=False)


class KillAfter:
    """Wraps a store: after ``limit`` uploads of site files, SIGKILL the server."""

    def __init__(self, inner: S3Store, weed: Weed, limit: int) -> None:
        self.inner = inner
        self.weed = weed
        self.limit = limit
        self.lock = threading.Lock()
        self.done: list[str] = []

    @property
    def description(self) -> str:
        return self.inner.description

    def read(self, key: str) -> object:
        return self.inner.read(key)

    def write(self, key: str, body: bytes, **headers: str) -> None:
        self.inner.write(key, body, **headers)
        if key.startswith(".inloop/"):
            return
        with self.lock:
            self.done.append(key)
            if len(self.done) == self.limit:
                self.weed.kill()

    def delete(self, key: str) -> None:
        self.inner.delete(key)


@pytest.mark.slow
def test_kill_the_server_mid_publish_then_rerun(weed: Weed, s3_settings: PublishSettings, tmp_path: Path) -> None:
    prefix = "site-crash"
    dest = f"s3://{BUCKET}/{prefix}"
    v1 = site_files(incidents=150, version="1")
    out = write_site(tmp_path / "site", v1)
    publish_site(out, dest, settings=s3_settings, progress=False)
    check_published(weed, prefix, v1)

    # Version 2 restyles every page (a new stylesheet name) and adds 150 incidents.
    v2 = site_files(incidents=300, version="2")
    write_site(out, v2)
    limit = 120  # well into the incident pages (about 310 uploads in all)
    store = KillAfter(S3Store(BUCKET, prefix + "/", make_s3_client(s3_settings)), weed, limit)
    with pytest.raises(PublishError, match="same command again"):
        publish_to_store(out, store, concurrency=8)  # type: ignore[arg-type]
    assert not weed.running()
    assert len(store.done) >= limit
    assert max(phase_of(k) for k in store.done) == Phase.EVENT_PAGES

    started = time.monotonic()
    weed.start()  # same folder, same ports
    restart = time.monotonic() - started
    keys = sorted(set(v1) | set(v2))
    present = read_all(keys, lambda k: _body(weed, f"{prefix}/{k}"))
    # Interrupted midway: some pages are new, the home page is still the old one...
    assert present["index.html"] == v1["index.html"]
    assert present["history/index.html"] == v1["history/index.html"]
    assert sum(present.get(k) == v2[k] for k in v2 if k.startswith("incidents/")) >= 50
    assert any(k not in present for k in v2)
    # ... and no page that is there links to an object that is not.
    assert broken_links(present) == []

    report = publish_site(out, dest, settings=s3_settings, progress=False)
    assert any("interrupted" in warning for warning in report.warnings)
    assert set(report.deleted) == set(v1) - set(v2)  # the old stylesheet
    check_published(weed, prefix, v2)
    for key in set(v1) - set(v2):
        assert weed.get(f"{prefix}/{key}")[0] == 404
    print(f"restart took {restart:.1f} s")
    assert restart < 60


def _body(weed: Weed, key: str) -> bytes | None:
    status, body, _ = weed.get(key)
    return body if status == 200 else None
