#!/usr/bin/env python3
"""What each of the templates' speed shortcuts buys: cold builds with and without it, taking turns.

Each variant is a cold ``inloop build`` of the same site in a subprocess
(output and cache in fresh folders), started with some Python run before the
command (``--variant name=code``); the variants take turns, ``--rounds``
times, and the table gives each one's median wall time and median CPU time
(user + system of the process and its workers, from ``wait4``), and both as
a ratio to the first variant.  CPU time is what a shared, busy machine
disturbs least.

    python bench/shortcuts.py --site bench/sites/n10000/site --rounds 3
    python bench/shortcuts.py --site SITE --variant stock='import os; os.environ["INLOOP_STOCK_JINJA"] = "1"'

Without ``--variant``: inloop as it is, and with ``INLOOP_STOCK_JINJA=1``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOW = "2026-11-26 12:00 UTC"
DEFAULT_VARIANTS = {
    "inloop": "",
    "stock": "import os; os.environ['INLOOP_STOCK_JINJA'] = '1'",
}


def run(site: Path, code: str, work: Path) -> tuple[float, float]:
    """One cold build after ``code``: (wall seconds, CPU seconds of the whole process tree)."""
    output, cache = work / "out", site / ".inloop-cache"
    for folder in (output, cache):
        if folder.exists():
            folder.rename(work / f".trash-{time.monotonic_ns()}")  # deleting now would slow the next build
    script = (
        f"{code}\nimport sys\nfrom inloop.cli.main import main\n"
        f"sys.argv = ['inloop', 'build', '--source', {str(site)!r}, '--output', {str(output)!r}, '--now', {NOW!r}]\n"
        "main()\n"
    )
    env = dict(os.environ)
    env.pop("SOURCE_DATE_EPOCH", None)
    os.sync()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"the build failed (status {status})")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variant", action="append", default=[], help="name=python code run before the build")
    args = parser.parse_args()
    variants = dict(v.split("=", 1) for v in args.variant) if args.variant else DEFAULT_VARIANTS
    site = args.site.resolve()
    cache = site / ".inloop-cache"
    if cache.exists():
        raise SystemExit(f"{cache} exists: a cold build needs none (move it away)")
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory(dir=site.parent) as temp:  # deleted at the end, with every output
        for round_number in range(args.rounds):
            for name, code in variants.items():
                work = Path(temp) / name
                work.mkdir(exist_ok=True)
                times[name].append(run(site, code, work))
                wall, cpu = times[name][-1]
                print(f"round {round_number + 1} {name}: {wall:.2f} s wall, {cpu:.2f} s CPU", file=sys.stderr)
        if cache.exists():  # the last build's: the site is left as it was found
            cache.rename(Path(temp) / ".trash-cache")
    first = next(iter(variants))
    base_wall = statistics.median(w for w, _ in times[first])
    base_cpu = statistics.median(c for _, c in times[first])
    print(f"{'variant':<16} {'wall s':>8} {'CPU s':>8} {'wall/' + first:>12} {'CPU/' + first:>12}")
    for name in variants:
        wall = statistics.median(w for w, _ in times[name])
        cpu = statistics.median(c for _, c in times[name])
        print(f"{name:<16} {wall:8.2f} {cpu:8.2f} {wall / base_wall:12.3f} {cpu / base_cpu:12.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
