#!/usr/bin/env python3
"""Time from an alert webhook's arrival to the rebuilt page, at 1,000 incidents.

    python bench/receiver.py [--incidents 1000] [--rounds 5]

Generates a site with ``bench/generate.py``, adds an ``[alerts]`` rule,
starts ``inloop receive`` (which builds once at start), then, each round,
posts a firing alert (a new incident) and its resolution (a Monitoring
update) to ``/generic`` and waits until the incident's page holds the new
text.  Prints each time and the median; the target is under 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.request
from collections.abc import Mapping
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOKEN = "bench-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _post(url: str, body: Mapping[str, object]) -> None:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Authorization", f"Bearer {TOKEN}")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def _wait(predicate: object, seconds: float = 60.0) -> float:
    assert callable(predicate)
    started = time.perf_counter()
    while not predicate():
        if time.perf_counter() - started > seconds:
            raise SystemExit("timed out waiting for the page")
        time.sleep(0.002)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="inloop-bench-receiver-") as temp:
        site = Path(temp) / "site-src"
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), "--incidents", str(args.incidents), "--out", str(site)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        config = (site / "inloop.toml").read_text("utf-8")
        component = tomllib.loads(config)["components"][0]["id"]
        config += (
            f'\n[alerts]\ntoken_env = "INLOOP_BENCH_TOKEN"\n\n[[alerts.rules]]\nmatch = {{ service = "bench" }}\n'
            f'components = {{ {component} = "major_outage" }}\nimpact = "major"\n'
        )
        (site / "inloop.toml").write_text(config, "utf-8")
        port = _free_port()
        env = {**os.environ, "INLOOP_BENCH_TOKEN": TOKEN}
        env.pop("SOURCE_DATE_EPOCH", None)
        command = [sys.executable, "-c", "import sys; from inloop.cli.main import main; sys.exit(main())"]
        receiver = subprocess.Popen(
            [*command, "receive", "--source", str(site), "--port", str(port)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: list[str] = []

        def read() -> None:
            assert receiver.stderr is not None
            for line in receiver.stderr:
                lines.append(line.rstrip())

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            first = _wait(lambda: any(" built " in line for line in lines), 600)
            print(f"first build of {args.incidents} incidents at start: {first:.1f} s ({lines[-1].split(' ', 2)[2]})")
            url = f"http://127.0.0.1:{port}/generic"
            incidents = site / "content" / "incidents"
            opened: list[float] = []
            cleared: list[float] = []
            for round_number in range(args.rounds):
                before = set(incidents.glob("*.md"))
                alert = {
                    "status": "firing",
                    "labels": {"service": "bench", "round": str(round_number)},
                    "annotations": {"summary": f"Bench alert {round_number}"},
                    "group": f"round-{round_number}",
                }
                started = time.perf_counter()
                _post(url, alert)
                _wait(lambda before=before: set(incidents.glob("*.md")) - before)
                [new] = set(incidents.glob("*.md")) - before
                page = site / "site" / "incidents" / new.stem / "index.html"
                said = f"Bench alert {round_number}"
                _wait(lambda page=page, said=said: page.exists() and said in page.read_text("utf-8"))
                opened.append(time.perf_counter() - started)
                started = time.perf_counter()
                _post(url, {**alert, "status": "resolved"})
                _wait(lambda page=page: "should work normally again" in page.read_text("utf-8"))
                cleared.append(time.perf_counter() - started)
                time.sleep(0.3)  # let the follow-up settle between rounds
            for name, times in (("new incident", opened), ("Monitoring update", cleared)):
                shown = ", ".join(f"{t * 1000:.0f}" for t in times)
                print(
                    f"{name}: webhook to rebuilt page, median {statistics.median(times) * 1000:.0f} ms "
                    f"(max {max(times) * 1000:.0f} ms; {shown} ms) at {args.incidents} incidents"
                )
        finally:
            receiver.terminate()
            receiver.wait(timeout=30)
            reader.join(timeout=5)
            if receiver.stderr is not None:
                receiver.stderr.close()


if __name__ == "__main__":
    main()
