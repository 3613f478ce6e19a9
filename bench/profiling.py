#!/usr/bin/env python3
"""Profile a cold build and a watcher edit with pyinstrument.

    python bench/profiling.py [--incidents 10000] [--work bench/sites] [--parallel]

Generates (or reuses) the site ``WORK/n<N>/site`` as bench/run does, then
profiles, in this process:

1. a cold build: a fresh :class:`~inloop.build.builder.Builder` with an empty cache
   folder and an empty output folder;
2. a warm build: a fresh builder again, the output deleted, the cache kept;
3. one one-line edit of the oldest incident through ``watcher.rebuild``,
   after the watcher's first build.

By default every fork is turned off (``inloop.build.parallel.available_cores`` is
patched to 1), so that all the work runs where pyinstrument sees it; with
``--parallel`` the build forks as usual and the profile shows only the
parent's share.  Prints, for each, the call tree and the functions by their
own time (pyinstrument's flat view).  Needs ``pip install pyinstrument``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import generate
import watchpath
from pyinstrument import Profiler
from pyinstrument.renderers import ConsoleRenderer

import inloop.build.parallel
from inloop.build.builder import Builder, build_time
from inloop.dev.watch import Watcher

BENCH = Path(__file__).resolve().parent
DEFAULT_NOW = "2026-11-26 12:00 UTC"


def profiled(title: str, work: Callable[[], object], *, tree_lines: int) -> None:
    profiler = Profiler(interval=0.001)
    started = time.perf_counter()
    profiler.start()
    work()
    profiler.stop()
    print(f"==== {title}: {time.perf_counter() - started:.2f} s (profiled)\n")
    tree = profiler.output(ConsoleRenderer(unicode=True, color=False, show_all=False, short_mode=True))
    print("\n".join(tree.splitlines()[:tree_lines]))
    print(f"\n---- {title}: functions by own time\n")
    flat = profiler.output(ConsoleRenderer(unicode=True, color=False, flat=True))
    print("\n".join(flat.splitlines()[:40]))
    print()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile a cold build and a watcher edit with pyinstrument.")
    parser.add_argument("--incidents", type=int, default=10000)
    parser.add_argument("--work", type=Path, default=BENCH / "sites")
    parser.add_argument("--now", default=DEFAULT_NOW)
    parser.add_argument("--parallel", action="store_true", help="let the build fork as usual")
    parser.add_argument("--tree-lines", type=int, default=80, help="lines of each call tree to print")
    args = parser.parse_args(argv)
    if not args.parallel:
        inloop.build.parallel.available_cores = lambda: 1
    site = (args.work / f"n{args.incidents}" / "site").resolve()
    generate.generate_site(site, args.incidents, 1, generate.parse_now(args.now))
    shutil.rmtree(site / "templates", ignore_errors=True)
    moment = build_time(args.now)
    with tempfile.TemporaryDirectory(prefix="inloop-profile-") as temp:
        output, cache = Path(temp) / "out", Path(temp) / "cache"

        def cold() -> None:
            Builder(site, output, shown_source=str(site), cache_dir=cache).build(moment)

        profiled(f"cold build, N={args.incidents:,}", cold, tree_lines=args.tree_lines)

        def warm() -> None:
            shutil.rmtree(output)
            Builder(site, output, shown_source=str(site), cache_dir=cache).build(moment)

        profiled(f"warm build, N={args.incidents:,}", warm, tree_lines=args.tree_lines)

        builder = Builder(site, output, shown_source=str(site), cache_dir=cache)
        watcher = Watcher(builder, lambda: moment, follow_clock=False, on_rebuild=lambda _: None)
        watcher.rebuild([])
        path = watchpath.oldest_incident(site)
        original = path.read_bytes()
        path.write_text(watchpath.edit_one_line(original.decode("utf-8"), "Profiled edit."), "utf-8")
        try:
            profiled(
                f"watcher edit of {path.name}, N={args.incidents:,}",
                lambda: watcher.rebuild([str(path)]),
                tree_lines=args.tree_lines,
            )
        finally:
            path.write_bytes(original)
    return 0


if __name__ == "__main__":
    sys.exit(main())
