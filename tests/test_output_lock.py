"""One build at a time per output folder (issue 21): real ``inloop`` processes, side by side.

Builds that ran at once shared their temporary and staging names: one ended
in a ``FileExistsError`` traceback, another exited 0 with pages missing.  Now
``build`` and ``publish`` hold a lock on the output folder; a second one waits
(and says for whom), or with ``--no-wait`` exits 1 naming the holder.  Every
build that exits 0 must leave the complete site, byte for byte a clean build's.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bench_support import generated_site, tree

from inloop.build.lock import OutputLock, lock_path, output_lock

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
NOW_TEXT = "2026-11-26 12:00 UTC"
#: Enough incidents for a build to fork its workers (parallel.MIN_PARALLEL_ITEMS) and take a while.
INCIDENTS = 100
WAIT = 60.0
#: Builds started at once; more for a longer run (docs/notes/dev.md): INLOOP_STRESS_BUILDS=12.
BUILDS = int(os.environ.get("INLOOP_STRESS_BUILDS", "3"))
WAITING = re.compile(r"waiting for the build of (.+) by pid (\d+) \((inloop \w+)\) to finish")

pytestmark = pytest.mark.timeout(120 + 30 * BUILDS)


def command(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from inloop.cli.main import main; sys.exit(main())", *args]


def start_build(source: Path, output: Path, *extra: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    return subprocess.Popen(
        command("build", "--source", str(source), "--output", str(output), "--now", NOW_TEXT, *extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def differences(expected: dict[str, bytes], actual: dict[str, bytes]) -> tuple[list[str], list[str], list[str]]:
    """(missing, extra, differing) file names: all three empty when the sites are the same."""
    return (
        sorted(set(expected) - set(actual)),
        sorted(set(actual) - set(expected)),
        sorted(name for name in set(expected) & set(actual) if expected[name] != actual[name]),
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_site(tmp_path_factory, INCIDENTS, 21, NOW)


@pytest.fixture(scope="module")
def clean(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """What a build alone makes of ``generated``."""
    output = tmp_path_factory.mktemp("clean") / "out"
    build = start_build(generated, output, "--no-cache")
    _, stderr = build.communicate(timeout=WAIT)
    assert (build.returncode, stderr) == (0, "")
    return tree(output)


@pytest.fixture
def source(generated: Path, tmp_path: Path) -> Path:
    """A copy of the generated site's sources, without a build cache."""
    return Path(shutil.copytree(generated, tmp_path / "source", ignore=shutil.ignore_patterns(".inloop-cache", "site")))


