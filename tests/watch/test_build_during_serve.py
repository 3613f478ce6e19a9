"""``inloop build`` while ``inloop serve`` rebuilds the same output folder (issue 21).

One build in three hit ``FileNotFoundError`` when it met a rebuild of the
dev server: both wrote the same temporary files.  Each rebuild now holds the
output folder's lock, as ``build`` does, so they take turns.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from inloop.build.lock import lock_path, output_lock

from .support import NOW_TEXT, REBUILT, WAIT, assert_same_site, start_serve

INLOOP = [sys.executable, "-c", "import sys; from inloop.cli.main import main; sys.exit(main())"]
WAITING = re.compile(r"waiting for the build of acme/site/ by pid \d+ \(inloop (serve|build)\) to finish")

#: Builds run one after another while the server rebuilds; more for a longer run: INLOOP_STRESS_BUILDS=12.
BUILDS = int(os.environ.get("INLOOP_STRESS_BUILDS", "2"))

pytestmark = [pytest.mark.server, pytest.mark.timeout(60 + 30 * BUILDS)]  # runs inloop serve


def test_builds_while_serve_rebuilds_take_turns(acme: Path) -> None:
    """The footer changes every quarter second (each change rewrites every page) while builds run."""
    served = start_serve(acme)
    footer = acme / "templates" / "footer.html"
    texts = [footer.read_text("utf-8"), footer.read_text("utf-8").replace("Questions", "More questions")]
    assert texts[0] != texts[1]
    stop = threading.Event()

    def flip() -> None:
        number = 0
        while not stop.wait(0.25):
            number += 1
            footer.write_text(texts[number % 2], "utf-8")
        footer.write_text(texts[0], "utf-8")

    flipper = threading.Thread(target=flip, daemon=True)
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    try:
        flipper.start()
        for _ in range(BUILDS):
            build = subprocess.run(
                [*INLOOP, "build", "--source", "acme", "--now", NOW_TEXT, "--no-cache"],
                cwd=acme.parent,
                capture_output=True,
                text=True,
                env=env,
                timeout=WAIT,
            )
            assert build.returncode == 0, build.stderr
            assert [line for line in build.stderr.splitlines() if not WAITING.fullmatch(line)] == []
        stop.set()
        flipper.join(WAIT)
        config = acme / "inloop.toml"
        config.write_bytes(config.read_bytes())  # the last rebuild names it: the server is done then
        while (cause := re.fullmatch(REBUILT, served.process.line())) is None or cause[1] not in (
            "acme/inloop.toml",
            "acme/templates/footer.html and 1 more",
        ):
            pass
        with output_lock(acme / "site", "the test"):
            assert_same_site(acme / "site", acme)
    finally:
        stop.set()
        status = served.process.stop(signal.SIGINT)
    assert status == 0
    assert [line for line in served.process.stderr if not WAITING.fullmatch(line)] == []
    assert not lock_path(acme / "site").exists()  # a server that stopped leaves no lock file
