"""What the watcher and server tests share: sites, fresh builds, editors' saves, running watchers.

Fixtures live in ``conftest.py``; the classes and functions they hand out live
here, so that tests can also name them in type hints.  Every wait has a
timeout and polls or blocks on an event: no test sleeps for a fixed time.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from inloop.build.builder import Builder, BuildReport
from inloop.build.cache import CACHE_DIR
from inloop.cli.main import main
from inloop.dev.watch import RebuildOutcome, Watcher

REPO = Path(__file__).resolve().parents[2]

#: The build time the example site is written for.
NOW_TEXT = "2026-11-26 12:00 UTC"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

#: watchdog warns (from its own thread) when `mkdir -p` registers a folder twice; harmless.
WATCHDOG_REREGISTERS = pytest.mark.filterwarnings("ignore:Callback with id:RuntimeWarning")

#: The longest any one wait may take before a test fails (a rebuild takes well under a second).
WAIT = 15.0

#: What the example site is made of, copied from the repository (its output, caches and the
#: repository's own files are not).
SOURCE_PARTS = ("inloop.toml", "content", "templates", "static", "locale")

#: What a copy of a watched source leaves out: its output and its build cache.
NOT_SOURCE = ("site", CACHE_DIR)

#: The example's incidents that the tests edit: a resolved one and the open one.
RESOLVED_ID = "2026-09-15-api-latency"
OPEN_ID = "2026-11-26-search-failures"


# -- sites and builds ------------------------------------------------------------------------------


def copy_source(source: Path, target: Path, parts: Iterable[str] = SOURCE_PARTS) -> Path:
    """Copy ``parts`` of a status site (all of each, hidden files too) to ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for part in parts:
        path = source / part
        if path.is_file() or (path.is_symlink() and not path.is_dir()):
            shutil.copy2(path, target / part, follow_symlinks=False)
        elif path.is_dir():
            shutil.copytree(path, target / part, symlinks=not path.is_symlink())
    return target


def source_parts(source: Path) -> list[str]:
    """Everything at the top of a watched source but its output and cache: what a full build sees."""
    return sorted(entry.name for entry in source.iterdir() if entry.name not in NOT_SOURCE)


def copy_example(target: Path, warm_from: Path | None = None) -> Path:
    """A fresh copy of the repository's example site (inloop.toml, content/, templates/).

    With ``warm_from`` (an example built once), its persistent build cache is
    copied too, so that the first build is quick; the output is not copied.
    """
    copy_source(REPO, target)
    if warm_from is not None and (warm_from / CACHE_DIR).is_dir():
        shutil.copytree(warm_from / CACHE_DIR, target / CACHE_DIR)
    return target


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder``, hidden ones too, as {relative path: bytes}."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()
    }


def tree_with_times(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file below ``folder`` with its mtime in ns: what "untouched" means."""
    return {path: (data, (folder / path).stat().st_mtime_ns) for path, data in tree(folder).items()}


def run_build(source: Path, output: Path, now: str = NOW_TEXT) -> tuple[int, str, str]:
    """``inloop build`` in this process: (exit status, stdout, stderr)."""
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["build", "--source", str(source), "--output", str(output), "--now", now],
        env={"SOURCE_DATE_EPOCH": None},
        catch_exceptions=False,
    )
    return result.exit_code, result.stdout, result.stderr


def inputs_digest(source: Path) -> str:
    """A hash of every file of ``source`` a full build may see (names, bytes, symlinks)."""
    digest = hashlib.sha256()
    for part in source_parts(source):
        root = source / part
        files = [root] if not root.is_dir() else sorted(p for p in root.rglob("*") if not p.is_dir())
        for path in files:
            data = os.readlink(path).encode() if path.is_symlink() and not path.exists() else path.read_bytes()
            digest.update(path.relative_to(source).as_posix().encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


#: Fresh builds already made, by the digest of their inputs and the build time: the same
#: input bytes give the same output (determinism is tested on its own), so one is enough.
_FRESH: dict[tuple[str, str], Path] = {}


def fresh_build(source: Path, now: str = NOW_TEXT) -> Path:
    """A full ``inloop build`` of a copy of ``source`` (but its output and cache) in a new folder."""
    key = (inputs_digest(source), now)
    if key in _FRESH and _FRESH[key].is_dir():
        return _FRESH[key]
    work = Path(tempfile.mkdtemp(prefix="fresh-build-", dir=source.parent))
    copy = copy_source(source, work / "source", source_parts(source))
    output = work / "site"
    status, _, stderr = run_build(copy, output, now)
    assert status == 0, f"a fresh build of the same sources fails:\n{stderr}"
    _FRESH[key] = output
    return output


def assert_same_site(site: Path, source: Path, now: str = NOW_TEXT) -> None:
    """``site`` holds, byte for byte, what a fresh full build of ``source`` gives (its record too)."""
    expected = tree(fresh_build(source, now))
    actual = tree(site)
    assert ".inloop-build.json" in expected
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    differing = sorted(path for path in set(expected) & set(actual) if expected[path] != actual[path])
    assert (missing, extra, differing) == ([], [], []), "the watched site differs from a fresh build"


def wait_until(condition: Callable[[], object], what: str, timeout: float = WAIT) -> None:
    """Poll ``condition`` every few ms until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.005)


