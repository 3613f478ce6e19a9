"""``inloop publish``: build, then publish the example site, to a folder and to real S3."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from inloop.cli.main import main
from inloop.errors import UsageError

from .seaweed import BUCKET, REGION, Weed

REPO = Path(__file__).resolve().parents[2]
NOW = "2026-11-26 12:00 UTC"


def example_site(tmp_path: Path, publish_table: str = "") -> Path:
    site = tmp_path / "example"
    site.mkdir()
    shutil.copy(REPO / "inloop.toml", site / "inloop.toml")
    shutil.copytree(REPO / "content", site / "content")
    shutil.copytree(REPO / "templates", site / "templates")
    if publish_table:
        with (site / "inloop.toml").open("a") as config:
            config.write(publish_table)
    return site


def test_publish_to_a_folder_builds_first_and_uploads_only_changes(tmp_path: Path) -> None:
    site = example_site(tmp_path)
    dest = tmp_path / "public"
    runner = CliRunner()
    first = runner.invoke(main, ["publish", str(dest), "--source", str(site), "--now", NOW])
    assert first.exit_code == 0, first.output
    built = {p.relative_to(site / "site").as_posix() for p in (site / "site").rglob("*") if p.is_file()}
    built.discard(".inloop-build.json")
    published = {p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file() and ".inloop" not in p.parts}
    assert published == built
    for name in published:
        assert (dest / name).read_bytes() == (site / "site" / name).read_bytes()
    second = runner.invoke(main, ["publish", str(dest), "--source", str(site), "--now", NOW])
    assert second.exit_code == 0
    assert "0 uploaded, 0 deleted" in second.output


def test_publish_refuses_a_broken_site_and_uploads_nothing(tmp_path: Path) -> None:
    site = example_site(tmp_path)
    bad = site / "content" / "incidents" / "broken.md"
    bad.write_text("---\ntitle: Broken\n---\n")
    dest = tmp_path / "public"
    result = CliRunner().invoke(main, ["publish", str(dest), "--source", str(site), "--now", NOW])
    assert result.exit_code == 1
    assert f"{site}/content/incidents/broken.md:1: missing required key 'impact'" in result.output
    assert not dest.exists()


def test_bad_publish_setting_is_a_path_line_error(tmp_path: Path) -> None:
    site = example_site(tmp_path, '\n[publish]\nsecret_access_key = "nope"\n')
    result = CliRunner().invoke(main, ["publish", str(tmp_path / "d"), "--source", str(site), "--now", NOW])
    assert result.exit_code == 1
    line = (site / "inloop.toml").read_text().split("\n").index('secret_access_key = "nope"') + 1
    assert f"{site}/inloop.toml:{line}: [publish] secret_access_key: credentials are read only" in result.output


def test_publish_example_site_to_s3_and_notify_with_state_in_the_bucket(tmp_path: Path, weed: Weed) -> None:
    table = (
        f'\n[publish]\nendpoint_url = "{weed.endpoint}"\nregion = "{REGION}"\naddressing_style = "path"\n'
        f'\n[notify]\nstate = "s3://{BUCKET}/cli-test/.inloop/notify-state.json"\n'
    )
    site = example_site(tmp_path, table)
    runner = CliRunner()
    dest = f"s3://{BUCKET}/cli-test"
    result = runner.invoke(main, ["publish", dest, "--source", str(site), "--now", NOW, "--notify"])
    assert result.exit_code == 0, result.output
    assert "first run: recorded" in result.output
    status, body, headers = weed.get("cli-test/index.html")
    assert status == 200 and body == (site / "site" / "index.html").read_bytes()
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    status, body, headers = weed.get("cli-test/feed.xml")
    assert headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert headers["Cache-Control"] == "public, max-age=60, stale-if-error=86400"
    status, body, _ = weed.get("cli-test/.inloop/notify-state.json")
    assert status == 200 and json.loads(body)["version"] == 1
    status, _, _ = weed.get("cli-test/.inloop/notify-state.json.lock")
    assert status == 404  # released


def test_the_s3_notify_state_reads_the_credentials_of_the_environment_each_time(
    weed: Weed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """boto3's default session keeps the first credentials it saw: a store made later must not use them."""
    from inloop.notify.state import S3Store

    url = f"s3://{BUCKET}/credentials-test/notify-state.json"
    real = os.environ["AWS_ACCESS_KEY_ID"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDSTALEEXAMPLE")
    with pytest.raises(UsageError, match="cannot use the notify state"):
        S3Store(url, weed.endpoint, REGION).load()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", real)
    assert S3Store(url, weed.endpoint, REGION).load() is None  # nothing stored yet, and no error