class Holder:
    """Another process holding an output folder's lock, as ``inloop COMMAND`` would, until released."""

    def __init__(self, output: Path, command: str) -> None:
        code = (
            "import sys; from pathlib import Path; from inloop.build.lock import output_lock\n"
            f"with output_lock(Path({str(output)!r}), {command!r}):\n"
            "    print('held', flush=True); sys.stdin.read()\n"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline() == "held\n"

    @property
    def pid(self) -> int:
        return self.process.pid

    def release(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait(WAIT) == 0
        self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


@pytest.fixture
def holders() -> Iterator[list[Holder]]:
    made: list[Holder] = []
    yield made
    for holder in made:
        holder.close()


@pytest.mark.parametrize(
    "cache",
    # three whole builds of 100 incidents at once, twice: the quick run keeps the one that shares a cache too
    [pytest.param("--no-cache", marks=pytest.mark.slow), "with its cache"],
)
def test_builds_at_once_each_leave_the_complete_site(
    source: Path, clean: dict[str, bytes], tmp_path: Path, cache: str
) -> None:
    output = tmp_path / "out"
    extra = [cache] if cache.startswith("--") else []
    running = [start_build(source, output, *extra) for _ in range(BUILDS)]
    deadline = time.monotonic() + WAIT * BUILDS
    while running:
        assert time.monotonic() < deadline, "the builds did not finish"
        for build in [b for b in running if b.poll() is not None]:
            running.remove(build)
            stdout, stderr = build.communicate()
            assert build.returncode == 0, stderr
            assert [line for line in stderr.splitlines() if not WAITING.fullmatch(line)] == []
            assert stdout.startswith("built ")
            # the site as this build left it: another one may be writing now, so wait for its lock
            with output_lock(output, "the test"):
                assert differences(clean, tree(output)) == ([], [], [])
        time.sleep(0.01)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "source"]  # no lock, staging or temporary left


def test_a_second_build_waits_and_says_for_whom(source: Path, clean: dict[str, bytes], holders: list[Holder]) -> None:
    output = source / "site"
    holders.append(holder := Holder(output, "inloop serve"))
    build = start_build(source, output)
    assert build.stderr is not None
    line = build.stderr.readline().rstrip("\n")
    assert line == f"waiting for the build of {source}/site/ by pid {holder.pid} (inloop serve) to finish"
    time.sleep(0.3)
    assert build.poll() is None and not output.exists()  # still waiting: nothing written
    holder.release()
    _, stderr = build.communicate(timeout=WAIT)
    assert (build.returncode, stderr) == (0, "")
    assert differences(clean, tree(output)) == ([], [], [])


def test_no_wait_exits_1_naming_the_holder(source: Path, holders: list[Holder], tmp_path: Path) -> None:
    output = tmp_path / "public"
    holders.append(holder := Holder(output, "inloop build"))
    build = subprocess.run(
        command("build", "--source", str(source), "--output", "public", "--now", NOW_TEXT, "--no-wait"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert (build.returncode, build.stdout) == (1, "")
    assert build.stderr.splitlines() == [
        f"error: public/ is being built by pid {holder.pid} (inloop build); "
        "try again when it has finished, or leave out --no-wait to wait"
    ]
    assert not output.exists()


def test_publish_holds_the_lock_too(source: Path, holders: list[Holder], tmp_path: Path) -> None:
    holders.append(holder := Holder(source / "site", "inloop watch"))
    publish = subprocess.run(
        command("publish", str(tmp_path / "dest"), "--source", str(source), "--now", NOW_TEXT, "--no-wait"),
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert publish.returncode == 1
    assert f"is being built by pid {holder.pid} (inloop watch)" in publish.stderr
    assert not (tmp_path / "dest").exists() and not (source / "site").exists()


def test_a_killed_holder_leaves_no_lock(source: Path, clean: dict[str, bytes], holders: list[Holder]) -> None:
    """kill -9 of the holder: its lock file may stay, but it holds nothing; the next build goes ahead at once."""
    output = source / "site"
    holders.append(holder := Holder(output, "inloop build"))
    os.kill(holder.pid, signal.SIGKILL)
    holder.process.wait(WAIT)
    assert lock_path(output).exists()  # left behind, as a killed process leaves it
    build = start_build(source, output, "--no-wait")
    _, stderr = build.communicate(timeout=WAIT)
    assert (build.returncode, stderr) == (0, "")
    assert differences(clean, tree(output)) == ([], [], [])
    assert not lock_path(output).exists()


def test_the_lock_is_beside_the_real_output_folder(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert lock_path(tmp_path / "link") == lock_path(tmp_path / "real") == tmp_path / ".real.inloop-lock"
    with output_lock(tmp_path / "link", "inloop build"):
        assert (tmp_path / ".real.inloop-lock").read_text() == f"{os.getpid()} inloop build\n"
    assert not (tmp_path / ".real.inloop-lock").exists()


def test_a_lock_held_again_knows_whether_another_process_held_it_between(tmp_path: Path) -> None:
    """What lets ``serve`` trust its memory of the output folder, or not (then it compares every file)."""
    output = tmp_path / "site"
    lock = OutputLock(output, "inloop serve", again=True)
    with lock.held() as elsewhere:
        assert elsewhere is True  # the first time: nothing is known
    with lock.held() as elsewhere:
        assert elsewhere is False
    Holder(output, "inloop build").release()
    with lock.held() as elsewhere:
        assert elsewhere is True
    with lock.held() as elsewhere:
        assert elsewhere is False
    assert lock_path(output).read_text() == f"{os.getpid()} inloop serve\n"  # left for the next time


def test_a_lock_makes_the_folder_for_its_file_and_removes_it_if_nothing_was_built(tmp_path: Path) -> None:
    with output_lock(tmp_path / "new" / "deeper" / "site", "inloop build"):
        assert (tmp_path / "new" / "deeper" / ".site.inloop-lock").is_file()
    assert list(tmp_path.iterdir()) == []  # a build that failed leaves no folder behind
    with output_lock(tmp_path / "new" / "site", "inloop build"):
        (tmp_path / "new" / "site").mkdir()
    assert [p.name for p in tmp_path.rglob("*")] == ["new", "site"]  # a build that wrote keeps them
