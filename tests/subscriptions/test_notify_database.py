"""``inloop notify`` reading the service's database, on SQLite and a real PostgreSQL, against aiosmtpd.

The service runs on 127.0.0.1 (its one-click unsubscribe is POSTed for real);
subscribers are added as the service stores them, and through its form.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter

import pytest
from notify_support import LATER, NOW, add_confirmed, configure_notify, run_notify, write_incident
from subs_fixtures import Running, free_port, link

from inloop import i18n
from inloop.subscriptions import store

pytestmark = pytest.mark.server

FIRST = [
    ("2026-11-26 10:00 UTC", "Investigating", "We are looking into errors."),
    ("2026-11-26 10:30 UTC", "Identified", "A bad deploy; rolling back."),
]


def notify_mails(running: Running) -> list[tuple[str, object]]:
    """(recipient, message) of every mail ``inloop notify`` sent (the service's own mails have no delivery id)."""
    return [
        (to[0], message)
        for to, message in zip(running.mailbox.recipients, running.mailbox.messages, strict=True)
        if message["Inloop-Delivery"]
    ]


def recipients(running: Running) -> Counter[str]:
    return Counter(to for to, _ in notify_mails(running))


@pytest.fixture
def subscribed(running_any: Running, database_url: str) -> Running:
    """Five stored subscribers, one of each kind, and one signed up and confirmed through the form."""
    running = running_any
    configure_notify(running.site, database_url)
    database = running.service.database
    add_confirmed(database, "all@example.com")
    add_confirmed(database, "api-fr@example.com", "fr", ("api",))
    add_confirmed(database, "web-de@example.com", "de", ("web",))
    add_confirmed(database, "bounced@example.com")
    with database.connect() as connection:
        store.suppress(connection, "bounced@example.com", "bounced", int(time.time()))
        store.add(connection, "pending@example.com", "en", (), int(time.time()), confirmed=False, expires=2**40)
    assert running.sign_up("form@example.com", components=["api"], language="de").status == 200
    assert running.get(link(running.mailbox.messages[-1], "confirm")).status == 200
    return running


def test_each_update_reaches_exactly_the_confirmed_subscribers_it_concerns(subscribed: Running) -> None:
    running = subscribed
    code, output = run_notify(running.site)
    assert (code, output.strip()) == (0, "first run: recorded 0 updates as the starting point; nothing sent")
    write_incident(running.site, "api-errors", "api", FIRST)
    code, output = run_notify(running.site)
    assert code == 0, output
    # all components, api in French, api through the form in German; not web-de, bounced, pending
    assert recipients(running) == {"all@example.com": 2, "api-fr@example.com": 2, "form@example.com": 2}
    shown = running.service.database.shown
    assert f"sent: incidents/api-errors/#update-20261126T100000Z to 3 subscribers of {shown}" in output
    assert "all@example.com" not in output  # counts, never addresses
    write_incident(running.site, "web-slow", "web", [("2026-11-26 11:00 UTC", "Investigating", "Slow pages.")])
    assert run_notify(running.site)[0] == 0
    assert recipients(running) == {
        "all@example.com": 3,
        "api-fr@example.com": 2,
        "form@example.com": 2,
        "web-de@example.com": 1,
    }
    assert run_notify(running.site)[1].strip() == "nothing new to send"
    with running.service.database.connect() as connection:  # nothing left behind for finished updates
        assert connection.execute("SELECT COUNT(*) FROM notify_sent")[0][0] == 0


def test_each_mail_is_in_the_subscribers_language_with_personal_links(subscribed: Running) -> None:
    running = subscribed
    run_notify(running.site)
    write_incident(running.site, "api-errors", "api", FIRST[:1])
    assert run_notify(running.site)[0] == 0
    mails = dict(notify_mails(running))
    for address, language in (("all@example.com", "en"), ("api-fr@example.com", "fr"), ("form@example.com", "de")):
        message = mails[address]
        said = i18n.translations(language).gettext("Change what you receive, or unsubscribe:")
        assert language == "en" or said != "Change what you receive, or unsubscribe:"
        text = message.get_body(("plain",)).get_content()
        assert said in text and "We are looking into errors." in text
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe = message["List-Unsubscribe"]
        assert re.fullmatch(re.escape(f"<{running.url}unsubscribe?token=") + r"[0-9a-f]{32}\.[\w%-]+>", unsubscribe)
        assert message["Message-ID"] == f"<{message['Inloop-Delivery']}@status.test.example>"
        manage = link(message, "manage")
        assert manage == unsubscribe.strip("<>").replace("/unsubscribe?", "/manage?")
        html = message.get_body(("html",)).get_content()
        assert f'href="{manage}"' in html
        page = running.get(manage)
        assert page.status == 200 and address in page.body
    # the header on the wire: one line, not RFC 2047 encoded words, so mail clients can read the URL
    for raw in running.mailbox.raw:
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert b"=?utf-8?" not in b"".join(line for line in head.split(b"\r\n") if line.startswith(b"List-Unsub"))


def test_one_click_unsubscribe_stops_the_next_mail(subscribed: Running) -> None:
    running = subscribed
    run_notify(running.site)
    write_incident(running.site, "api-errors", "api", FIRST[:1])
    run_notify(running.site)
    message = dict(notify_mails(running))["api-fr@example.com"]
    answer = running.request(
        "POST",
        message["List-Unsubscribe"].strip("<>"),
        b"List-Unsubscribe=One-Click",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status == 200
    write_incident(running.site, "api-errors", "api", FIRST)  # a second update
    assert run_notify(running.site)[0] == 0
    assert recipients(running) == {"all@example.com": 2, "api-fr@example.com": 1, "form@example.com": 2}


def test_a_refused_recipient_stays_pending_and_the_others_are_sent_once(subscribed: Running) -> None:
    running = subscribed
    run_notify(running.site)
    running.mailbox.refuse["api-fr@example.com"] = ["550 5.1.1 no such user"] * 10
    running.mailbox.refuse["all@example.com"] = ["451 4.7.1 try again later"]  # once: the retry gets through
    write_incident(running.site, "api-errors", "api", FIRST[:1])
    code, output = run_notify(running.site)
    assert code == 1
    assert recipients(running) == {"all@example.com": 1, "form@example.com": 1}
    [failed] = [line for line in output.splitlines() if line.startswith("failed:")]
    assert failed.startswith("failed: incidents/api-errors/#update-20261126T100000Z to a***@example.com (subscriber ")
    assert failed.endswith("SMTP 550 5.1.1 no such user")
    assert "1 deliveries failed; they stay pending for the next run" in output
    with running.service.database.connect() as connection:
        [(error,)] = connection.execute("SELECT error FROM notify_failed")
    assert error == "SMTP 550 5.1.1 no such user"
    running.mailbox.refuse.clear()
    code, output = run_notify(running.site)
    assert code == 0, output
    assert recipients(running) == {"all@example.com": 1, "form@example.com": 1, "api-fr@example.com": 1}
    with running.service.database.connect() as connection:
        assert connection.execute("SELECT COUNT(*) FROM notify_failed")[0][0] == 0


def test_dry_run_counts_and_sends_nothing(subscribed: Running) -> None:
    running = subscribed
    run_notify(running.site)
    write_incident(running.site, "api-errors", "api", FIRST)
    state = running.site / ".inloop" / "notify-state.json"
    before = state.read_bytes()
    code, output = run_notify(running.site, NOW, "--dry-run")
    assert code == 0
    shown = running.service.database.shown
    assert f"would send: incidents/api-errors/#update-20261126T103000Z to 3 subscribers of {shown}" in output
    assert "would send 6 messages; nothing sent, nothing recorded (dry run)" in output
    assert recipients(running) == {} and state.read_bytes() == before


def test_an_unreachable_server_fails_fast_and_keeps_everything_pending(subscribed: Running) -> None:
    running = subscribed
    run_notify(running.site)
    config = running.site / "inloop.toml"
    smtp_port = re.search(r"port = (\d+)\n", config.read_text().split("[notify.smtp]")[1])
    assert smtp_port is not None
    config.write_text(config.read_text().replace(f"port = {smtp_port[1]}\n", f"port = {free_port()}\n"))
    write_incident(running.site, "api-errors", "api", FIRST)
    started = time.monotonic()
    code, output = run_notify(running.site)
    assert code == 1 and time.monotonic() - started < 20
    assert "the rest stay pending" in output and "Connection refused" in output
    config.write_text(re.sub(r"(\[notify\.smtp\][^\[]*?port = )\d+", rf"\g<1>{smtp_port[1]}", config.read_text()))
    assert run_notify(running.site)[0] == 0
    assert recipients(running) == {"all@example.com": 2, "api-fr@example.com": 2, "form@example.com": 2}


def test_messages_share_connections(running: Running) -> None:
    site = running.site
    configure_notify(site, "sqlite:///data/subscribers.db", smtp="connections = 2\nmessages_per_connection = 10")
    for n in range(30):
        add_confirmed(running.service.database, f"reader{n}@example.com")
    run_notify(site)
    write_incident(site, "api-errors", "api", FIRST[:1])
    assert run_notify(site)[0] == 0
    assert sum(recipients(running).values()) == 30
    peers = {
        peer for peer, raw in zip(running.mailbox.peers, running.mailbox.raw, strict=True) if b"Inloop-Delivery" in raw
    }
    assert 3 <= len(peers) <= 6  # 30 messages, at most 10 a connection, over 2 at once (a reconnect may add one)


def test_a_database_without_the_service_url_is_a_config_error(running: Running) -> None:
    site = running.site
    configure_notify(site, "sqlite:///data/subscribers.db")
    config = site / "inloop.toml"
    config.write_text(re.sub(r'url = "http://127\.0\.0\.1:\d+/"\n', "", config.read_text()))
    code, output = run_notify(site)
    line = config.read_text().split("\n").index('subscribers = "sqlite:///data/subscribers.db"') + 1
    assert code == 1
    assert f"inloop.toml:{line}: [notify] subscribers is the subscription service's database" in output
    assert "set [subscriptions] url" in output


def test_a_missing_sqlite_file_is_an_error_not_an_empty_list(running: Running) -> None:
    configure_notify(running.site, "sqlite:///data/typo.db")
    code, output = run_notify(running.site)
    assert code == 1 and "the subscriber database sqlite:///" in output and "typo.db does not exist" in output
    assert not (running.site / "data" / "typo.db").exists()


def test_state_and_database_agree_after_a_partial_run(subscribed: Running) -> None:
    """A run that failed for one subscriber leaves the update pending in the state, and no row for the others."""
    running = subscribed
    run_notify(running.site)
    running.mailbox.refuse["form@example.com"] = ["550 no"]
    write_incident(running.site, "api-errors", "api", FIRST[:1])
    run_notify(running.site, LATER)
    events = json.loads((running.site / ".inloop" / "notify-state.json").read_text())["events"]
    assert not events["incidents/api-errors/#update-20261126T100000Z"].get("done")
    with running.service.database.connect() as connection:
        assert connection.execute("SELECT COUNT(*) FROM notify_sent")[0][0] == 2


def test_a_language_without_a_locale_gets_the_sites(running: Running) -> None:
    """A row whose language no locale exists for (edited by hand) is mailed in the site's language, not skipped."""
    configure_notify(running.site, "sqlite:///data/subscribers.db")
    add_confirmed(running.service.database, "odd@example.com", "zz-Qq")
    add_confirmed(running.service.database, "french@example.com", "fr")
    run_notify(running.site)
    write_incident(running.site, "api-errors", "api", FIRST[:1])
    code, output = run_notify(running.site)
    assert code == 0, output
    mails = dict(notify_mails(running))
    assert "Change what you receive, or unsubscribe:" in mails["odd@example.com"].get_body(("plain",)).get_content()
    french = i18n.translations("fr").gettext("Change what you receive, or unsubscribe:")
    assert french in mails["french@example.com"].get_body(("plain",)).get_content()
