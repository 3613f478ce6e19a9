#!/usr/bin/env python3
"""Time ``inloop notify`` mailing one update to 100,000 database subscribers, against a local SMTP sink.

    python bench/notify.py [--subscribers 100000] [--small 10000] [--sample 2000] [--sinks 2] [--connections N]

Makes a site whose ``[notify] subscribers`` is a SQLite database of the
subscription service, with N confirmed subscribers (every component,
English), runs ``inloop notify`` once for its starting point, adds an
incident with one update, and times the run that mails it, as a subprocess
(``time.perf_counter`` around the whole process, start-up and imports
included), with the pool's default settings.  Its peak RSS is the process's
own ``VmHWM``, printed as it exits (``ru_maxrss`` would include the bench's
memory at the fork); its CPU time comes from ``wait4``.  The same is done with ``--small``
subscribers, to show that memory does not grow with the list.

The sink is aiosmtpd with a handler that only counts, in ``--sinks``
processes of its own (2 by default) sharing one port (``SO_REUSEPORT``),
so that it does not share a GIL with the sender and can use both cores.  Python's aiosmtpd costs CPU per message
too, on the same machine: the figures are of the sender and the sink
together.

Baselines, in the same run, against the same sink, on ``--sample``
messages (and extrapolated per message to N: said so in the output):

- **naive**: a loop that builds each email with the email package (the
  CSV path's ``email_message``) and sends it over a new connection
  (connect, EHLO, MAIL, RCPT, DATA, QUIT);
- **per connection**: the same loop sending the pool's own bytes (the
  personal copies of one template), so that the ratio to it is the pool's
  doing alone, not the template's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from gettext import NullTranslations
from pathlib import Path
from typing import Any

COMMAND = [sys.executable, "-c", "import sys; from inloop.cli.main import main; sys.exit(main())"]
#: The same, printing the process's own peak RSS at exit: ``VmHWM`` belongs to the process image after exec,
#: while ``ru_maxrss`` would count the bench's own memory at the fork.
PEAK = (
    "import atexit, sys\n"
    "def peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            print('peak-rss-kb', line.split()[1], file=sys.stderr)\n"
    "atexit.register(peak)\n"
    "from inloop.cli.main import main\n"
    "sys.exit(main())\n"
)
NOW = "2026-11-26 12:00 UTC"
ENVIRON = dict(os.environ)
CONFIG = """title = "Bench Status"
base_url = "https://status.bench.example/"
timezone = "UTC"

[[components]]
id = "api"
name = "API"

[[components]]
id = "web"
name = "Website"

[subscriptions]
url = "https://status.bench.example/subscriptions/"
database = "sqlite:///subscribers.db"

[notify]
subscribers = "sqlite:///subscribers.db"
state = ".inloop/notify-state.json"

