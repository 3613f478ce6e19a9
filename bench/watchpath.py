#!/usr/bin/env python3
"""Time edits through the watcher's code path, in one long-lived process.

    python bench/watchpath.py --site SITE --output OUT --now TIME [--quick]

Like ``inloop watch``: one :class:`~inloop.build.builder.Builder` (with the site's
cache, ``SITE/.inloop-cache``) and one :class:`~inloop.dev.watch.Watcher`, the
first build done; then for each kind of change the file is modified on disk
and ``watcher.rebuild([path])`` is timed, which is exactly what the watcher
runs once the debounce has settled, up to the last output file replaced.

- **edit old**: one line of update text of the oldest (resolved) incident;
- **edit open**: the same in an unresolved incident;
- **template**: ``templates/footer.html`` added (then changed), extending
  ``!theme/footer.html`` with a line in its ``extra`` block.

Each edit appends a new sentence, different in every run, so that no run
finds its pages in the cache.  A timing under a second is the median of
three edits (one with ``--quick``).  Afterwards every file is put back and
the site rebuilt, untimed, so the output matches the sources again.  Prints
one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from inloop.build.builder import Builder, build_time
from inloop.dev.watch import RebuildOutcome, Watcher

REPEAT_BELOW_SECONDS = 1.0
RESOLVED_HEADING = re.compile(r"^## .*\bresolved\s*$", re.IGNORECASE | re.MULTILINE)
TEMPLATE = '{{% extends "!theme/footer.html" %}}\n{{% block extra %}}<p>{text}</p>{{% endblock %}}\n'


def oldest_incident(site: Path) -> Path:
    """The incident file with the earliest date (names start with the date): long resolved."""
    return sorted((site / "content" / "incidents").glob("*.md"))[0]


def open_incident(site: Path) -> Path:
    """The newest incident file without a ``Resolved`` update."""
    for path in sorted((site / "content" / "incidents").glob("*.md"), reverse=True):
        if not RESOLVED_HEADING.search(path.read_text("utf-8")):
            return path
    raise LookupError(f"no unresolved incident in {site}")


def edit_one_line(text: str, sentence: str) -> str:
    """Append ``sentence`` to the first line of update text (the line after the first ``## `` heading)."""
    lines = text.split("\n")
    start = 0
    if lines and lines[0] == "---":
        start = lines.index("---", 1) + 1
    for number in range(start, len(lines) - 1):
        if lines[number].startswith("## ") and lines[number + 1].strip():
            lines[number + 1] += f" {sentence}"
            return "\n".join(lines)
    raise ValueError("no update text to edit")


class Bench:
    def __init__(self, site: Path, output: Path, now: str, quick: bool) -> None:
        self.site = site
        self.quick = quick
        moment = build_time(now)
        self.builder = Builder(site, output, shown_source=str(site))
        self.watcher = Watcher(self.builder, lambda: moment, follow_clock=False, on_rebuild=lambda _: None)
        self.nonce = f"{time.time_ns():x}"
        self.count = 0

    def rebuild(self, changed: Path | None) -> tuple[float, RebuildOutcome]:
        started = time.perf_counter()
        outcome = self.watcher.rebuild([str(changed)] if changed is not None else [])
        seconds = time.perf_counter() - started
        if not outcome.ok:
            problems = "\n".join(str(p) for p in outcome.problems[:20])
            raise RuntimeError(f"rebuild failed after changing {changed}:\n{problems}")
        return seconds, outcome

    def sentence(self) -> str:
        self.count += 1
        return f"Benchmark edit {self.count} ({self.nonce})."

    def timed(self, path: Path, change: Callable[[str], object]) -> dict[str, Any]:
        """Change ``path`` and rebuild; once, or three times when under a second."""
        runs: list[float] = []
        written: list[int] = []
        rendered: list[int] = []
        while True:
            change(self.sentence())
            seconds, outcome = self.rebuild(path)
            assert outcome.report is not None
            runs.append(seconds)
            written.append(len(outcome.report.written))
            rendered.append(outcome.report.rendered)
            if self.quick or len(runs) == 3 or runs[0] >= REPEAT_BELOW_SECONDS:
                break
        return {
            "path": str(path.relative_to(self.site)),
            "seconds": statistics.median(runs),
            "runs": runs,
            "written": written,
            "rendered": rendered,
        }

    def edit(self, path: Path) -> dict[str, Any]:
        original = path.read_bytes()
        text = original.decode("utf-8")
        try:
            return self.timed(path, lambda sentence: path.write_text(edit_one_line(text, sentence), "utf-8"))
        finally:
            path.write_bytes(original)
            self.rebuild(path)

    def template(self) -> dict[str, Any]:
        folder = self.site / "templates"
        path = folder / "footer.html"
        made_folder = not folder.exists()
        original = path.read_bytes() if path.exists() else None
        folder.mkdir(exist_ok=True)
        try:
            return self.timed(path, lambda sentence: path.write_text(TEMPLATE.format(text=sentence), "utf-8"))
        finally:
            if original is not None:
                path.write_bytes(original)
            else:
                path.unlink(missing_ok=True)
                if made_folder:
                    folder.rmdir()
            self.rebuild(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time edits through the watcher's rebuild path.")
    parser.add_argument("--site", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--now", required=True)
    parser.add_argument("--quick", action="store_true", help="one run of each, no medians")
    args = parser.parse_args(argv)
    site = args.site.resolve()
    bench = Bench(site, args.output.resolve(), args.now, args.quick)
    first_seconds, first = bench.rebuild(None)
    assert first.report is not None
    result = {
        "initial": {"seconds": first_seconds, "written": len(first.report.written), "files": first.report.files},
        "edit_old": bench.edit(oldest_incident(site)),
        "edit_open": bench.edit(open_incident(site)),
        "template": bench.template(),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
