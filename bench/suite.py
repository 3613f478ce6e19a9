"""bench/run: measure inloop against its baselines on synthetic sites of N incidents.

See bench/README.md for what each column means.  For each N, in this order,
with the same ``--now`` throughout:

1. generate the site (bench/generate.py, seeded) into ``WORK/n<N>/site``;
2. wait until creating files is no longer getting faster (see
   :meth:`Trash.wait_for_quiet_disk`; not with ``--quick``);
3. naive renderer (bench/baselines.py naive) and cold build (``inloop build``,
   output folder and cache moved away first, see :class:`Trash`), each in a
   subprocess, taking turns: three runs each up to N = 10,000, one above;
4. warm build (output moved away, the cache the cold build filled kept) and
   I/O floor (bench/baselines.py floor), taking turns, three runs each;
5. no-change rebuild: output and cache kept; it must write 0 files;
6. the watcher path (bench/watchpath.py) in one subprocess: edits of an old
   and of an open incident and a template change, each timed in-process
   around ``watcher.rebuild([path])``.

Taking turns, a slow spell of the disk or of the machine weighs on both
sides of a ratio, and the median of each side leaves it out.

Builds are timed with ``time.perf_counter`` around the whole subprocess, started after
``os.sync()`` (so no run pays for the writeback of the one before), and
sampled for the summed RSS of the process tree every 50 ms.  Other timings
under a second are the median of three runs too (one with ``--quick``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import generate
from measure import REPEAT_BELOW_SECONDS, Measured, Repeated, repeat, run_measured, tree_size

import inloop

BENCH = Path(__file__).resolve().parent
DEFAULT_SIZES = (100, 1000, 10000, 30000)
DEFAULT_NOW = "2026-11-26 12:00 UTC"
CACHE_DIR = ".inloop-cache"
MB = 1_000_000
BUILD = "import sys; from inloop.cli.main import main; sys.exit(main())"
BUILT_LINE = re.compile(r"built (\d+) files in (\d+) ms: (\d+) written, (\d+) removed")


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    format: str  # format spec of the value; a missing value prints as "-"


COLUMNS: tuple[Column, ...] = (
    Column("n", "N", "d"),
    Column("files", "files", "d"),
    Column("mb", "MB", ".1f"),
    Column("cold_s", "cold s", ".2f"),
    Column("naive_s", "naive s", ".2f"),
    Column("cold_over_naive", "cold/naive", ".2f"),
    Column("warm_s", "warm s", ".2f"),
    Column("floor_s", "io-floor s", ".2f"),
    Column("warm_over_floor", "warm/floor", ".2f"),
    Column("nochange_s", "no-change s", ".2f"),
    Column("nochange_written", "no-change written", "d"),
    Column("edit_old_ms", "edit old ms", ".0f"),
    Column("edit_open_ms", "edit open ms", ".0f"),
    Column("template_s", "template s", ".2f"),
    Column("peak_rss_mb", "peak RSS MB", ".0f"),
    Column("watch_rss_mb", "watch RSS MB", ".0f"),
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Trash:
    """Moves folders out of the way at once and deletes them only when the run is over.

    On this machine (ext4 with ``discard`` on a virtual disk) deleting tens of
    thousands of files makes every file created in the following seconds to
    minutes slower, in kernel time of the process that creates them: a build
    timed right after deleting the last one's output ran up to 6x slower, and
    three I/O-floor runs in a row, each after deleting the one before, took
    1.4, 4.5 and 8.2 s.  A rename frees nothing, so nothing is deleted until
    every measurement is done.
    """

    def __init__(self, work: Path) -> None:
        self.folder = work / f".trash-{os.getpid()}-{time.time_ns()}"
        self.count = 0

    def discard(self, path: Path) -> None:
        if not path.exists():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count += 1
        path.rename(self.folder / f"{self.count}-{path.name}")

    def wait_for_quiet_disk(self, *, files: int = 3000, pause: float = 3.0, limit: float = 30.0) -> list[float]:
        """Create ``files`` small files in folders, as a build does, until two probes in a row are fast.

        After deletions (an earlier run's trash, another program's) creating
        files is slow for seconds to minutes, by fits: 3,000 files took 0.70,
        0.19 and 0.65 s, 3 s apart, where a quiet disk takes 0.13 s.
        Measuring then would time the disk, on one side of a ratio more than
        on the other.  "Fast" is within 1.3x the fastest probe so far.  The
        probes go into the trash, so that waiting deletes nothing.  Returns
        the probes' times.
        """
        times: list[float] = []
        started = time.monotonic()
        data = b"x" * 4000
        while True:
            self.count += 1
            folder = self.folder / f"{self.count}-probe"
            folder.mkdir(parents=True)
            began = time.perf_counter()
            for index in range(files):
                os.mkdir(folder / str(index))
                with open(folder / str(index) / "index.html", "wb") as stream:
                    stream.write(data)
            times.append(time.perf_counter() - began)
            fast = 1.3 * min(times)
            if (len(times) >= 2 and max(times[-2:]) <= fast) or time.monotonic() - started > limit:
                return times
            time.sleep(pause)

    def empty(self) -> None:
        """Delete this run's trash and any left by interrupted runs."""
        for folder in self.folder.parent.glob(".trash-*"):
            shutil.rmtree(folder, ignore_errors=True)