# -- editors' saves ---------------------------------------------------------------------------------


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as stream:
        stream.write(text)


def save_in_place(path: Path, text: str) -> None:
    """Truncate and write the same file (nano, VS Code's default, ``>``)."""
    write(path, text)


def save_vim(path: Path, text: str) -> None:
    """Vim with ``writebackup``: swap file, the ``4913`` probe, ``x~`` backup by rename, new file."""
    folder = path.parent
    swap = folder / f".{path.name}.swp"
    swap.write_bytes(b"b0VIM 9.0\0swap")
    probe = folder / "4913"
    probe.write_bytes(b"")
    probe.unlink()
    backup = folder / f"{path.name}~"
    if path.exists():
        os.rename(path, backup)
    write(path, text)
    backup.unlink(missing_ok=True)
    swap.write_bytes(b"b0VIM 9.0\0swap, saved")
    swap.unlink()


def save_jetbrains(path: Path, text: str) -> None:
    """JetBrains "safe write": ``x___jb_tmp___``, old file to ``x___jb_old___``, temp to ``x``."""
    temp = path.with_name(path.name + "___jb_tmp___")
    old = path.with_name(path.name + "___jb_old___")
    write(temp, text)
    if path.exists():
        os.rename(path, old)
    os.rename(temp, path)
    old.unlink(missing_ok=True)


def save_vscode(path: Path, text: str) -> None:
    """VS Code's atomic save: a temp file beside the target (``x.vsctmp``), then rename over it."""
    temp = path.with_name(path.name + ".vsctmp")
    write(temp, text)
    os.replace(temp, path)


def save_emacs(path: Path, text: str) -> None:
    """Emacs: lock link ``.#x``, auto-save ``#x#``, backup ``x~`` by rename, new file."""
    folder = path.parent
    lock = folder / f".#{path.name}"
    os.symlink("ops@host.1234:1700000000", lock)
    autosave = folder / f"#{path.name}#"
    autosave.write_text(text, encoding="utf-8")
    backup = folder / f"{path.name}~"
    if path.exists():
        os.rename(path, backup)
    write(path, text)
    autosave.unlink()
    lock.unlink()


def save_recreate(path: Path, text: str) -> None:
    """Delete the file, then write it anew."""
    path.unlink()
    write(path, text)


SAVES: dict[str, Callable[[Path, str], None]] = {
    "in place": save_in_place,
    "vim": save_vim,
    "jetbrains": save_jetbrains,
    "vscode": save_vscode,
    "emacs": save_emacs,
    "delete and recreate": save_recreate,
}


def incident(day: str, title: str, *, component: str = "api", text: str = "It works again.") -> str:
    """A small resolved incident on ``day`` (YYYY-MM-DD, before the example's build time)."""
    return (
        f"---\ntitle: {title}\nimpact: minor\ncomponents:\n  {component}: degraded_performance\n---\n"
        f"## {day} 09:00 UTC — Investigating\nWe are looking into it.\n\n"
        f"## {day} 09:30 UTC — Resolved\n{text}\n"
    )


