"""No orphans (issue 21): a build's forked worker ends at once when the build is killed.

After ``kill -9`` of ``inloop build``, its worker blocked for ever writing to
its pipe, holding the caller's stdout open, so that ``inloop build | cat``
never ended.  A worker now dies with its parent (the parent-death signal,
and a pipe no one else can read) and lets go of the caller's stdout.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bench_support import generated_site

from inloop.build.parallel import available_cores

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
NOW_TEXT = "2026-11-26 12:00 UTC"
INLOOP = [sys.executable, "-c", "import sys; from inloop.cli.main import main; sys.exit(main())"]
#: Enough incidents that a cold build forks its workers and runs a few seconds.
INCIDENTS = 400

pytestmark = [
    pytest.mark.skipif(available_cores() < 2, reason="a build forks no worker on one core"),
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc"),
    pytest.mark.timeout(120),
    pytest.mark.slow,  # builds of 400 incidents, killed and waited for
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_site(tmp_path_factory, INCIDENTS, 4, NOW)


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a parent to reap it counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Build:
    """``inloop build`` of ``source`` with both pipes read to the end in threads, as ``| cat`` would."""

    def __init__(self, source: Path, output: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
        self.process = subprocess.Popen(
            [*INLOOP, "build", "-s", str(source), "-o", str(output), "--no-cache", "--now", NOW_TEXT],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.ended: dict[str, bytes] = {}
        self.readers = [
            threading.Thread(target=self._read, args=(name, stream), daemon=True)
            for name, stream in (("stdout", self.process.stdout), ("stderr", self.process.stderr))
        ]
        for reader in self.readers:
            reader.start()
        self.workers: list[int] = []

    def _read(self, name: str, stream: Any) -> None:
        self.ended[name] = stream.read()

    def first_worker(self) -> float:
        """Wait until the build has forked a worker; when that was (time.monotonic)."""
        deadline = time.monotonic() + 60
        while not (found := children(self.process.pid)):
            assert self.process.poll() is None, "the build ended before it forked a worker"
            assert time.monotonic() < deadline, "the build forked no worker"
            time.sleep(0.002)
        self.workers = found
        return time.monotonic()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid in self.workers:  # orphans this test made: end them, or nothing can read the pipes to the end
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        for reader in self.readers:
            reader.join(timeout=5)
        if not any(reader.is_alive() for reader in self.readers):
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()


@pytest.fixture(scope="module")
def working_seconds(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> float:
    """How long a whole build runs after its first worker appears, on this machine now."""
    build = Build(generated, tmp_path_factory.mktemp("whole") / "out")
    try:
        started = build.first_worker()
        assert build.process.wait(60) == 0
        return time.monotonic() - started
    finally:
        build.close()


@pytest.mark.parametrize("part", [0.0, 0.3, 0.6])
def test_killing_the_build_ends_its_worker_and_closes_the_callers_pipe(
    generated: Path, tmp_path: Path, working_seconds: float, part: float
) -> None:
    """``inloop build | cat``: SIGKILL the build mid-way; the worker is gone within a second, cat sees EOF.

    ``part``: how far into its work (after the first worker appears) the build
    is killed: while parsing, rendering or writing.  A build that finished
    first (the machine was quicker than measured) is tried again, earlier.
    """
    for attempt in range(4):
        build = Build(generated, tmp_path / f"out-{attempt}")
        try:
            build.first_worker()
            time.sleep(part * working_seconds / (2**attempt))
            build.workers = children(build.process.pid) or build.workers
            if build.process.poll() is not None:
                continue  # too late: it had finished
            os.kill(build.process.pid, signal.SIGKILL)
            assert build.process.wait(10) == -signal.SIGKILL
            killed = time.monotonic()
            while any(alive(pid) for pid in build.workers) and time.monotonic() < killed + 1.0:
                time.sleep(0.01)
            assert [pid for pid in build.workers if alive(pid)] == []
            for reader in build.readers:
                reader.join(timeout=max(0.0, killed + 2.0 - time.monotonic()))
            assert sorted(build.ended) == ["stderr", "stdout"]  # both pipes read to the end: no process holds them
            assert b"Traceback" not in build.ended["stderr"]
            return
        finally:
            build.close()
    pytest.fail("every build finished before it could be killed")


#: A parent forking workers for slow items, without Linux's parent-death signal: the fallback's turn.
WITHOUT_THE_SIGNAL = """
import time
import inloop.build.parallel as parallel
parallel._parent_death_signal = lambda signum: False
def slow(item):
    time.sleep(0.02)
    return item
print(len(parallel.fork_map(slow, list(range(5000)))), flush=True)
"""


def test_without_the_parent_death_signal_a_worker_still_notices() -> None:
    parent = subprocess.Popen([sys.executable, "-c", WITHOUT_THE_SIGNAL], stdout=subprocess.PIPE)
    assert parent.stdout is not None
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 30
        while not (workers := children(parent.pid)):
            assert parent.poll() is None and time.monotonic() < deadline, "no worker was forked"
            time.sleep(0.002)
        time.sleep(0.2)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        killed = time.monotonic()
        while any(alive(pid) for pid in workers) and time.monotonic() < killed + 1.0:
            time.sleep(0.01)
        assert [pid for pid in workers if alive(pid)] == []
        assert parent.stdout.read() == b""  # the end of the pipe: no worker holds it
    finally:
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        parent.stdout.close()
