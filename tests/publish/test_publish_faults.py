"""Publishing after a crash, with bad settings, and with a password in the endpoint URL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from inloop.cli.main import main
from inloop.publish import PublishError, PublishSettings, publish_site

from .support import site_files, write_site
from .test_publish_cli import NOW, example_site

SETTINGS = PublishSettings(concurrency=4)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dead_pid() -> int:
    """The id of a process that has just ended."""
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return child.pid


@pytest.fixture
def live_pid() -> Iterator[int]:
    """A process that is alive for the whole test (another publish, still writing)."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield child.pid
    finally:
        child.kill()
        child.wait()


def temporary_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob(".inloop-*.tmp"))


# -- temporary files of an interrupted folder publish --------------------------------------------------------


def test_the_next_publish_removes_what_a_killed_one_left(tmp_path: Path, live_pid: int) -> None:
    """Before: nothing ever removed the .inloop-*.tmp files of a publish killed mid-write."""
    out = write_site(tmp_path / "site", site_files(incidents=2))
    dest = tmp_path / "www"
    publish_site(out, str(dest), settings=SETTINGS, progress=False)
    dead = dead_pid()
    left = {
        f"incidents/.inloop-{dead}-k2j4h5g6.tmp": b"half a page",
        f".inloop-{dead}-a1b2c3d4.tmp": b"half the home page",
        ".inloop-x7y8z9w0.tmp": b"from an older inloop, which wrote no process id",
    }
    for key, body in left.items():
        (dest / key).write_bytes(body)
    running = dest / f".inloop-{live_pid}-q1w2e3r4.tmp"  # another publish, still writing
    running.write_bytes(b"in flight")
    (dest / "notes.tmp").write_bytes(b"not ours")
    report = publish_site(out, str(dest), settings=SETTINGS, progress=False)
    assert report.warnings == ("removed 3 temporary files left by an interrupted publish",)
    assert temporary_files(dest) == [running.name]
    assert (dest / "notes.tmp").read_bytes() == b"not ours"