def paired_runs(n: int) -> int:
    """Runs of the naive renderer and of the cold build: three up to the target's size, then one (each takes long)."""
    return 3 if n <= 10_000 else 1


def settle() -> None:
    """Flush dirty pages first, so that no run pays for the writeback of the one before."""
    os.sync()


def build_counts(run: Measured) -> dict[str, int]:
    """What ``inloop build`` said it did: files, milliseconds, written, removed."""
    match = BUILT_LINE.search(run.stdout)
    if match is None:
        raise RuntimeError(f"unexpected output of inloop build: {run.stdout!r}")
    files, ms, written, removed = (int(g) for g in match.groups())
    return {"files": files, "inner_ms": ms, "written": written, "removed": removed}


def summary(result: Repeated) -> dict[str, Any]:
    """A repeated measurement as JSON: the median, every run, the peak RSS."""
    return {
        "seconds": result.seconds,
        "runs": [run.seconds for run in result.runs],
        "cpu_user": [run.user for run in result.runs],
        "cpu_sys": [run.system for run in result.runs],
        "peak_rss_mb": result.peak_rss / MB,
    }


@dataclass(frozen=True, slots=True)
class Code:
    """The inloop every process of the run imports."""

    env: dict[str, str]
    info: dict[str, Any]


def digest_tree(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=BENCH.parent, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return ""
    return done.stdout.strip()


def freeze_code(snapshot_root: Path | None) -> Code:
    """Copy inloop's package to ``snapshot_root`` and put it first on PYTHONPATH (None: use it in place).

    A snapshot makes every build of the run use the same code even while
    someone edits src/ (the run takes minutes).
    """
    package = Path(inloop.__file__).resolve().parent
    env = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}
    info: dict[str, Any] = {
        "package": str(package),
        "version": inloop.__version__,
        "commit": git("rev-parse", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--", str(package))),
        "digest": digest_tree(package),
        "snapshot": snapshot_root is not None,
    }
    if snapshot_root is not None:
        shutil.copytree(package, snapshot_root / "inloop", ignore=shutil.ignore_patterns("__pycache__"))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(snapshot_root), env.get("PYTHONPATH"))))
        info["digest"] = digest_tree(snapshot_root / "inloop")
    return Code(env, info)


