"""inloop notify against a real SMTP server and a real HTTP receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from notify_fixtures import Mailbox, Receiver, incident

from inloop.cli.main import main
from inloop.errors import UsageError
from inloop.notify import notify

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def add_incident(site: Path, name: str = "new-one", components: str = "api") -> None:
    (site / "content" / "incidents" / f"{name}.md").write_text(
        incident(
            name.replace("-", " ").title(),
            [
                ("2026-11-26 10:00 UTC", "Investigating", "We are looking into errors."),
                ("2026-11-26 10:30 UTC", "Identified", "A bad deploy; rolling back."),
            ],
            components,
        )
    )


def deliveries(mailbox: Mailbox, receiver: Receiver) -> list[tuple[str, str]]:
    """(recipient, delivery id) for every message that arrived."""
    found = [(str(m["To"]), str(m["Inloop-Delivery"])) for m in mailbox.messages]
    found += [("webhook", headers["Inloop-Delivery"]) for headers, _ in receiver.requests]
    return found


def test_first_run_records_and_sends_nothing(
    notify_site: Path, smtp_server: tuple[int, Mailbox], receiver: Receiver
) -> None:
    report = notify(notify_site, now=NOW)
    assert report.first_run and report.recorded == 2
    assert report.lines() == ["first run: recorded 2 updates as the starting point; nothing sent"]
    assert smtp_server[1].messages == [] and receiver.requests == []
    state = json.loads((notify_site / ".inloop" / "notify-state.json").read_text())
    assert set(state["events"]) == {
        "incidents/old-one/#update-20261120T100000Z",
        "incidents/old-one/#update-20261120T110000Z",
    }


def test_new_updates_reach_every_channel_once(
    notify_site: Path, smtp_server: tuple[int, Mailbox], receiver: Receiver
) -> None:
    mailbox = smtp_server[1]
    notify(notify_site, now=NOW)
    add_incident(notify_site)
    report = notify(notify_site, now=NOW)
    assert report.ok
    # two updates, to the webhook, all@ and api-only@ (web-only@ filters on 'web')
    assert len(receiver.requests) == 2
    assert sorted(str(m["To"]) for m in mailbox.messages) == ["all@example.com"] * 2 + ["api-only@example.com"] * 2
    payload = receiver.payloads[0]
    assert payload["type"] == "incident_update"
    assert payload["incident"] == {
        "id": "new-one",
        "kind": "incidents",
        "title": "New One",
        "url": "https://status.test.example/incidents/new-one/",
        "impact": "minor",
        "status": "Identified",
    }
    assert payload["update"]["status"] == "Investigating"
    assert payload["update"]["time"] == "2026-11-26T10:00:00Z"
    assert payload["update"]["text"] == "We are looking into errors."
    assert payload["update"]["url"] == "https://status.test.example/incidents/new-one/#update-20261126T100000Z"
    # a third run sends nothing more
    again = notify(notify_site, now=NOW)
    assert again.sent == [] and again.lines() == ["nothing new to send"]
    assert len(receiver.requests) == 2 and len(mailbox.messages) == 4


def test_signature_verifies(notify_site: Path, receiver: Receiver) -> None:
    notify(notify_site, now=NOW)
    add_incident(notify_site)
    notify(notify_site, now=NOW)
    for headers, body in receiver.requests:
        parts = dict(part.split("=", 1) for part in headers["Inloop-Signature"].split(","))
        expected = hmac.new(b"s3cret", parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(parts["v1"], expected)
        assert json.loads(body)["id"] == headers["Inloop-Delivery"]


def test_email_has_text_html_and_headers(notify_site: Path, smtp_server: tuple[int, Mailbox]) -> None:
    notify(notify_site, now=NOW)
    add_incident(notify_site)
    notify(notify_site, now=NOW)
    german = [m for m in smtp_server[1].messages if m["To"] == "api-only@example.com"]
    message = german[0]
    assert message["List-Unsubscribe"] == "<mailto:unsubscribe@test.example>"
    assert message["Message-ID"] == f"<{message['Inloop-Delivery']}@status.test.example>"
    assert message["Subject"].endswith("New One – Test Status")
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and "We are looking into errors." in plain.get_content()
    assert html is not None and "<p>We are looking into errors.</p>" in html.get_content()


def test_old_updates_are_recorded_not_sent(notify_site: Path, receiver: Receiver) -> None:
    notify(notify_site, now=NOW)
    (notify_site / "content" / "incidents" / "backfilled.md").write_text(
        incident("Backfilled", [("2026-11-01 10:00 UTC", "Resolved", "Long ago.")])
    )
    report = notify(notify_site, now=NOW)
    assert report.sent == [] and report.recorded == 1
    assert receiver.requests == []


def test_backdated_update_within_max_age_is_not_missed(notify_site: Path, receiver: Receiver) -> None:
    notify(notify_site, now=NOW)
    later = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)
    add_incident(notify_site)
    notify(notify_site, now=later)
    # an update dated before the last run, added afterwards
    path = notify_site / "content" / "incidents" / "new-one.md"
    path.write_text(path.read_text() + "## 2026-11-26 10:15 UTC — Update\nStill on it.\n")
    report = notify(notify_site, now=later)
    assert [line.split(" to ")[0] for line in report.sent] == ["incidents/new-one/#update-20261126T101500Z"] * 3


def test_editing_text_does_not_resend(notify_site: Path, receiver: Receiver) -> None:
    notify(notify_site, now=NOW)
    add_incident(notify_site)
    notify(notify_site, now=NOW)
    path = notify_site / "content" / "incidents" / "new-one.md"
    path.write_text(path.read_text().replace("rolling back", "rolling the deploy back"))
    assert notify(notify_site, now=NOW).sent == []


def test_failed_delivery_stays_pending_and_exits_1(
    notify_site: Path, receiver: Receiver, smtp_server: tuple[int, Mailbox]
) -> None:
    notify(notify_site, now=NOW)
    add_incident(notify_site)
    receiver.fail_with = 500
    runner = CliRunner()
    result = runner.invoke(main, ["notify", "--source", str(notify_site), "--now", "2026-11-26 12:00 UTC"])
    assert result.exit_code == 1
    assert "failed: incidents/new-one/#update-20261126T100000Z to http://127.0.0.1" in result.output
    assert "HTTP 500" in result.output
    assert "2 deliveries failed; they stay pending for the next run" in result.output
    receiver.fail_with = None
    report = notify(notify_site, now=NOW)
    assert report.ok and len(receiver.requests) == 2
    assert all(label.split(" to ")[1].startswith("http://") for label in report.sent)


def test_dry_run_sends_and_records_nothing(
    notify_site: Path, receiver: Receiver, smtp_server: tuple[int, Mailbox]
) -> None:
    notify(notify_site, now=NOW)
    add_incident(notify_site)
    before = (notify_site / ".inloop" / "notify-state.json").read_bytes()
    report = notify(notify_site, now=NOW, dry_run=True)
    assert len(report.would_send) == 6
    assert receiver.requests == [] and smtp_server[1].messages == []
    assert (notify_site / ".inloop" / "notify-state.json").read_bytes() == before


def test_since_on_first_run_sends_what_came_after(notify_site: Path, receiver: Receiver) -> None:
    add_incident(notify_site)
    report = notify(notify_site, now=NOW, since=datetime(2026, 11, 26, 10, 10, tzinfo=UTC))
    assert [line.split(" to ")[0] for line in report.sent] == ["incidents/new-one/#update-20261126T103000Z"] * 3


class Crash(Exception):
    pass


@pytest.mark.parametrize("crash_at", range(1, 13))
def test_crash_at_any_point_loses_nothing(
    notify_site: Path, receiver: Receiver, smtp_server: tuple[int, Mailbox], crash_at: int
) -> None:
    """Crash after the n-th send or save; the rerun delivers everything, duplicating at most one message."""
    notify(notify_site, now=NOW)
    add_incident(notify_site)
    steps = 0

    def crash(step: str) -> None:
        nonlocal steps
        steps += 1
        if steps == crash_at:
            raise Crash(step)

    with pytest.raises(Crash):
        notify(notify_site, now=NOW, after_step=crash)
    (notify_site / ".inloop" / "notify-state.json.lock").unlink(missing_ok=True)  # as a crashed process leaves it
    notify(notify_site, now=NOW)
    arrived = deliveries(smtp_server[1], receiver)
    counts = Counter(arrived)
    assert len(counts) == 6  # every update reached every recipient
    assert sum(counts.values()) - len(counts) <= 1  # at most the one message in flight came twice
    for recipient, delivery in counts:
        assert len(delivery) == 32 and recipient


def test_second_run_while_locked_is_refused(notify_site: Path) -> None:
    notify(notify_site, now=NOW)
    lock = notify_site / ".inloop" / "notify-state.json.lock"
    lock.write_text("{}")
    with pytest.raises(UsageError, match="another 'inloop notify' is running"):
        notify(notify_site, now=NOW)
    import os
    import time

    old = time.time() - 601
    os.utime(lock, (old, old))
    notify(notify_site, now=NOW)  # a crashed run's lock is taken over
    assert not lock.exists()


def test_bad_notify_config_is_a_path_line_error(notify_site: Path) -> None:
    config = notify_site / "inloop.toml"
    config.write_text(config.read_text().replace('format = "inloop"', 'format = "teams"'))
    result = CliRunner().invoke(main, ["notify", "--source", str(notify_site), "--now", "2026-11-26 12:00 UTC"])
    assert result.exit_code == 1
    line = config.read_text().split("\n").index('format = "teams"') + 1
    assert f"inloop.toml:{line}: 'format' must be one of inloop, slack, discord; found 'teams'" in result.output
