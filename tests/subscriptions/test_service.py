"""The service end to end over HTTP, on SQLite and on PostgreSQL: sign-up, confirmation, manage, unsubscribe."""

from __future__ import annotations

from subs_fixtures import START, Running, link

from inloop.subscriptions import store


def confirmed(running: Running, address: str) -> bool | None:
    with running.service.database.connect() as connection:
        found = store.by_email(connection, address)
    return None if found is None else found.confirmed


def test_sign_up_confirm_manage_and_one_click_unsubscribe(running_any: Running) -> None:
    running = running_any
    answer = running.post(
        "subscribe", {"email": "Ada@Example.com", "components": ["api"], "language": "de", "website": ""}
    )
    assert answer.status == 200
    assert "Ada@Example.com" in answer.body
    assert '<link rel="stylesheet"' in answer.body and "Test Status" in answer.body  # the site's look
    assert confirmed(running, "ada@example.com") is False
    [mail] = running.mailbox.messages
    assert running.mailbox.recipients == [["Ada@Example.com"]]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = mail["List-Unsubscribe"].strip("<>")
    assert unsubscribe_url.startswith(running.url + "unsubscribe?token=")
    assert "Abonnement" in mail["Subject"]  # in the language chosen: German
    confirm = link(mail, "confirm")

    page = running.get(confirm)
    assert page.status == 200
    assert confirmed(running, "ada@example.com") is True
    assert running.get(confirm).status == 410  # single use

    with running.service.database.connect() as connection:
        subscriber = store.by_email(connection, "ada@example.com")
    assert subscriber is not None and subscriber.components == ("api",) and subscriber.language == "de"

    manage = link(mail, "manage")
    page = running.get(manage)
    assert page.status == 200 and 'value="api" checked' in page.body and 'value="web">' in page.body
    token = manage.split("token=", 1)[1]
    saved = running.post("manage", {"token": token, "action": "save", "components": ["web"], "language": "fr"})
    assert saved.status == 200
    with running.service.database.connect() as connection:
        subscriber = store.by_email(connection, "ada@example.com")
    assert subscriber is not None and subscriber.components == ("web",) and subscriber.language == "fr"

    # RFC 8058: what a mail client sends, and nothing more is asked
    answer = running.request(
        "POST",
        unsubscribe_url,
        b"List-Unsubscribe=One-Click",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status == 200
    assert confirmed(running, "ada@example.com") is None
    with running.service.database.connect() as connection:
        assert store.every(connection, confirmed_only=True) == []
    assert running.get(manage).status == 410


def test_signing_up_again_mails_a_manage_link_and_says_the_same(running_any: Running) -> None:
    running = running_any
    first = running.sign_up("bob@example.com")
    running.get(link(running.mailbox.messages[0], "confirm"))
    again = running.sign_up("bob@example.com")
    new = running.sign_up("carol@example.com")
    assert first.status == again.status == new.status == 200
    assert again.body.replace("bob@", "X@") == new.body.replace("carol@", "X@")
    manage_mail = running.mailbox.messages[1]
    assert [found for found in _routes(manage_mail)] == ["manage"]
    assert manage_mail["List-Unsubscribe"]
    assert confirmed(running, "bob@example.com") is True


def _routes(mail: object) -> list[str]:
    from subs_fixtures import links

    assert hasattr(mail, "get_body")
    return sorted({url.split("?")[0].rsplit("/", 1)[1] for url in links(mail)})  # type: ignore[arg-type]


def test_expired_link_and_pending_sign_up_deleted(running_any: Running) -> None:
    running = running_any
    running.sign_up("dan@example.com")
    confirm = link(running.mailbox.messages[0], "confirm")
    running.clock.now = START + 7 * 24 * 3600 + 1
    assert running.get(confirm).status == 410
    assert confirmed(running, "dan@example.com") is None  # the unconfirmed sign-up is gone


def test_a_new_sign_up_replaces_the_pending_link(running: Running) -> None:
    running.sign_up("eve@example.com")
    running.sign_up("eve@example.com")
    old, new = (link(m, "confirm") for m in running.mailbox.messages)
    assert running.get(old).status == 410
    assert running.get(new).status == 200


def test_forged_and_altered_tokens_are_refused(running: Running) -> None:
    running.sign_up("fay@example.com")
    mail = running.mailbox.messages[0]
    confirm, manage = link(mail, "confirm"), link(mail, "manage")
    base, token = confirm.split("token=")
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert running.get(base + "token=" + altered).status == 400
    assert running.get(base + "token=nonsense").status == 400
    assert running.get(base + "token=").status == 400
    payload, signature = token.split(".")
    import base64

    decoded = base64.urlsafe_b64decode(payload + "==").decode()
    later = decoded.rsplit(".", 1)[0] + ".9999999999"
    forged = base64.urlsafe_b64encode(later.encode()).decode().rstrip("=") + "." + signature
    assert running.get(base + "token=" + forged).status == 400
    m_base, m_token = manage.split("token=")
    assert running.get(m_base + "token=" + m_token[:-3] + "xyz").status == 400
    assert running.post("unsubscribe?token=" + m_token[:-3] + "xyz", {}).status == 400
    assert confirmed(running, "fay@example.com") is False
    assert running.get(confirm).status == 200


def test_unsubscribe_link_asks_before_it_acts(running: Running) -> None:
    running.sign_up("gus@example.com")
    mail = running.mailbox.messages[0]
    running.get(link(mail, "confirm"))
    url = mail["List-Unsubscribe"].strip("<>")
    page = running.get(url)
    assert page.status == 200 and 'method="post"' in page.body
    assert confirmed(running, "gus@example.com") is True  # a GET (a link scanner) changes nothing
    assert running.post(url, {}).status == 200
    assert confirmed(running, "gus@example.com") is None