[notify.smtp]
host = "127.0.0.1"
port = {port}
starttls = false
sender = "Bench Status <status@bench.example>"
"""
INCIDENT = """---
title: API errors
impact: minor
components: [api]
---
## 2026-11-26 10:00 UTC — Investigating
Some requests to the API fail with errors. We are looking into it and will post again within the hour.
"""


# -- the sink -------------------------------------------------------------------------------------------------


class CountingHandler:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def run_sink(port: int, tls: str | None) -> None:
    """One sink process: aiosmtpd on 127.0.0.1:port (shared), printing its count when told to stop.

    ``tls``: a folder with ``cert.pem`` and ``key.pem``, offered with STARTTLS.
    """
    from aiosmtpd.smtp import SMTP

    context = None
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(Path(tls) / "cert.pem", Path(tls) / "key.pem")
    handler = CountingHandler()
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(
            lambda: SMTP(handler, hostname="sink", tls_context=context), "127.0.0.1", port, reuse_port=True
        )
    )
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    print("ready", flush=True)
    loop.run_forever()
    server.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"count": handler.count, "cpu": usage.ru_utime + usage.ru_stime}), flush=True)


class Sinks:
    def __init__(self, processes: int, tls: Path | None) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.processes = [
            subprocess.Popen(
                [sys.executable, __file__, "--sink", str(self.port), *(["--tls-folder", str(tls)] if tls else [])],
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(processes)
        ]
        for process in self.processes:
            assert process.stdout is not None and process.stdout.readline().strip() == "ready"

    def stop(self) -> tuple[int, float]:
        """Stop every sink; the messages they received, and the CPU seconds they used."""
        total, cpu = 0, 0.0
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
            out, _ = process.communicate(timeout=60)
            said = json.loads(out.strip().splitlines()[-1])
            total, cpu = total + said["count"], cpu + said["cpu"]
        return total, cpu


# -- the site ---------------------------------------------------------------------------------------------------


def make_certificate(folder: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 (made with the openssl command), trusted through SSL_CERT_FILE."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    return folder


def make_site(folder: Path, subscribers: int, port: int, connections: int | None, tls: bool) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    from inloop.subscriptions.db import Database
    from inloop.subscriptions.migrations import migrate

    site = folder / f"site-{subscribers}"
    (site / "content" / "incidents").mkdir(parents=True)
    config = CONFIG.replace("{port}", str(port)).replace("starttls = false", f"starttls = {str(tls).lower()}")
    if connections is not None:
        config += f"connections = {connections}\n"
    (site / "inloop.toml").write_text(config, "utf-8")
    with Database("sqlite:///subscribers.db", site).connect() as connection:
        migrate(connection)
        rows = [
            (uuid.uuid4().hex, f"reader{n}@example.com", f"reader{n}@example.com", "en", "", 1,
             secrets.token_urlsafe(24), 1_700_000_000, 1_700_000_000, "import")
            for n in range(subscribers)
        ]  # fmt: skip
        with connection.transaction():
            connection.many(
                "INSERT INTO subscribers (id, email, email_key, language, components, confirmed, secret, created_at, "
                "confirmed_at, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
    done = subprocess.run(
        [*COMMAND, "notify", "--source", str(site), "--now", NOW], capture_output=True, text=True, env=ENVIRON
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (site / "content" / "incidents" / "api-errors.md").write_text(INCIDENT, "utf-8")
    return site


def timed_notify(site: Path) -> dict[str, Any]:
    """One ``inloop notify`` process: seconds, peak RSS, what it printed."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", PEAK, "notify", "--source", str(site), "--now", NOW],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENVIRON,
    )
    out, err = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    lines = out.decode().splitlines()
    if process.returncode != 0:
        raise SystemExit(f"inloop notify failed ({process.returncode}):\n{out.decode()}{err.decode()}")
    cpu = usage.ru_utime + usage.ru_stime
    peak = [int(line.split()[1]) for line in err.decode().splitlines() if line.startswith("peak-rss-kb ")]
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": peak[-1] / 1024, "output": lines}


# -- the baselines ------------------------------------------------------------------------------------------------


def baseline(port: int, sample: int, naive: bool, tls: Path | None) -> float:
    """Seconds per message of one message per connection, in a loop, over ``sample`` messages."""
    from inloop.notify.bulkmail import BulkTemplate, Personal
    from inloop.notify.channels import Message, email_message
    from inloop.notify.settings import Smtp, Subscriber

    smtp = Smtp(host="127.0.0.1", port=port, starttls=False, sender="Bench Status <status@bench.example>")
    text = INCIDENT.split("\n")[-2]
    message = Message(
        "incidents/api-errors/#update-20261126T100000Z", "incident_update", datetime(2026, 11, 26, 10, tzinfo=UTC),
        None, "Investigating", "[Investigating] API errors", text, f"<p>{text}</p>",  # type: ignore[arg-type]
        "https://status.bench.example/incidents/api-errors/#update-20261126T100000Z", "Bench Status", "Investigating",
    )  # fmt: skip
    template = BulkTemplate(message, smtp, "status.bench.example", NullTranslations())
    manage = "https://status.bench.example/subscriptions/manage?token=" + "a" * 32 + "." + "b" * 43
    started = time.perf_counter()
    for n in range(sample):
        address = f"reader{n}@example.com"
        delivery = f"{n:032x}"
        client = smtplib.SMTP("127.0.0.1", port, timeout=30)
        if tls is not None:
            client.starttls(context=ssl.create_default_context(cafile=tls / "cert.pem"))
        if naive:
            client.send_message(email_message(message, Subscriber(address, None, ()), smtp, delivery, "bench.example"))
        else:
            item = template.render(str(n), Personal(address, delivery, manage, manage.replace("manage", "unsubscribe")))
            client.sendmail("status@bench.example", [address], item.data)
        client.quit()
    return (time.perf_counter() - started) / sample


