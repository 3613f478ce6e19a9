"""SeaweedFS from PyPI, run on 127.0.0.1 for the publish tests.

Notes on SeaweedFS 4.x that shape this fixture:

- every HTTP port also has a gRPC port at +10000, so ports are picked below
  55000 and both must be free;
- ``-s3.port.iceberg=0 -s3.port.lance=0`` keep it off 8181 and 9101, and the
  metrics port stays off unless ``-metricsPort`` is given, so parallel runs
  do not clash;
- it ignores SIGTERM for a long time: it is stopped with SIGKILL by its PID,
  and dies with the test process (``PR_SET_PDEATHSIG``) if that is killed;
- after a (re)start it takes a few seconds (up to about 20 after a crash)
  before it accepts writes: :meth:`Weed.wait_ready` polls with a real write;
- the bucket allows anonymous reads, so tests read objects with plain urllib;
- a new bucket takes 7 volumes by default and its first write waits for them:
  a ``master.toml`` in its working folder makes that one, and
  ``-master.electionTimeout=1s`` brings a restart from about 14 s to about 4 s
  (the master waits that long to elect itself again).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import quote

ACCESS_KEY = "inloop-test-key"
SECRET_KEY = "inloop-test-secret"
BUCKET = "status"
REGION = "us-east-1"


def weed_binary() -> str | None:
    candidates = [
        Path(sysconfig.get_path("scripts")) / "weed",
        Path(sys.executable).parent / "weed",
    ]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("weed")


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _pick_ports(count: int) -> list[int]:
    """``count`` ports below 45000 whose gRPC twins (+10000) are free too."""
    chosen: list[int] = []
    rng = random.Random()
    while len(chosen) < count:
        port = rng.randrange(20000, 45000)
        taken = {p for c in chosen for p in (c, c + 10000)}
        if port in taken or port + 10000 in taken:
            continue
        if _free(port) and _free(port + 10000):
            chosen.append(port)
    return chosen


def _die_with_parent() -> None:
    """In the child: SIGKILL when the test process dies, even killed (Linux prctl)."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)


class Weed:
    """One ``weed server`` (master, volume, filer, S3) on 127.0.0.1."""

    def __init__(self, binary: str, root: Path) -> None:
        self.binary = binary
        self.root = root
        self.data = root / "data"
        self.data.mkdir()
        self.master, self.volume, self.filer, self.s3 = _pick_ports(4)
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        config = {
            "identities": [
                {"name": "anonymous", "actions": ["Read"]},
                {
                    "name": "inloop-tests",
                    "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                },
            ]
        }
        self.config = root / "s3.json"
        self.config.write_text(json.dumps(config))
        # weed reads master.toml from its working folder: one volume per bucket
        # instead of 7 makes the first write seconds faster.
        (root / "master.toml").write_text("[master.volume_growth]\ncopy_1 = 1\n")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3}"

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None
        self.starts += 1
        log = (self.root / f"weed-{self.starts}.log").open("wb")
        with log:
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "server",
                    f"-dir={self.data}",
                    "-ip=127.0.0.1",
                    "-ip.bind=127.0.0.1",
                    f"-master.port={self.master}",
                    f"-volume.port={self.volume}",
                    f"-filer.port={self.filer}",
                    "-s3",
                    f"-s3.port={self.s3}",
                    "-s3.port.iceberg=0",
                    "-s3.port.lance=0",
                    f"-s3.config={self.config}",
                    "-master.telemetry=false",
                    "-master.volumeSizeLimitMB=64",
                    "-volume.max=64",
                    "-master.electionTimeout=1s",
                ],
                cwd=self.root,
                preexec_fn=_die_with_parent,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_ready()

    def kill(self) -> None:
        """SIGKILL by PID: SeaweedFS ignores SIGTERM for a long time."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def client(self, *, timeout: float = 10.0) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(
                retries={"max_attempts": 1},
                connect_timeout=1,
                read_timeout=timeout,
                s3={"addressing_style": "path"},
            ),
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Poll until a write to the bucket succeeds (creating it on the first start)."""
        client = self.client(timeout=3)
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"weed exited with {self.process.returncode}; see {self.root}")
            try:
                try:
                    client.create_bucket(Bucket=BUCKET)
                except client.exceptions.BucketAlreadyOwnedByYou:
                    pass
                except client.exceptions.BucketAlreadyExists:
                    pass
                client.put_object(Bucket=BUCKET, Key="ready/probe", Body=b"ok")
                return
            except Exception as exc:
                last = exc
                time.sleep(0.2)
        raise RuntimeError(f"SeaweedFS did not accept writes within {timeout} s: {last}")

    def url(self, key: str) -> str:
        return f"{self.endpoint}/{BUCKET}/{quote(key)}"

    def get(self, key: str) -> tuple[int, bytes, Message]:
        """An object over plain anonymous HTTP: status, body, headers (any case)."""
        try:
            with urllib.request.urlopen(self.url(key), timeout=10) as answer:
                return answer.status, answer.read(), answer.headers
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, exc.read(), exc.headers

    def remove_sockets(self) -> None:
        """The unix sockets weed leaves in /tmp, named by our ports."""
        for port in (self.master, self.volume, self.filer, self.s3):
            for grpc in (port, port + 10000):
                for path in Path("/tmp").glob(f"seaweedfs-*-{grpc}.sock"):
                    path.unlink(missing_ok=True)
