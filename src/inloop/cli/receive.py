"""``inloop receive``: turn alert webhooks into incident files, then build (or publish).

Thin, like the other commands: read the settings, make the receiver, serve.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click

from inloop.cli.options import make_builder, output_option, report_errors, source_option
from inloop.errors import BuildError, UsageError


def _log(line: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    click.echo(f"{stamp} {line}", err=True)


def follow_up_action(
    source: str,
    output: str | None,
    then: str,
    publish_to: str | None,
    clock: Callable[[], datetime],
    log: Callable[[str], None],
) -> Callable[[], None]:
    """What runs after alerts were written: a build into the output folder, or build, publish and notify."""
    builder = make_builder(source, output)

    def run() -> None:
        now = clock()
        try:
            report = builder.build_once(now)
        except BuildError as exc:
            log(f"build failed ({len(exc.problems)} errors); the site was not changed:")
            for problem in exc.problems:
                log(f"  {problem}")
            return
        log(f"built {report.files} files in {report.seconds * 1000:.0f} ms: {len(report.written)} written")
        if then != "publish" or publish_to is None:
            return
        from inloop.cli.publish import _publish_settings
        from inloop.notify import notify
        from inloop.publish import publish_site
        from inloop.read.config import CONFIG_NAME, load_config

        loaded = load_config(builder.source, CONFIG_NAME)
        raw = dict(loaded.config.raw_tables).get("publish", {}) if loaded.config else {}
        result = publish_site(
            builder.output, publish_to, settings=_publish_settings(builder.source, CONFIG_NAME, raw), progress=False
        )
        log(result.lines()[-1] if result.lines() else f"published to {publish_to}")
        if loaded.config is not None and "notify" in dict(loaded.config.raw_tables):
            sent = notify(builder.source, now=now, shown_source=source)
            for line in sent.lines():
                log(line)

    return run


@click.command("receive")
@source_option
@output_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", "-p", default=9095, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--commit", is_flag=True, help="Commit the content files each alert changed to the git repository.")
@report_errors
def receive(source: str, output: str | None, host: str, port: int, commit: bool) -> None:
    """Receive alert webhooks and turn them into incidents in content/.

    POST /alertmanager (Prometheus Alertmanager, webhook version 4),
    /grafana (Grafana unified alerting) or /generic (JSON: status, labels,
    annotations, fingerprint), with 'Authorization: Bearer TOKEN', the token
    from the environment variable [alerts] token_env names.  The rules in
    [[alerts.rules]] say which alerts open which incidents.  After each
    change the site is built into the output folder (or, with [alerts]
    then = "publish", built, published to publish_to and notified).
    """
    from inloop.alerts.receiver import Receiver
    from inloop.alerts.server import FollowUp, ReceiverServer
    from inloop.alerts.settings import read_alert_settings
    from inloop.authoring.site import load_site

    root = Path(source)
    config = load_site(root, source)
    settings = read_alert_settings(root, source, config)
    assert settings.token_env is not None
    token = os.environ.get(settings.token_env, "").strip()
    if not token:
        raise UsageError(
            f"the environment variable {settings.token_env} ([alerts] token_env) is not set: "
            "set it to the token your alert senders send as 'Authorization: Bearer TOKEN'"
        )

    def clock() -> datetime:
        return datetime.now(UTC)

    action = follow_up_action(source, output, settings.then, settings.publish_to, clock, _log)
    follow_up = FollowUp(action, _log)
    receiver = Receiver(root, source, settings, clock, _log, commit=commit)
    try:
        server = ReceiverServer((host, port), receiver, token, follow_up, _log)
    except OSError as exc:
        follow_up.stop()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    bound_host, bound_port = server.server_address[:2]
    rules = len(settings.rules)
    click.echo(
        f"receiving alerts on http://{bound_host!s}:{bound_port}/alertmanager, /grafana and /generic "
        f"({rules} rule{'s' if rules != 1 else ''}; Ctrl+C stops)",
        err=True,
    )
    sys.stderr.flush()
    follow_up.request()  # build once now, so that the first alert's build is a small one

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        server.server_close()
        follow_up.stop()


def register(group: click.Group) -> None:
    group.add_command(receive)