# -- the run -------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000, help="a second, smaller run, for memory")
    parser.add_argument("--sample", type=int, default=2000, help="messages the baselines send")
    parser.add_argument("--sinks", type=int, default=2, help="aiosmtpd processes sharing the port")
    parser.add_argument("--connections", type=int, default=None, help="[notify.smtp] connections (default: inloop's)")
    parser.add_argument("--tls", action="store_true", help="STARTTLS (inloop's default) with a self-signed cert")
    parser.add_argument("--sink", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--tls-folder", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink is not None:
        run_sink(args.sink, args.tls_folder)
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    results: dict[str, Any] = {"cpus": os.cpu_count(), "sinks": args.sinks, "connections": args.connections}
    results["tls"] = args.tls
    with tempfile.TemporaryDirectory(prefix="inloop-bench-notify-") as temp:
        tls = make_certificate(Path(temp)) if args.tls else None
        if tls is not None:
            ENVIRON["SSL_CERT_FILE"] = str(tls / "cert.pem")
        sinks = Sinks(args.sinks, tls)
        try:
            for size in dict.fromkeys((args.small, args.subscribers)):
                print(f"making {size:,} subscribers ...", file=sys.stderr)
                site = make_site(Path(temp), size, sinks.port, args.connections, tls is not None)
                print(f"inloop notify to {size:,} ...", file=sys.stderr)
                run = timed_notify(site)
                run["messages_per_second"] = size / run["seconds"]
                results[f"pool_{size}"] = run
            print(f"baselines on {args.sample:,} messages ...", file=sys.stderr)
            results["naive_per_message"] = baseline(sinks.port, args.sample, naive=True, tls=tls)
            results["per_connection_per_message"] = baseline(sinks.port, args.sample, naive=False, tls=tls)
        finally:
            received, sink_cpu = sinks.stop()
    expected = args.small + args.subscribers + 2 * args.sample if args.small != args.subscribers else 0
    results["sink_received"] = received
    big, small = results[f"pool_{args.subscribers}"], results[f"pool_{args.small}"]
    naive = results["naive_per_message"] * args.subscribers
    per_connection = results["per_connection_per_message"] * args.subscribers
    sinks_said = f"{args.sinks} sink process{'es' if args.sinks != 1 else ''}"
    over = "STARTTLS" if args.tls else "plain SMTP, no TLS"
    print(f"\ninloop notify, one update to {args.subscribers:,} database subscribers (SQLite), {sinks_said}, {over}")
    for label, run in ((f"{args.subscribers:,}", big), (f"{args.small:,}", small)):
        print(f"  pool, {label:>8}: {run['seconds']:7.1f} s  {run['messages_per_second']:6.0f} messages/s  "
              f"peak RSS {run['peak_rss_mb']:.0f} MB  (CPU {run['cpu_seconds']:.1f} s)")  # fmt: skip
    print(f"  naive loop (email package per message, new connection per message), measured on {args.sample:,} "
          f"and extrapolated: {naive:.0f} s ({1 / results['naive_per_message']:.0f} messages/s)")  # fmt: skip
    print(f"  new connection per message, same bytes as the pool, measured on {args.sample:,} and extrapolated: "
          f"{per_connection:.0f} s ({1 / results['per_connection_per_message']:.0f} messages/s)")  # fmt: skip
    print(f"  ratio to the naive loop: {naive / big['seconds']:.1f}x; to one connection per message: "
          f"{per_connection / big['seconds']:.1f}x")  # fmt: skip
    print(f"  the sink received {received:,} messages" + (f" (expected {expected:,})" if expected else "")
          + f", using {sink_cpu:.1f} CPU seconds in all")  # fmt: skip
    target_time = big["seconds"] < 300
    target_ratio = naive / big["seconds"] >= 10
    print(f"{'PASS' if target_time else 'FAIL'} {args.subscribers:,} in under 5 minutes ({big['seconds']:.0f} s)")
    print(f"{'PASS' if target_ratio else 'FAIL'} at least 10x the naive loop ({naive / big['seconds']:.1f}x)")
    print(json.dumps({k: v for k, v in results.items()}, default=str), file=sys.stderr)


if __name__ == "__main__":
    main()
