"""What the service refuses: too many requests, robots, oversized bodies, bad addresses; and what it escapes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from subs_fixtures import START, Mailbox, Running, link, start_service

from inloop.subscriptions import store


def test_at_most_three_confirmations_an_hour_per_address(running: Running) -> None:
    answers = [running.sign_up("flood@example.com").status for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert len(running.mailbox.messages) == 3
    running.clock.now = START + 3601
    assert running.sign_up("flood@example.com").status == 200
    assert len(running.mailbox.messages) == 4


def test_the_address_limit_counts_every_spelling_of_it(running: Running) -> None:
    for address in ("case@example.com", "CASE@example.com", "Case@Example.COM"):
        assert running.sign_up(address).status == 200
    assert running.sign_up("cAsE@example.com").status == 429
    assert len(running.mailbox.messages) == 3


@pytest.fixture
def strict(tmp_path: Path, smtp_server: tuple[int, Mailbox]) -> Iterator[Running]:
    extra = "client_per_hour = 5\nemail_per_hour = 1\nmax_request_bytes = 2000\n"
    yield from start_service(tmp_path, smtp_server[0], smtp_server[1], "sqlite:///subscribers.db", extra)


def test_per_client_limit(strict: Running) -> None:
    answers = [strict.sign_up(f"user{n}@example.com") for n in range(6)]
    assert [a.status for a in answers] == [200] * 5 + [429]
    assert answers[-1].headers["Retry-After"] == "3600"
    assert len(strict.mailbox.messages) == 5
    strict.clock.now = START + 3601
    assert strict.sign_up("user9@example.com").status == 200


def test_settings_change_the_limits(strict: Running) -> None:
    assert strict.sign_up("once@example.com").status == 200
    assert strict.sign_up("once@example.com").status == 429


def test_the_honeypot_sends_nothing_and_says_the_same(running: Running) -> None:
    trapped = running.sign_up("robot@example.com", website="http://spam.example")
    person = running.sign_up("human@example.com")
    assert trapped.status == person.status == 200
    assert trapped.body.replace("robot@", "X@") == person.body.replace("human@", "X@")
    assert running.mailbox.recipients == [["human@example.com"]]
    with running.service.database.connect() as connection:
        assert store.by_email(connection, "robot@example.com") is None


def test_oversized_requests_get_413(strict: Running) -> None:
    answer = strict.post("subscribe", {"email": "big@example.com", "filler": "x" * 5000})
    assert answer.status == 413
    assert strict.mailbox.messages == []
    unsubscribe = strict.request("POST", "unsubscribe?token=x", b"x" * 3000)
    assert unsubscribe.status == 413


@pytest.mark.parametrize(
    "address",
    [
        "",
        "plain",
        "two@@example.com",
        "a@b",
        "space in@example.com",
        "x@-bad-.example",
        "a@example.com, b@example.com",
        "line\r\nBcc: victim@example.com",
        "x" * 250 + "@example.com",
    ],
)
def test_addresses_are_checked(running: Running, address: str) -> None:
    answer = running.sign_up(address)
    assert answer.status == 400
    assert running.mailbox.messages == []


def test_everything_a_visitor_types_is_escaped(running: Running) -> None:
    hostile = '<script>alert(1)</script>"onmouseover=x@example.com'
    answer = running.sign_up(hostile)
    assert answer.status == 400
    assert "<script>alert(1)</script>" not in answer.body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.body
    assert '"onmouseover' not in answer.body
    odd = running.post("subscribe", {"email": "ok@example.com", "components": ["<b>x</b>"], "language": "en"})
    assert odd.status == 400 and "<b>x</b>" not in odd.body
    valid_but_odd = "o'brien&<x>@example.com"
    answer = running.sign_up(valid_but_odd)
    assert "<x>" not in answer.body
    page = running.get("confirm?token=<script>alert(1)</script>")
    assert page.status == 400 and "<script>alert(1)" not in page.body


def test_no_confirmation_to_an_address_that_just_unsubscribed(running: Running) -> None:
    running.sign_up("leaver@example.com")
    mail = running.mailbox.messages[0]
    running.get(link(mail, "confirm"))
    assert running.post(mail["List-Unsubscribe"].strip("<>"), {"List-Unsubscribe": "One-Click"}).status == 200
    again = running.sign_up("leaver@example.com")
    assert again.status == 200  # the same page: the form says nothing about the address
    assert len(running.mailbox.messages) == 1
    running.clock.now = START + 24 * 3600 + 1
    assert running.sign_up("leaver@example.com").status == 200
    assert len(running.mailbox.messages) == 2


def test_no_confirmation_to_an_address_that_bounced(running: Running) -> None:
    with running.service.database.connect() as connection:
        store.suppress(connection, "bouncy@example.com", "bounced", int(START) - 60)
    assert running.sign_up("bouncy@example.com").status == 200
    assert running.mailbox.messages == []


def test_unknown_routes_and_methods(running: Running) -> None:
    assert running.get("nothing-here").status == 404
    assert running.request("PUT", "subscribe", b"").status == 405
    assert running.get("health").body == "ok\n"