class SizeBench:
    """Every measurement of one N."""

    def __init__(self, n: int, work: Path, now: str, seed: int, quick: bool, env: dict[str, str], trash: Trash) -> None:
        self.n = n
        self.env = env
        self.trash = trash
        self.remove = trash.discard
        self.now = now
        self.seed = seed
        self.quick = quick
        root = work / f"n{n}"
        self.root = root
        self.site = root / "site"
        self.out = root / "out"
        self.floor_dir = root / "floor"
        self.naive_dir = root / "naive"
        self.python = sys.executable

    def step(self, name: str, measure: Callable[[], Measured], below: float = REPEAT_BELOW_SECONDS) -> Repeated:
        result = repeat(measure, quick=self.quick, below=below)
        self.log_result(name, result)
        return result

    def log_result(self, name: str, result: Repeated) -> None:
        runs = ", ".join(f"{run.seconds:.2f} ({run.user:.1f} user + {run.system:.1f} sys)" for run in result.runs)
        log(f"  N={self.n} {name}: {result.seconds:.2f} s; runs {runs}; peak RSS {result.peak_rss / MB:.0f} MB")

    def pair(
        self, names: tuple[str, str], measures: tuple[Callable[[], Measured], Callable[[], Measured]], times: int
    ) -> tuple[Repeated, Repeated]:
        """The two sides of a ratio, ``times`` runs each, taking turns: a slow spell weighs on both."""
        results = (Repeated(), Repeated())
        for _ in range(1 if self.quick else times):
            for result, measure in zip(results, measures, strict=True):
                result.runs.append(measure())
        for name, result in zip(names, results, strict=True):
            self.log_result(name, result)
        return results

    def inloop_build(self) -> Measured:
        settle()
        command = [self.python, "-c", BUILD, "build", "--source", str(self.site), "--output", str(self.out)]
        return run_measured([*command, "--now", self.now], env=self.env)

    def cold(self) -> Measured:
        self.remove(self.site / CACHE_DIR)
        self.remove(self.out)
        return self.inloop_build()

    def warm(self) -> Measured:
        self.remove(self.out)
        return self.inloop_build()

    def floor(self) -> Measured:
        self.remove(self.floor_dir)
        settle()
        command = [self.python, str(BENCH / "baselines.py"), "floor", "--site", str(self.site)]
        return run_measured([*command, "--built", str(self.out), "--dest", str(self.floor_dir)], env=self.env)

    def naive(self) -> Measured:
        self.remove(self.naive_dir)
        settle()
        script = str(BENCH / "baselines.py")
        command = [self.python, script, "naive", "--site", str(self.site), "--dest", str(self.naive_dir)]
        return run_measured(command, env=self.env)

    def watch(self) -> Measured:
        command = [self.python, str(BENCH / "watchpath.py"), "--site", str(self.site), "--output", str(self.out)]
        command += ["--now", self.now]
        if self.quick:
            command.append("--quick")
        settle()
        return run_measured(command, env=self.env)

    def run(self) -> dict[str, Any]:
        log(f"N={self.n}: generating {self.site}")
        started = time.perf_counter()
        generate.generate_site(self.site, self.n, self.seed, generate.parse_now(self.now))
        self.remove(self.site / "templates")  # left over by an interrupted run
        for folder in (self.out, self.floor_dir, self.naive_dir):  # likewise
            self.remove(folder)
        generate_s = time.perf_counter() - started
        log(f"  N={self.n} generated in {generate_s:.1f} s")

        if not self.quick:
            probes = self.trash.wait_for_quiet_disk()
            log(f"  N={self.n} disk settled: {', '.join(f'{t:.2f}' for t in probes)} s to create 3,000 files")
        # Each ratio's two sides take turns, three runs each (the naive renderer and the cold
        # build once each above 10,000, for time): a slow spell of the disk (see Trash) or of
        # the machine then weighs on both, not on one, and the median leaves it out.
        naive, cold = self.pair(("naive renderer", "cold build"), (self.naive, self.cold), paired_runs(self.n))
        naive_report = json.loads(naive.last.stdout)
        files, size = tree_size(self.out)
        cold_counts = build_counts(cold.last)
        warm, floor = self.pair(("warm build", "I/O floor"), (self.warm, self.floor), 3)
        floor_report = json.loads(floor.last.stdout)
        nochange = self.step("no-change rebuild", self.inloop_build)
        nochange_written = max(build_counts(run)["written"] for run in nochange.runs)
        watch_run = self.watch()
        watched: dict[str, Any] = json.loads(watch_run.stdout)
        log(
            f"  N={self.n} watcher path: initial {watched['initial']['seconds']:.2f} s, "
            f"edit old {watched['edit_old']['seconds'] * 1000:.0f} ms, "
            f"edit open {watched['edit_open']['seconds'] * 1000:.0f} ms, "
            f"template {watched['template']['seconds']:.2f} s, peak RSS {watch_run.peak_rss / MB:.0f} MB"
        )

        return {
            "n": self.n,
            "files": files,
            "mb": size / MB,
            "cold_s": cold.seconds,
            "naive_s": naive.seconds,
            "cold_over_naive": cold.seconds / naive.seconds,
            "warm_s": warm.seconds,
            "floor_s": floor.seconds,
            "warm_over_floor": warm.seconds / floor.seconds,
            "nochange_s": nochange.seconds,
            "nochange_written": nochange_written,
            "edit_old_ms": watched["edit_old"]["seconds"] * 1000,
            "edit_open_ms": watched["edit_open"]["seconds"] * 1000,
            "template_s": watched["template"]["seconds"],
            "peak_rss_mb": max(cold.peak_rss, warm.peak_rss, nochange.peak_rss) / MB,
            "watch_rss_mb": watch_run.peak_rss / MB,
            "details": {
                "generate_s": generate_s,
                "bytes": size,
                "cold": summary(cold) | {"build": cold_counts},
                "warm": summary(warm) | {"build": build_counts(warm.last)},
                "nochange": summary(nochange) | {"builds": [build_counts(run) for run in nochange.runs]},
                "floor": summary(floor) | {"report": floor_report},
                "naive": summary(naive) | {"report": naive_report},
                "watch": watched
                | {
                    "peak_rss_mb": watch_run.peak_rss / MB,
                    "seconds": watch_run.seconds,
                    "cpu_user": watch_run.user,
                    "cpu_sys": watch_run.system,
                },
            },
        }

    def clean(self) -> None:
        """Move the outputs and the cache (a GB at 30,000) to the trash; keep the site for the next run."""
        for folder in (self.out, self.floor_dir, self.naive_dir, self.site / CACHE_DIR):
            self.remove(folder)


