"""Measuring tools for bench/run: wall time and peak memory of a process tree.

:func:`run_measured` starts a command, samples the summed resident set size
(``VmRSS`` in ``/proc/<pid>/status``) of the process and all its descendants
(forked pool workers included) every 50 ms on a thread, and times it with
``time.perf_counter`` from just before the start to just after the exit, so
the interpreter's start-up and imports count, as they do for a person who
types the command.  Summed RSS counts pages that forked workers still share
with their parent once per process, so it overstates the memory really in
use: the honest upper bound the benchmark asks for.

:func:`repeat` runs a measurement once, and twice more when it took under a
second, and keeps the median: slow timings are stable enough alone, short
ones are not.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_SECONDS = 0.05
REPEAT_BELOW_SECONDS = 1.0
PROC = Path("/proc")


def _children() -> dict[int, list[int]]:
    """Every process's children, from ``/proc/<pid>/stat`` (field 4 is the parent)."""
    tree: dict[int, list[int]] = {}
    for entry in os.scandir(PROC):
        if not entry.name.isdigit():
            continue
        try:
            with open(os.path.join(entry.path, "stat"), "rb") as stream:
                data = stream.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses
        fields = data[data.rfind(b")") + 2 :].split()
        if len(fields) > 1:
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def rss_bytes(pid: int) -> int:
    """A process's resident set size in bytes; 0 once it is gone or a zombie."""
    try:
        with open(PROC / str(pid) / "status", "rb") as stream:
            for line in stream:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def tree_rss_bytes(root: int) -> int:
    """The summed RSS of ``root`` and all its descendants."""
    tree = _children()
    total = 0
    stack = [root]
    seen: set[int] = set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += rss_bytes(pid)
        stack.extend(tree.get(pid, ()))
    return total


class TreeSampler:
    """Samples a process tree's summed RSS every 50 ms on a thread; keeps the peak."""

    def __init__(self, pid: int, interval: float = SAMPLE_SECONDS) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rss-{pid}", daemon=True)

    def _run(self) -> None:
        while True:
            self.peak = max(self.peak, tree_rss_bytes(self.pid))
            self.samples += 1
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class CommandFailed(RuntimeError):
    def __init__(self, command: Sequence[str], returncode: int, stdout: str, stderr: str) -> None:
        tail = "\n".join((stderr or stdout).strip().splitlines()[-20:])
        super().__init__(f"{' '.join(command)} exited {returncode}:\n{tail}")
        self.returncode = returncode


@dataclass(slots=True)
class Measured:
    """One run of a command: wall time, peak summed RSS of its tree, its output."""

    seconds: float
    peak_rss: int
    stdout: str
    stderr: str = ""
    samples: int = 0
    user: float = 0.0  # CPU seconds of the whole tree, from the rusage of reaped children
    system: float = 0.0


def run_measured(command: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> Measured:
    """Run ``command`` to its end, timing it and sampling its memory; raise if it fails.

    Its CPU time (its own and that of every descendant it waited for) is the
    growth of this process's ``RUSAGE_CHILDREN``: commands run one at a time.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    with TreeSampler(process.pid) as sampler:
        stdout, stderr = process.communicate()
        seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise CommandFailed(command, process.returncode, stdout, stderr)
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    return Measured(seconds, sampler.peak, stdout, stderr, sampler.samples, user, system)


@dataclass(slots=True)
class Repeated:
    """The runs of one measurement and their median time."""

    runs: list[Measured] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def peak_rss(self) -> int:
        return max(run.peak_rss for run in self.runs)

    @property
    def last(self) -> Measured:
        return self.runs[-1]


def repeat(
    measure: Callable[[], Measured],
    *,
    quick: bool = False,
    times: int = 3,
    below: float = REPEAT_BELOW_SECONDS,
) -> Repeated:
    """Run once; if that took under ``below`` seconds (and not ``quick``), run to ``times`` runs.

    ``below=math.inf`` always runs ``times`` times (unless ``quick``).
    """
    result = Repeated([measure()])
    if not quick and result.runs[0].seconds < below:
        result.runs.extend(measure() for _ in range(times - 1))
    return result


def median_time(measure: Callable[[], float], *, quick: bool = False, times: int = 3) -> tuple[float, list[float]]:
    """The same rule for in-process timings: ``measure`` returns seconds."""
    runs = [measure()]
    if not quick and runs[0] < REPEAT_BELOW_SECONDS:
        runs.extend(measure() for _ in range(times - 1))
    return statistics.median(runs), runs


def tree_size(folder: Path) -> tuple[int, int]:
    """(files, bytes) of every regular file under ``folder``."""
    files = total = 0
    for root, _dirs, names in os.walk(folder):
        for name in names:
            files += 1
            total += os.lstat(os.path.join(root, name)).st_size
    return files, total