# -- the watcher, driven directly ------------------------------------------------------------------


class GatedBuilder(Builder):
    """A :class:`Builder` that can be held at the start of a build, to change files during it."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.open = threading.Event()
        self.open.set()
        self.entered = threading.Event()
        #: The ``changed`` paths each build was given (None: look at every file).
        self.hints: list[list[str] | None] = []

    def build(self, now: datetime, changed: Collection[str] | None = None) -> BuildReport:
        self.entered.set()
        assert self.open.wait(WAIT), "the test never let the held build go on"
        self.hints.append(None if changed is None else list(changed))
        return super().build(now, changed)


class WatchSession:
    """A :class:`Watcher` on ``source``, run in a thread; its outcomes land in a queue."""

    def __init__(
        self,
        source: Path,
        *,
        now: Callable[[], datetime] = lambda: NOW,
        follow_clock: bool = False,
        builder: Builder | None = None,
    ) -> None:
        self.source = source
        if builder is None:
            builder = GatedBuilder(source, source / "site", shown_source=str(source))
        self.builder = builder
        self.output = self.builder.output
        self.outcomes: queue.Queue[RebuildOutcome] = queue.Queue()
        self.watcher = Watcher(self.builder, now, follow_clock=follow_clock, on_rebuild=self.outcomes.put)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.watcher.run, args=(self.stop_event,), name="test-watch", daemon=True)

    @property
    def gate(self) -> GatedBuilder:
        assert isinstance(self.builder, GatedBuilder)
        return self.builder

    def start(self) -> RebuildOutcome:
        """Watch, then build once (as ``inloop watch`` does); the first outcome."""
        self.watcher.start()
        self.thread.start()
        return self.next()

    def next(self, timeout: float = WAIT) -> RebuildOutcome:
        try:
            return self.outcomes.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no rebuild within {timeout:.0f} s") from None

    def path(self, relative: str) -> str:
        """How the watcher names a changed path: the source as given, joined with the file's path."""
        return os.path.normpath(os.path.join(str(self.source), relative))

    def expect(self, *relative: str, ok: bool = True) -> RebuildOutcome:
        """The next rebuild names exactly these changed paths, and succeeds (or fails)."""
        outcome = self.next()
        assert sorted(outcome.changed) == sorted(self.path(r) for r in relative)
        assert len(outcome.changed) == len(set(outcome.changed)), "a path is named twice"
        assert outcome.ok is ok, outcome.problems
        return outcome

    def sentinel(self) -> RebuildOutcome:
        """Rewrite ``inloop.toml`` unchanged: the next rebuild must name it and nothing else.

        Made after a change that must be ignored, this proves without a fixed
        sleep that the ignored change caused no rebuild: it would have come
        first, or been merged into this one.
        """
        config = self.source / "inloop.toml"
        config.write_bytes(config.read_bytes())
        outcome = self.next()
        assert outcome.changed == [self.path("inloop.toml")], "an ignored change caused a rebuild"
        return outcome

    def assert_quiet(self) -> None:
        """No rebuild is waiting to be reported, and the watcher runs on."""
        assert self.outcomes.empty(), [o.changed for o in list(self.outcomes.queue)]
        self.assert_running()

    def assert_running(self) -> None:
        assert self.thread.is_alive(), "the watcher's loop has stopped"
        observer = self.watcher._observer
        assert observer is not None and observer.is_alive(), "the watchdog observer has stopped"

    def pending(self) -> list[str]:
        with self.watcher._lock:
            return list(self.watcher._pending)

    def close(self) -> None:
        self.stop_event.set()
        if isinstance(self.builder, GatedBuilder):
            self.builder.open.set()
        self.watcher.stop()
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), "the watcher did not stop"


# -- the command line, in a subprocess -------------------------------------------------------------