# -- results ----------------------------------------------------------------------


def exponent(rows: Sequence[dict[str, Any]], key: str = "cold_s") -> dict[str, Any] | None:
    """The log-log slope of ``key`` between the smallest and the largest N >= 1000."""
    big = sorted((row for row in rows if row["n"] >= 1000), key=lambda row: row["n"])
    if len(big) < 2:
        return None
    low, high = big[0], big[-1]
    slope = math.log(high[key] / low[key]) / math.log(high["n"] / low["n"])
    return {"value": slope, "from_n": low["n"], "to_n": high["n"], "of": key}


def target(name: str, rows: dict[int, dict[str, Any]], n: int | None, key: str, limit: float) -> dict[str, Any]:
    """One target: ``key`` at ``n`` (None: every N) must be at most ``limit`` (``< limit`` for times)."""
    if n is None:
        values = [row[key] for row in rows.values()]
    else:
        values = [rows[n][key]] if n in rows else []
    ok: bool | None = all(value <= limit for value in values) if values else None
    value: float | None = max(values) if values else None
    return {"target": name, "n": n, "key": key, "limit": limit, "value": value, "pass": ok}


def check_targets(rows: Sequence[dict[str, Any]], slope: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Issue 7's targets, each PASS, FAIL or not measured (None)."""
    by_n = {row["n"]: row for row in rows}
    checks = [
        target("cold build <= 0.6x naive renderer at N=10,000", by_n, 10000, "cold_over_naive", 0.6),
        target("warm build <= 2x I/O floor at N=10,000", by_n, 10000, "warm_over_floor", 2.0),
        target("warm build <= 2x I/O floor at N=30,000", by_n, 30000, "warm_over_floor", 2.0),
        target("no-change rebuild writes 0 files (every N)", by_n, None, "nochange_written", 0),
        target("no-change rebuild < 1 s at N=10,000", by_n, 10000, "nochange_s", 1.0),
        target("edit of an old incident < 100 ms at N=10,000", by_n, 10000, "edit_old_ms", 100.0),
        target("peak RSS < 300 MB at N=10,000", by_n, 10000, "peak_rss_mb", 300.0),
        target("peak RSS < 1 GB at N=30,000", by_n, 30000, "peak_rss_mb", 1000.0),
    ]
    name = "cold build time grows with exponent <= 1.1"
    if slope is not None:
        name += f" (fitted N={slope['from_n']:,}..{slope['to_n']:,})"
    checks.append(
        {
            "target": name,
            "n": None,
            "key": "exponent",
            "limit": 1.1,
            "value": slope["value"] if slope else None,
            "pass": slope["value"] <= 1.1 if slope else None,
        }
    )
    return checks


def cell(column: Column, value: Any) -> str:
    if value is None:
        return "-"
    return format(value, column.format)


def table(rows: Sequence[dict[str, Any]]) -> str:
    cells = [[column.title for column in COLUMNS]]
    cells += [[cell(column, row[column.key]) for column in COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(text.rjust(width) for text, width in zip(line, widths, strict=True)) for line in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def report(rows: Sequence[dict[str, Any]], slope: dict[str, Any] | None, checks: Sequence[dict[str, Any]]) -> str:
    lines = [table(rows), ""]
    if slope is not None:
        lines.append(
            f"growth exponent of the cold build, N={slope['from_n']:,}..{slope['to_n']:,}: {slope['value']:.2f}"
        )
    else:
        lines.append("growth exponent of the cold build: not measured (needs two sizes >= 1,000)")
    edits = ", ".join(f"N={row['n']:,}: {row['details']['watch']['edit_old']['written'][0]}" for row in rows)
    lines.append(f"files written by the edit of an old incident: {edits}")
    lines.append("")
    for check in checks:
        verdict = {True: "PASS", False: "FAIL", None: "n/a "}[check["pass"]]
        value = check["value"]
        shown = "not measured" if value is None else f"{value:.3g}"
        lines.append(f"{verdict}  {check['target']}: {shown}")
    return "\n".join(lines)


def results_path(folder: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{stamp}.json"
    number = 1
    while path.exists():
        number += 1
        path = folder / f"{stamp}-{number}.json"
    return path


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text!r}") from None
    if not sizes or any(size < generate.UNRESOLVED for size in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be at least {generate.UNRESOLVED}")
    return sorted(set(sizes))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/run", description="Measure inloop's builds against its baselines; see bench/README.md."
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=list(DEFAULT_SIZES),
        help="comma-separated numbers of incidents (default 100,1000,10000,30000)",
    )
    parser.add_argument("--quick", action="store_true", help="one run of every timing, no medians")
    parser.add_argument("--out", type=Path, default=BENCH / "results", help="folder for the JSON (bench/results)")
    parser.add_argument("--work", type=Path, default=BENCH / "sites", help="folder for the sites (bench/sites)")
    parser.add_argument("--now", default=DEFAULT_NOW, help=f"build time of every build (default {DEFAULT_NOW!r})")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated sites (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the output folders after measuring")
    parser.add_argument(
        "--no-snapshot", action="store_true", help="import inloop from where it is, not from a copy made at the start"
    )
    args = parser.parse_args(argv)

    began = time.perf_counter()
    load_before = os.getloadavg()
    cores = len(os.sched_getaffinity(0))
    if load_before[0] > cores / 2:
        log(f"warning: load average {load_before[0]:.1f} on {cores} cores: other processes compete with the benchmark")
    work = args.work.resolve()
    rows: list[dict[str, Any]] = []
    trash = Trash(work)
    with tempfile.TemporaryDirectory(prefix="inloop-bench-") as temp:
        code = freeze_code(None if args.no_snapshot else Path(temp))
        try:
            for n in args.sizes:
                bench = SizeBench(n, work, args.now, args.seed, args.quick, code.env, trash)
                try:
                    rows.append(bench.run())
                finally:
                    if not args.keep:
                        bench.clean()
        finally:
            log("deleting the outputs")
            trash.empty()
    slope = exponent(rows)
    checks = check_targets(rows, slope)
    total = time.perf_counter() - began
    print(report(rows, slope, checks))
    load = [round(value, 2) for value in (*load_before, *os.getloadavg())]
    machine = f"{os.cpu_count()} cores ({cores} usable)"
    print(f"\ntotal {total:.0f} s on {machine}, --now {args.now!r}, load average {load[0]} before, {load[3]} after")
    state = " + uncommitted changes" if code.info["dirty"] else ""
    commit = code.info["commit"][:12] or "?"
    print(f"inloop {code.info['version']} at {commit}{state}, src digest {code.info['digest'][:12]}")

    args.out.mkdir(parents=True, exist_ok=True)
    path = results_path(args.out)
    document = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "now": args.now,
        "seed": args.seed,
        "sizes": args.sizes,
        "quick": args.quick,
        "total_seconds": total,
        "code": code.info,
        "machine": {
            "cores": os.cpu_count(),
            "usable_cores": len(os.sched_getaffinity(0)),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_before": load[:3],
            "load_average_after": load[3:],
        },
        "columns": {column.key: column.title for column in COLUMNS},
        "rows": rows,
        "exponent": slope,
        "targets": checks,
    }
    path.write_text(json.dumps(document, indent=1) + "\n", "utf-8")
    print(f"wrote {path}")
    return 0
