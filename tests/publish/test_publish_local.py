"""Publishing to a folder: the same engine as S3, without a server."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from inloop.errors import UsageError
from inloop.publish import MANIFEST_KEY, PENDING_KEY, PublishError, PublishSettings, publish_site
from inloop.publish.plan import Phase, phase_of
from inloop.publish.run import Progress, publish_to_store
from inloop.publish.stores import LocalStore, Stored

from .support import broken_links, site_files, write_site

SETTINGS = PublishSettings(concurrency=4)


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` but the manifest folder, by key."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.relative_to(root).as_posix().startswith(".inloop/")
    }


def manifest_keys(root: Path) -> list[str]:
    document = json.loads((root / MANIFEST_KEY).read_text())
    return [entry["key"] for entry in document["files"]]


def publish(out: Path, dest: Path, **options: bool) -> list[str]:
    report = publish_site(out, str(dest), settings=SETTINGS, progress=False, **options)
    return list(report.uploaded)


def test_first_publish_copies_everything_but_the_build_record(tmp_path: Path) -> None:
    files = site_files(incidents=3)
    out = write_site(tmp_path / "site", files)
    dest = tmp_path / "www"
    report = publish_site(out, str(dest), settings=SETTINGS, progress=False)
    assert sorted(report.uploaded) == sorted(files)
    assert report.deleted == () and report.unchanged == ()
    assert set(report.reasons.values()) == {"new"}
    assert tree(dest) == files  # no .inloop-build.json, no .inloop/notify-state.json
    assert manifest_keys(dest) == sorted(files)
    assert not (dest / PENDING_KEY).exists()
    assert report.lines()[-1] == f"Published to {dest}: {len(files)} uploaded, 0 deleted, 0 unchanged."
    # Web servers read the files as another user.
    assert (dest / "index.html").stat().st_mode & 0o777 == 0o644


def test_only_changes_go_up_and_stale_files_go(tmp_path: Path) -> None:
    files = site_files(incidents=3)
    out = write_site(tmp_path / "site", files)
    dest = tmp_path / "www"
    publish(out, dest)
    manifest = (dest / MANIFEST_KEY).read_bytes()

    again = publish_site(out, str(dest), settings=SETTINGS, progress=False)
    assert again.uploaded == () and again.deleted == () and not again.changed
    assert again.lines() == [f"{dest} is up to date: 0 uploaded, 0 deleted, {len(files)} unchanged."]
    assert (dest / MANIFEST_KEY).read_bytes() == manifest

    files["incidents/2026-11-0002-outage/index.html"] += b"<!-- edited -->"
    del files["incidents/2026-11-0003-outage/index.html"]
    write_site(out, files)
    report = publish_site(out, str(dest), settings=SETTINGS, progress=False)
    assert report.uploaded == ("incidents/2026-11-0002-outage/index.html",)
    assert report.reasons == {"incidents/2026-11-0002-outage/index.html": "changed"}
    assert report.deleted == ("incidents/2026-11-0003-outage/index.html",)
    assert tree(dest) == files
    assert not (dest / "incidents/2026-11-0003-outage").exists()  # emptied folders go too
    assert manifest_keys(dest) == sorted(files)


def test_full_repairs_what_was_changed_by_hand(tmp_path: Path) -> None:
    files = site_files(incidents=2)
    out = write_site(tmp_path / "site", files)
    dest = tmp_path / "www"
    publish(out, dest)
    (dest / "feed.xml").write_bytes(b"vandalised")
    (dest / "history/index.html").unlink()
    (dest / "unknown.txt").write_text("somebody else's")

    assert publish(out, dest) == []  # the manifest cannot see it
    report = publish_site(out, str(dest), full=True, settings=SETTINGS, progress=False)
    assert report.reasons == {"feed.xml": "differs", "history/index.html": "missing"}
    assert report.full and "every object checked" in report.lines()[-1]
    assert {k: v for k, v in tree(dest).items() if k != "unknown.txt"} == files
    assert (dest / "unknown.txt").exists()  # not ours: never deleted
    assert publish(out, dest, full=True) == []


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    files = site_files(incidents=2)
    out = write_site(tmp_path / "site", files)
    dest = tmp_path / "www"
    report = publish_site(out, str(dest), dry_run=True, settings=SETTINGS, progress=False)
    assert sorted(report.uploaded) == sorted(files)
    assert report.lines()[0].startswith("would upload  ")
    assert "nothing was written" in report.lines()[-1]
    assert not dest.exists()

    publish(out, dest)
    before = {p: p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    (out / "index.html").write_bytes(b"<p>new</p>")
    (out / "feed.json").unlink()
    (dest / "badge.svg").unlink()
    del before[dest / "badge.svg"]
    report = publish_site(out, str(dest), dry_run=True, full=True, settings=SETTINGS, progress=False)
    assert report.reasons == {"badge.svg": "missing", "index.html": "differs"}
    assert report.deleted == ("feed.json",)
    assert {p: p.read_bytes() for p in dest.rglob("*") if p.is_file()} == before


class Crash(Exception):
    pass


class CrashingStore(LocalStore):
    """A folder that fails every write after the first ``limit`` pages and assets."""

    def __init__(self, root: Path, limit: int) -> None:
        super().__init__(root)
        self.limit = limit
        self.writes: list[str] = []

    def write(self, key: str, body: bytes, **headers: str) -> None:
        if not key.startswith(".inloop/"):
            if len(self.writes) >= self.limit:
                raise PublishError(f"connection lost while writing {key}")
            self.writes.append(key)
        super().write(key, body, **headers)


def test_an_interrupted_publish_is_finished_by_a_rerun(tmp_path: Path) -> None:
    v1 = site_files(incidents=20, version="1")
    out = write_site(tmp_path / "site", v1)
    dest = tmp_path / "www"
    publish(out, dest)
    v2 = site_files(incidents=30, version="2")
    write_site(out, v2)

    store = CrashingStore(dest, limit=15)
    with pytest.raises(PublishError, match="same command again") as caught:
        publish_to_store(out, store, concurrency=1)
    assert "the manifest was not updated" in str(caught.value)
    assert isinstance(caught.value, UsageError)
    # With one thread, the writes went in phase order and stopped midway.
    phases = [phase_of(k) for k in store.writes]
    assert phases == sorted(phases) and phases[-1] == Phase.EVENT_PAGES
    present = tree(dest)
    assert present["index.html"] == v1["index.html"]  # the home page goes last
    assert broken_links(present) == []
    assert json.loads((dest / PENDING_KEY).read_text())["keys"]

    report = publish_site(out, str(dest), settings=SETTINGS, progress=False)
    assert any("interrupted" in w for w in report.warnings)
    assert tree(dest) == v2
    assert manifest_keys(dest) == sorted(v2)
    assert not (dest / PENDING_KEY).exists()


@pytest.mark.slow
def test_no_crash_point_leaves_a_page_linking_to_a_missing_object(tmp_path: Path) -> None:
    """Crash after each upload in turn: whatever is present links only to what is present.

    Version 2 restyles every page, adds incidents, a component whose new page
    the new incidents link to, and a history page that the previous last one
    links to: pages of early phases that link to new pages of later ones.
    """
    v1 = site_files(incidents=6, components=("api",), per_page=3, version="1")
    v2 = site_files(incidents=9, components=("api", "sms"), per_page=3, version="2")
    out = write_site(tmp_path / "site", v1)
    base = tmp_path / "v1"
    publish(out, base)
    write_site(out, v2)
    total = len(publish_site(out, str(base), dry_run=True, settings=SETTINGS).uploaded)
    assert total == len(v2)
    for limit in range(total):
        dest = tmp_path / f"crash-{limit}"
        shutil.copytree(base, dest)
        with pytest.raises(PublishError):
            publish_to_store(out, CrashingStore(dest, limit=limit), concurrency=1)
        present = tree(dest)
        assert broken_links(present) == [], f"crash after {limit} uploads"
        if limit == total - 1:
            assert present["index.html"] == v1["index.html"]
            publish(out, dest)
            assert tree(dest) == {**v2}
        shutil.rmtree(dest)


def test_a_rerun_after_a_crash_does_not_trust_the_old_manifest(tmp_path: Path) -> None:
    """A file put back to its old content after a crash still goes up again:
    the crashed run may have replaced the old object, and the old manifest would
    call it unchanged.  The pending record says it is not."""
    v1 = site_files(incidents=2, version="1")
    out = write_site(tmp_path / "site", v1)
    dest = tmp_path / "www"
    publish(out, dest)
    v2 = dict(v1, **{"feed.xml": b"<rss>v2</rss>", "history/index.html": b"<p>v2</p>"})
    write_site(out, v2)
    with pytest.raises(PublishError):
        publish_to_store(out, CrashingStore(dest, limit=1), concurrency=1)
    assert (dest / "feed.xml").read_bytes() == b"<rss>v2</rss>"
    write_site(out, v1)  # the author reverts
    report = publish_site(out, str(dest), settings=SETTINGS, progress=False)
    assert report.reasons == {"feed.xml": "unfinished", "history/index.html": "unfinished"}
    assert tree(dest) == v1


def test_a_crash_while_deleting_is_finished_too(tmp_path: Path) -> None:
    v1 = site_files(incidents=4)
    out = write_site(tmp_path / "site", v1)
    dest = tmp_path / "www"
    publish(out, dest)
    v2 = {k: v for k, v in v1.items() if "0003" not in k and "0004" not in k}
    write_site(out, v2)

    class FailingDeletes(LocalStore):
        def delete(self, key: str) -> None:
            if key.startswith("incidents/2026-11-0004"):
                raise PublishError("network down")
            super().delete(key)

    with pytest.raises(PublishError, match="deleting stale files"):
        publish_to_store(out, FailingDeletes(dest), concurrency=1)
    report = publish_site(out, str(dest), settings=SETTINGS, progress=False)
    assert report.uploaded == ()
    assert set(report.deleted) == {k for k in v1 if k not in v2}
    assert tree(dest) == v2 and manifest_keys(dest) == sorted(v2)


def test_an_unreadable_manifest_uploads_everything(tmp_path: Path) -> None:
    files = site_files()
    out = write_site(tmp_path / "site", files)
    dest = tmp_path / "www"
    publish(out, dest)
    (dest / MANIFEST_KEY).write_text("{broken")
    report = publish_site(out, str(dest), settings=SETTINGS, progress=False)
    assert sorted(report.uploaded) == sorted(files)
    assert any("unreadable" in w for w in report.warnings)
    assert manifest_keys(dest) == sorted(files)


def test_a_file_changed_during_the_publish_stops_it(tmp_path: Path) -> None:
    out = write_site(tmp_path / "site", site_files())
    dest = tmp_path / "www"

    class Meddling(LocalStore):
        def write(self, key: str, body: bytes, **headers: str) -> None:
            (out / "index.html").write_bytes(b"changed behind our back")
            super().write(key, body, **headers)

    with pytest.raises(UsageError, match="changed while publishing"):
        publish_to_store(out, Meddling(dest), concurrency=1)


def test_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="build the site first"):
        publish_site(tmp_path / "nope", str(tmp_path / "www"), settings=SETTINGS, progress=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".inloop-build.json").write_text("{}")
    with pytest.raises(UsageError, match="nothing to publish"):
        publish_site(empty, str(tmp_path / "www"), settings=SETTINGS, progress=False)
    with pytest.raises(UsageError, match="not a plain relative path"):
        LocalStore(tmp_path).write("../x", b"", content_type="", cache_control="", sha256="")


def test_progress_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = write_site(tmp_path / "site", site_files(incidents=2))
    publish_site(out, str(tmp_path / "www"), settings=SETTINGS, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "uploading assets: 2/2",
        "uploading feeds, API, badges, calendar: 6/6",
        "uploading incident and maintenance pages: 3/3",
        "uploading history and component pages: 2/2",
        "uploading home page: 2/2",
    ]

    stream = io.StringIO()
    bar = Progress(stream, tty=True)
    bar.start("uploading assets", 4)
    for _ in range(4):
        bar.advance()
    bar.finish()
    text = stream.getvalue()
    assert text.count("\r") == 5 and text.endswith("] 4/4\n")
    assert "[" + "#" * Progress.WIDTH + "]" in text


def test_read_gives_none_for_missing(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    assert store.read("a/b.html") is None
    store.write("a/b.html", b"x", content_type="text/html", cache_control="", sha256="")
    assert store.read("a/b.html") == Stored(b"x", None, None)
    assert store.read("a/b.html/c") is None
    store.delete("a/b.html")
    store.delete("a/b.html")
    assert not (tmp_path / "a").exists() and tmp_path.exists()