class Process:
    """``inloop ARGS`` in a subprocess, its stdout and stderr read line by line as they come."""

    def __init__(self, args: Iterable[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        full_env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
        full_env.update(env or {})
        command = [sys.executable, "-c", "import sys; from inloop.cli.main import main; sys.exit(main())", *args]
        self.popen = subprocess.Popen(
            command,
            cwd=cwd,
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        assert self.popen.stdout is not None and self.popen.stderr is not None
        self._readers = [
            threading.Thread(target=self._read, args=(self.popen.stdout, self.stdout, True), daemon=True),
            threading.Thread(target=self._read, args=(self.popen.stderr, self.stderr, False), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: object, into: list[str], announce: bool) -> None:
        for line in stream:  # type: ignore[attr-defined]
            into.append(line.rstrip("\n"))
            if announce:
                self.lines.put(line.rstrip("\n"))
        if announce:
            self.lines.put(None)

    def line(self, timeout: float = WAIT) -> str:
        """The next line on stdout."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line on stdout within {timeout:.0f} s; stderr: {self.stderr}") from None
        if line is None:
            raise AssertionError(f"the program ended (stdout: {self.stdout}, stderr: {self.stderr})")
        return line

    def expect(self, pattern: str, timeout: float = WAIT) -> re.Match[str]:
        """The next line on stdout matches ``pattern`` (a regular expression, matched whole)."""
        line = self.line(timeout)
        match = re.fullmatch(pattern, line)
        assert match is not None, f"expected a line like {pattern!r}, got {line!r}"
        return match

    def stop(self, signum: int = signal.SIGINT, timeout: float = WAIT) -> int:
        """Send ``signum``, wait for the end; the exit status."""
        self.popen.send_signal(signum)
        return self.wait(timeout)

    def wait(self, timeout: float = WAIT) -> int:
        try:
            status = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            raise AssertionError(f"the program did not end within {timeout:.0f} s") from None
        for reader in self._readers:
            reader.join(WAIT)
        assert self.popen.stdout is not None and self.popen.stderr is not None
        self.popen.stdout.close()
        self.popen.stderr.close()
        return status

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.wait()


# -- the preview server, in a subprocess, and its clients -----------------------------------------

EVENTS = "/__inloop/events"
SCRIPT = re.compile(rb"<script>/\* inloop serve: live reload \*/.*?</script>", re.DOTALL)
OVERLAY = re.compile(rb'<div id="inloop-errors".*?</div>', re.DOTALL)
REBUILT = r"rebuilt in \d+ ms: \d+ files written \((.+)\)"


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def live(self) -> bool:
        return SCRIPT.search(self.body) is not None

    @property
    def overlay(self) -> bytes | None:
        found = OVERLAY.search(self.body)
        return found.group(0) if found else None

    def without_injection(self) -> bytes:
        return OVERLAY.sub(b"", SCRIPT.sub(b"", self.body))


@dataclass
class Served:
    process: Process
    port: int
    mount: str
    source: Path

    @property
    def output(self) -> Path:
        return self.source / "site"

    def get(self, path: str, method: str = "GET") -> Response:
        """Request ``path`` exactly as given: no client-side normalising of ``..`` or ``%2e``."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            connection.endheaders()
            response = connection.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            connection.close()

    def stop(self, signum: int = signal.SIGINT) -> None:
        assert self.process.stop(signum) == 0
        assert self.process.stderr == [], self.process.stderr


class EventStream:
    """A client of the live-reload endpoint, reading its ``data:`` lines."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
        self.connection.request("GET", EVENTS)
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        assert self.response.headers["Content-Type"] == "text/event-stream"

    def next(self) -> str:
        """The next event's data (keep-alive comments skipped)."""
        while True:
            line = self.response.readline()
            if not line:
                raise AssertionError("the event stream ended")
            text = line.decode("utf-8").rstrip("\r\n")
            if text.startswith("data: "):
                return text.removeprefix("data: ")

    def close(self) -> None:
        self.connection.close()


def start_serve(source: Path, *extra: str) -> Served:
    process = Process(["serve", "--source", source.name, "--now", NOW_TEXT, "--port", "0", *extra], cwd=source.parent)
    try:
        process.expect(rf"watching {re.escape(source.name)} \(Ctrl-C to stop\)")
        url = process.expect(rf"serving {re.escape(source.name)}/site on http://127\.0\.0\.1:(\d+)(/.*)")
        assert process.expect(REBUILT).group(1) == "initial build"
    except BaseException:
        process.kill()
        raise
    return Served(process, int(url.group(1)), url.group(2), source)