def test_a_publish_killed_mid_write_is_cleaned_up_by_the_next(tmp_path: Path) -> None:
    """A folder store writing in another process, stopped and SIGKILLed while a temporary file exists."""
    dest = tmp_path / "www"
    dest.mkdir()
    script = (
        "import sys; from pathlib import Path; from inloop.publish.stores import LocalStore\n"
        "store = LocalStore(Path(sys.argv[1])); body = bytes(32 << 20)\n"
        "while True: store.write('big.bin', body, content_type='x', cache_control='x', sha256='x')\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(dest)])
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if temporary_files(dest):
                child.send_signal(signal.SIGSTOP)  # frozen: is it still mid-write?
                if temporary_files(dest):
                    break
                child.send_signal(signal.SIGCONT)
            time.sleep(0.001)
    finally:
        child.kill()
        child.wait()
    left = temporary_files(dest)
    assert len(left) == 1 and left[0].startswith(f".inloop-{child.pid}-")
    out = write_site(tmp_path / "site", site_files(incidents=1))
    report = publish_site(out, str(dest), settings=SETTINGS, progress=False)
    assert temporary_files(dest) == []
    assert report.warnings == ("removed 1 temporary file left by an interrupted publish",)


def test_a_failed_publish_removes_its_temporary_files(tmp_path: Path) -> None:
    out = write_site(tmp_path / "site", site_files(incidents=2))
    dest = tmp_path / "www"
    dest.mkdir()
    stale = dest / f".inloop-{dead_pid()}-m5n6b7v8.tmp"
    stale.write_bytes(b"half")
    (dest / "incidents").write_text("a file where a folder must go")
    with pytest.raises(PublishError, match="stopped while uploading"):
        publish_site(out, str(dest), settings=SETTINGS, progress=False)
    assert temporary_files(dest) == []


# -- settings are checked before anything is written ---------------------------------------------------------


def site_tree(site: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(site).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in (site / "site").rglob("*")
        if p.is_file()
    }


def test_a_bad_publish_setting_stops_before_the_build(tmp_path: Path) -> None:
    """Before: the site was built, then the message said 'the site was not changed'."""
    site = example_site(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["build", "--source", str(site), "--now", NOW]).exit_code == 0
    before = site_tree(site)
    (site / "content" / "incidents" / "2026-11-26-new.md").write_text(
        "---\ntitle: New\nimpact: minor\ncomponents: [api]\n---\n## 2026-11-26 10:00 UTC — Investigating\nLooking.\n"
    )
    with (site / "inloop.toml").open("a") as config:
        config.write('\n[publish]\nregion = "eu-central-1"\nconcurency = 4\n')
    dest = tmp_path / "public"
    result = runner.invoke(main, ["publish", str(dest), "--source", str(site), "--now", NOW])
    assert result.exit_code == 1
    line = (site / "inloop.toml").read_text().split("\n").index("concurency = 4") + 1
    assert result.output.splitlines() == [
        f"{site}/inloop.toml:{line}: [publish] concurency: unknown setting (known: endpoint_url, region, "
        "addressing_style, concurrency, max_attempts, connect_timeout, read_timeout)",
        "publish stopped: 1 error in inloop.toml; nothing was built, published or sent",
    ]
    assert site_tree(site) == before
    assert not dest.exists()


def test_a_bad_notify_setting_stops_publish_notify_before_the_build(tmp_path: Path) -> None:
    site = example_site(tmp_path, '\n[notify]\nmax_age_hours = "a day"\n')
    dest = tmp_path / "public"
    result = CliRunner().invoke(main, ["publish", str(dest), "--source", str(site), "--now", NOW, "--notify"])
    assert result.exit_code == 1
    line = (site / "inloop.toml").read_text().split("\n").index('max_age_hours = "a day"') + 1
    assert result.output.splitlines() == [
        f"{site}/inloop.toml:{line}: 'max_age_hours' must be a number",
        "publish stopped: 1 error in inloop.toml; nothing was built, published or sent",
    ]
    assert not (site / "site").exists() and not dest.exists()


def test_publish_notify_without_a_notify_table_stops_before_the_build(tmp_path: Path) -> None:
    site = example_site(tmp_path)
    result = CliRunner().invoke(main, ["publish", str(tmp_path / "d"), "--source", str(site), "--notify"])
    assert result.exit_code == 1
    assert result.output == (
        "error: --notify needs a [notify] table in inloop.toml: see the README's 'Notifications' section\n"
    )
    assert not (site / "site").exists()


# -- a password in the endpoint URL is never shown -----------------------------------------------------------


@pytest.fixture
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMIEXAMPLEKEY")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.usefixtures("fake_credentials")
def test_an_endpoint_password_is_never_echoed(tmp_path: Path) -> None:
    """Before: 'Could not connect to the endpoint URL: "http://admin:hunter2secret@127.0.0.1:.../..."'."""
    port = closed_port()
    endpoint = f"http://admin:hunter2secret@127.0.0.1:{port}"
    table = (
        f'\n[publish]\nendpoint_url = "{endpoint}"\nregion = "us-east-1"\naddressing_style = "path"\n'
        f'max_attempts = 1\nconnect_timeout = 1\n\n[notify]\nstate = "s3://status/.inloop/notify-state.json"\n'
    )
    site = example_site(tmp_path, table)
    runner = CliRunner()
    result = runner.invoke(main, ["publish", "s3://status/site", "--source", str(site), "--now", NOW])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"error: cannot reach s3://status/site at http://…@127.0.0.1:{port} (read .inloop/manifest.json): "
        f'Could not connect to the endpoint URL: "http://…@127.0.0.1:{port}/status/site/.inloop/manifest.json"'
    )
    result = runner.invoke(main, ["notify", "--source", str(site), "--now", NOW])
    assert result.exit_code == 1
    assert result.output.startswith("error: cannot use the notify state s3://status/.inloop/notify-state.json: ")
    assert f"http://…@127.0.0.1:{port}/" in result.output
    assert "hunter2secret" not in result.output and "admin:" not in result.output
