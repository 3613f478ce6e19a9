"""Notify never wedges: bad titles, bad subscriber rows, redirecting webhooks, secrets in URLs.

Every test runs against a real SMTP server (aiosmtpd) or a real HTTP server on
127.0.0.1.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from notify_fixtures import Mailbox, Receiver, free_port, incident

from inloop.cli.main import main

NOW = "2026-11-26 12:00 UTC"
NOW_TIME = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def run_notify(site: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["notify", "--source", str(site), "--now", NOW, *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def state_of(site: Path) -> dict[str, dict[str, object]]:
    events: dict[str, dict[str, object]] = json.loads((site / ".inloop" / "notify-state.json").read_text())["events"]
    return events


def add_incident(site: Path, name: str, title_yaml: str) -> Path:
    """An incident with two updates today, its title written as YAML (quoted by the caller)."""
    text = incident(
        "PLACEHOLDER",
        [
            ("2026-11-26 10:00 UTC", "Investigating", "We are looking into errors."),
            ("2026-11-26 10:30 UTC", "Identified", "A bad deploy; rolling back."),
        ],
    )
    path = site / "content" / "incidents" / f"{name}.md"
    path.write_text(text.replace("title: PLACEHOLDER", f"title: {title_yaml}"))
    return path


# -- headers -------------------------------------------------------------------------------------------------


def test_a_title_with_line_breaks_is_sent_on_one_header_line(
    notify_site: Path, smtp_server: tuple[int, Mailbox], receiver: Receiver
) -> None:
    """Before: ValueError from the email package on every run, and nothing ever sent again."""
    mailbox = smtp_server[1]
    assert run_notify(notify_site)[0] == 0  # the first run: the starting point
    add_incident(notify_site, "injected", '"Down\\r\\nBcc: victim@evil.example\\nX-Spam: yes"')
    code, output = run_notify(notify_site)
    assert code == 0, output
    assert len(receiver.requests) == 2
    assert sorted(str(m["To"]) for m in mailbox.messages) == ["all@example.com"] * 2 + ["api-only@example.com"] * 2
    for recipients, raw in mailbox.envelopes:
        assert len(recipients) == 1 and "victim@evil.example" not in recipients
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert b"\nBcc:" not in head and b"\nX-Spam:" not in head
    english = [m for m in mailbox.messages if m["To"] == "all@example.com"]
    subjects = {" ".join(str(m["Subject"]).split()) for m in english}
    assert subjects == {
        "[Investigating] Down Bcc: victim@evil.example X-Spam: yes – Test Status",
        "[Identified] Down Bcc: victim@evil.example X-Spam: yes – Test Status",
    }
    for message in mailbox.messages:
        assert set(message.keys()) == {
            "Subject",
            "From",
            "To",
            "Date",
            "Message-ID",
            "Inloop-Delivery",
            "List-Unsubscribe",
            "MIME-Version",
            "Content-Type",
        }
    assert all(record.get("done") for record in state_of(notify_site).values())


def test_a_long_non_ascii_title_is_folded_and_encoded(notify_site: Path, smtp_server: tuple[int, Mailbox]) -> None:
    mailbox = smtp_server[1]
    run_notify(notify_site)
    title = "Zahlungen schlagen fehl für Kundinnen in Österreich " * 4
    add_incident(notify_site, "long", json.dumps(title.strip()))
    code, output = run_notify(notify_site)
    assert code == 0, output
    for _, raw in mailbox.envelopes:
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert head.isascii()
        assert max(len(line) for line in head.split(b"\r\n")) <= 78
    english = [m for m in mailbox.messages if m["To"] == "all@example.com"]
    subjects = sorted(" ".join(str(m["Subject"]).split()) for m in english)
    assert subjects == [f"[Identified] {title.strip()} – Test Status", f"[Investigating] {title.strip()} – Test Status"]


# -- one bad recipient ---------------------------------------------------------------------------------------


def test_a_subscriber_row_that_cannot_be_written_to_fails_alone(
    notify_site: Path, smtp_server: tuple[int, Mailbox], receiver: Receiver
) -> None:
    """Before: the whole run stopped (or raised ValueError) for one row; now the row fails on its own."""
    mailbox = smtp_server[1]
    listing = notify_site / "subscribers.csv"
    listing.write_text(
        "email,language,components\n"
        "all@example.com,,\n"
        '"bad@example.com\nBcc: victim@evil.example",,\n'
        "\n"
        "no-at-sign,,\n"
        "api-only@example.com,de,api\n"
    )
    assert run_notify(notify_site)[0] == 0
    add_incident(notify_site, "new-one", "New one")
    code, output = run_notify(notify_site)
    assert code == 1
    lines = output.splitlines()
    assert f"{notify_site}/subscribers.csv:3: 'bad@example.com\\nBcc: victim@evil.example' is not an email address" in (
        lines
    )
    assert f"{notify_site}/subscribers.csv:6: 'no-at-sign' is not an email address" in lines
    assert "4 deliveries failed; they stay pending for the next run" in lines
    # everybody else got both updates
    assert sorted(str(m["To"]) for m in mailbox.messages) == ["all@example.com"] * 2 + ["api-only@example.com"] * 2
    assert len(receiver.requests) == 2
    assert all(len(recipients) == 1 for recipients, _ in mailbox.envelopes)
    events = state_of(notify_site)
    pending = {key: record for key, record in events.items() if not record.get("done")}
    assert sorted(pending) == [
        "incidents/new-one/#update-20261126T100000Z",
        "incidents/new-one/#update-20261126T103000Z",
    ]
    for record in pending.values():
        assert record["failed"] == {
            "email:bad@example.com\nbcc: victim@evil.example": "'bad@example.com\\nBcc: victim@evil.example' "
            "is not an email address",
            "email:no-at-sign": "'no-at-sign' is not an email address",
        }
    # fixed: the next run sends to the two rows, and to nobody else again
    listing.write_text(
        "email,language,components\nall@example.com,,\nbad@example.com,,\nno-at-sign@example.com,,\n"
        "api-only@example.com,de,api\n"
    )
    code, output = run_notify(notify_site)
    assert code == 0, output
    later = sorted(str(m["To"]) for m in mailbox.messages[4:])
    assert later == ["bad@example.com"] * 2 + ["no-at-sign@example.com"] * 2
    assert len(receiver.requests) == 2


def test_dry_run_reports_a_bad_row_and_records_nothing(notify_site: Path) -> None:
    (notify_site / "subscribers.csv").write_text("email,language,components\nall@example.com,,\nnobody,,\n")
    run_notify(notify_site)
    add_incident(notify_site, "new-one", "New one")
    before = (notify_site / ".inloop" / "notify-state.json").read_bytes()
    code, output = run_notify(notify_site, "--dry-run")
    assert code == 1
    assert f"{notify_site}/subscribers.csv:3: 'nobody' is not an email address" in output.splitlines()
    assert output.splitlines()[-2:] == [
        "would send 4 messages; nothing sent, nothing recorded (dry run)",
        "2 messages could not be built; they would stay pending",
    ]
    assert (notify_site / ".inloop" / "notify-state.json").read_bytes() == before


def test_bad_sender_is_a_config_error_with_its_line(notify_site: Path, smtp_server: tuple[int, Mailbox]) -> None:
    config = notify_site / "inloop.toml"
    config.write_text(
        config.read_text().replace(
            'sender = "Test Status <status@test.example>"', 'sender = "Test Status <status@test.example>\\nBcc: x@y.z"'
        )
    )
    code, output = run_notify(notify_site)
    assert code == 1
    line = next(i for i, text in enumerate(config.read_text().splitlines(), 1) if text.startswith("sender = "))
    assert (
        f"{notify_site}/inloop.toml:{line}: 'sender' must be one address on one line, "
        "e.g. \"Acme Status <status@acme.example>\"; found 'Test Status <status@test.example>\\nBcc: x@y.z'"
    ) in output.splitlines()
    assert smtp_server[1].messages == []


# -- webhooks: only a 2xx counts, redirects are never followed -------------------------------------------------


@dataclass
class Answering:
    """An HTTP server that answers each path with a fixed status, and records every request."""

    port: int
    requests: list[tuple[str, str, bytes]] = field(default_factory=list)  # (method, path, body)
    statuses: dict[str, int] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def answering() -> Iterator[Answering]:
    state = Answering(free_port())
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state.requests.append((self.command, self.path, body))
            status = state.statuses.get(self.path, 200)
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", f"/landing/secret-token-{status}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_GET = do_HEAD = answer

    server = http.server.ThreadingHTTPServer(("127.0.0.1", state.port), Handler)
    # shutdown() waits for the loop's next poll: every 10 ms, not the default 0.5 s
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def hook_site(tmp_path: Path, urls: list[str]) -> Path:
    site = tmp_path / "hooks"
    (site / "content" / "incidents").mkdir(parents=True)
    hooks = "".join(f'\n[[notify.webhooks]]\nurl = "{url}"\n' for url in urls)
    (site / "inloop.toml").write_text(
        'title = "Test Status"\nbase_url = "https://status.test.example/"\n\n'
        '[[components]]\nid = "api"\nname = "API"\n\n'
        "[notify]\nretries = 2\nretry_seconds = 0.01\n" + hooks
    )
    return site


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308, 500])
def test_a_webhook_that_does_not_answer_2xx_keeps_the_message_pending(
    tmp_path: Path, answering: Answering, status: int
) -> None:
    """Before: a 302 was followed as a GET without the body and recorded as sent."""
    path = f"/hook/T0123/B0456/very-secret-{status}"
    answering.statuses[path] = status
    site = hook_site(tmp_path, [answering.url(path)])
    run_notify(site)
    add_incident(site, "new-one", "New one")
    code, output = run_notify(site)
    assert code == 1
    # only the POSTs to the hook itself, one per try: the redirect was never followed
    assert [(method, where) for method, where, _ in answering.requests] == [("POST", path)] * 4
    assert all(json.loads(body)["incident"]["id"] == "new-one" for _, _, body in answering.requests)
    shown = f"http://127.0.0.1:{answering.port}/…"
    if status == 500:
        reason = "HTTP 500"
    else:
        reason = f"HTTP {status}: the webhook redirects to /…; redirects are not followed, so nothing was delivered"
    assert output.splitlines() == [
        f"failed: incidents/new-one/#update-20261126T100000Z to {shown}: {reason}",
        f"failed: incidents/new-one/#update-20261126T103000Z to {shown}: {reason}",
        "2 deliveries failed; they stay pending for the next run",
    ]
    assert "very-secret" not in output and "secret-token" not in output
    assert not any(record.get("done") for record in state_of(site).values())
    # the hook is fixed: the next run delivers both, as POSTs with their bodies
    answering.statuses[path] = 200
    code, output = run_notify(site)
    assert code == 0, output
    assert [method for method, _, _ in answering.requests[4:]] == ["POST", "POST"]
    assert all(record.get("done") for record in state_of(site).values())


def test_only_the_failing_hook_stays_pending(tmp_path: Path, answering: Answering) -> None:
    answering.statuses["/moved"] = 302
    site = hook_site(tmp_path, [answering.url("/moved"), answering.url("/fine")])
    run_notify(site)
    add_incident(site, "new-one", "New one")
    code, output = run_notify(site)
    assert code == 1
    assert output.splitlines()[:2] == [
        f"sent: incidents/new-one/#update-20261126T100000Z to http://127.0.0.1:{answering.port}/…",
        f"sent: incidents/new-one/#update-20261126T103000Z to http://127.0.0.1:{answering.port}/…",
    ]
    assert [where for _, where, _ in answering.requests].count("/fine") == 2
    assert not any(where.startswith("/landing") for _, where, _ in answering.requests)


# -- secrets in webhook URLs ---------------------------------------------------------------------------------


def test_webhook_urls_are_never_printed_in_full(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    slack = f"http://127.0.0.1:{port}/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
    site = hook_site(tmp_path, [slack])
    run_notify(site)
    add_incident(site, "new-one", "New one")
    for extra in ((), ("--dry-run",)):
        code, output = run_notify(site, *extra)
        assert code == 1 if not extra else code == 0
        assert "XXXXXXXX" not in output and "/services/" not in output
        assert f"to http://127.0.0.1:{port}/…" in output


def test_a_bad_webhook_url_is_reported_without_its_secret(tmp_path: Path) -> None:
    site = hook_site(tmp_path, ["hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXX"])
    code, output = run_notify(site)
    assert code == 1
    line = next(
        i for i, text in enumerate((site / "inloop.toml").read_text().splitlines(), 1) if text.startswith("url =")
    )
    assert (
        f"{site}/inloop.toml:{line}: [[notify.webhooks]] needs 'url', an http or https URL on one line; "
        "found 'hooks.slack.com/…'"
    ) in output.splitlines()
    assert output.splitlines()[-1] == "notify stopped: 1 error to fix first; nothing was sent"
    assert "XXXXXXXX" not in output and "services" not in output


# -- dry run: every line true --------------------------------------------------------------------------------


def test_dry_run_of_a_first_run_says_it_records_nothing(notify_site: Path) -> None:
    """Before: 'first run: recorded 2 updates as the starting point', with nothing recorded."""
    code, output = run_notify(notify_site, "--dry-run")
    assert code == 0
    assert output.splitlines() == [
        "first run: would record 2 updates as the starting point; nothing sent, nothing recorded (dry run)"
    ]
    assert not (notify_site / ".inloop" / "notify-state.json").exists()
    code, output = run_notify(notify_site)
    assert output.splitlines() == ["first run: recorded 2 updates as the starting point; nothing sent"]


def test_dry_run_says_what_it_would_send_and_records_nothing(notify_site: Path, receiver: Receiver) -> None:
    run_notify(notify_site)
    add_incident(notify_site, "new-one", "New one")
    (notify_site / "content" / "incidents" / "backfilled.md").write_text(
        incident("Backfilled", [("2026-11-01 10:00 UTC", "Resolved", "Long ago.")])
    )
    before = (notify_site / ".inloop" / "notify-state.json").read_bytes()
    code, output = run_notify(notify_site, "--dry-run")
    assert code == 0
    hook = f"http://127.0.0.1:{receiver.port}/…"
    assert output.splitlines() == [
        f"would send: incidents/new-one/#update-20261126T100000Z to {hook}",
        "would send: incidents/new-one/#update-20261126T100000Z to all@example.com",
        "would send: incidents/new-one/#update-20261126T100000Z to api-only@example.com",
        f"would send: incidents/new-one/#update-20261126T103000Z to {hook}",
        "would send: incidents/new-one/#update-20261126T103000Z to all@example.com",
        "would send: incidents/new-one/#update-20261126T103000Z to api-only@example.com",
        "would record without sending: 1 (older than max_age or before --since)",
        "would send 6 messages; nothing sent, nothing recorded (dry run)",
    ]
    assert (notify_site / ".inloop" / "notify-state.json").read_bytes() == before
    assert receiver.requests == []
    assert run_notify(notify_site, "--dry-run")[1] == output  # the same, since nothing was recorded


def test_the_state_keeps_no_webhook_url(tmp_path: Path, answering: Answering) -> None:
    """The state may live in the site's bucket: it names a webhook by a hash of its URL."""
    url = answering.url("/services/T0/B0/secret-token")
    site = hook_site(tmp_path, [url])
    run_notify(site)
    add_incident(site, "new-one", "New one")
    assert run_notify(site)[0] == 0
    state = (site / ".inloop" / "notify-state.json").read_text()
    assert "secret-token" not in state and "/services/" not in state
    assert len(answering.requests) == 2


def test_a_state_written_with_urls_as_keys_is_still_honoured(tmp_path: Path, answering: Answering) -> None:
    url = answering.url("/hook")
    site = hook_site(tmp_path, [url])
    run_notify(site)
    add_incident(site, "new-one", "New one")
    path = site / ".inloop" / "notify-state.json"
    state = json.loads(path.read_text())
    sent = {f"webhook:{url}": "0" * 32}
    state["events"]["incidents/new-one/#update-20261126T100000Z"] = {"sent": sent, "done": False}
    path.write_text(json.dumps(state))
    assert run_notify(site)[0] == 0
    assert [json.loads(body)["update"]["time"] for _, _, body in answering.requests] == ["2026-11-26T10:30:00Z"]
