"""How one message reaches one recipient: a signed webhook POST, or an email.

Every message carries a delivery id that is the same for the same update and
recipient on every attempt and every run (``Inloop-Delivery``, the email's
``Message-ID``), so receivers can drop the duplicates that at-least-once
delivery allows.
"""

from __future__ import annotations

import email.policy
import hashlib
import hmac
import json
import os
import re
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from email.errors import MessageError as EmailPackageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from markupsafe import escape

from ..model import Incident, Maintenance
from ..publish.redact import redact_url
from .settings import Smtp, Subscriber, Webhook

# Characters no header value may hold: C0 and C1 controls (CR and LF among
# them), DEL, the Unicode line and paragraph separators, and lone surrogates
# (which no encoding can write).
_HEADER_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]+")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

#: Headers whose value is a list of ``<URL>``: RFC 2369 allows no encoded words in them.
_VERBATIM = frozenset({"list-unsubscribe"})
_LONGEST_LINE = 998  # RFC 5322, 2.1.1, without the CRLF


class _SmtpPolicy(email.policy.EmailPolicy):
    """``email.policy.SMTP``, except that a ``List-Unsubscribe`` header is written as it is.

    The standard policy folds a header at 78 characters, and a word longer
    than that (a personal unsubscribe URL) becomes RFC 2047 encoded words,
    which no mail client reads as a URL.  An ASCII value that fits on one
    line of 998 characters is written on one line instead.
    """

    def _verbatim(self, name: str, value: str) -> str | None:
        text = str(value)
        if name.lower() not in _VERBATIM or not text.isascii() or _HEADER_UNSAFE.search(text):
            return None
        if len(name) + 2 + len(text) > _LONGEST_LINE:
            return None
        return f"{name}: {text}{self.linesep}"

    def fold(self, name: str, value: str) -> str:
        return self._verbatim(name, value) or super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        found = self._verbatim(name, value)
        return found.encode("ascii") if found is not None else super().fold_binary(name, value)


#: Every email is built and checked with the policy it is sent with: CRLF line
#: ends, headers folded at 78 characters, non-ASCII words RFC 2047-encoded
#: (but ``List-Unsubscribe`` on one line, see :class:`_SmtpPolicy`).
POLICY = _SmtpPolicy(linesep="\r\n")

EventType = Literal["incident_update", "follow_up", "maintenance_update"]


@dataclass(frozen=True, slots=True)
class Message:
    """One event, worded in one language."""

    event_id: str
    type: EventType
    time: datetime
    item: Incident | Maintenance
    status: str
    title: str
    text: str
    html: str
    url: str
    site_title: str
    item_status: str


def delivery_id(event_id: str, recipient: str) -> str:
    return hashlib.sha256(f"{event_id}\n{recipient}".encode()).hexdigest()[:32]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_payload(message: Message, hook: Webhook, delivery: str) -> dict[str, Any]:
    item = message.item
    folder = "incidents" if item.kind == "incident" else "maintenance"
    item_url = message.url.split("#", 1)[0]
    if hook.format == "slack":
        return {"text": f"*{message.title}*\n{message.text}\n<{message.url}|{message.site_title}>"}
    if hook.format == "discord":
        return {"content": f"**{message.title}**\n{message.text}\n{message.url}"[:2000]}
    return {
        "id": delivery,
        "type": message.type,
        "incident": {
            "id": item.id,
            "kind": folder,
            "title": item.title,
            "url": item_url,
            "impact": str(item.impact) if isinstance(item, Incident) else "maintenance",
            "status": message.item_status,
        },
        "update": {
            "status": message.status,
            "time": message.time.isoformat().replace("+00:00", "Z"),
            "text": message.text,
            "html": message.html,
            "url": message.url,
        },
    }


class NotBuilt(Exception):
    """A message that cannot be made for one recipient; the others still get theirs."""


class DeliveryError(Exception):
    """A message did not get through; it stays pending for the next run."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook's answer is final: a redirect would resend the POST as a bodiless GET."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def webhook_body(message: Message, hook: Webhook, delivery: str) -> bytes:
    """The JSON POSTed to ``hook``; :class:`NotBuilt` if it cannot be made."""
    try:
        payload = webhook_payload(message, hook, delivery)
        return json.dumps(payload, sort_keys=True).encode("utf-8", "surrogatepass")
    except (ValueError, TypeError) as exc:
        raise NotBuilt(f"cannot build the webhook payload: {exc}") from None


class WebhookSender:
    """POSTs a body and counts only a 2xx answer as sent; redirects are failures, never followed."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirects)

    def send(self, body: bytes, hook: Webhook, delivery: str) -> None:
        headers = {"Content-Type": "application/json", "User-Agent": "inloop-notify", "Inloop-Delivery": delivery}
        secret = hook.secret()
        if secret:
            headers["Inloop-Signature"] = sign(secret, int(time.time()), body)
        try:
            request = urllib.request.Request(hook.url, data=body, headers=headers, method="POST")
            with self._opener.open(request, timeout=self.timeout) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            exc.close()
            raise DeliveryError(_refusal(exc.code, exc.headers.get("Location"))) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise DeliveryError(_without_url(str(getattr(exc, "reason", exc)), hook.url)) from None
        if not 200 <= status < 300:
            raise DeliveryError(_refusal(status, None))


def _without_url(text: str, url: str) -> str:
    """A library's error text with the webhook's URL, or its secret path and query, hidden."""
    text = text.replace(url, redact_url(url))
    parts = urlsplit(url)
    for secret in (parts.path + (f"?{parts.query}" if parts.query else ""), parts.path, parts.query):
        if len(secret) > 1:
            text = text.replace(secret, "…")
    return text


def _refusal(status: int, location: str | None) -> str:
    if 300 <= status < 400:
        where = f" to {redact_url(location)}" if location else ""
        return f"HTTP {status}: the webhook redirects{where}; redirects are not followed, so nothing was delivered"
    return f"HTTP {status}"


def clean_header(value: str) -> str:
    """``value`` on one line: control characters and line breaks become one space.

    A header value with a CR or LF is refused by the email package (and would
    be a header injection if it were not); a title may hold either.
    """
    return " ".join(_HEADER_UNSAFE.sub(" ", value).split())


def clean_text(value: str) -> str:
    """Body text that every encoding can write: a lone surrogate becomes U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", value)


def email_message(message: Message, subscriber: Subscriber, smtp: Smtp, delivery: str, base_host: str) -> EmailMessage:
    """The email for one subscriber, checked by serialising it; :class:`NotBuilt` if it cannot be made."""
    try:
        to = Address(addr_spec=subscriber.email)
    except (ValueError, IndexError, TypeError) as exc:
        raise NotBuilt(f"'{subscriber.shown}' is not an email address that fits in a header ({exc})") from None
    try:
        mail = EmailMessage(policy=POLICY)
        mail["Subject"] = clean_header(f"{message.title} – {message.site_title}")
        mail["From"] = clean_header(smtp.sender)
        mail["To"] = to
        mail["Date"] = format_datetime(message.time)
        mail["Message-ID"] = f"<{delivery}@{base_host}>"
        mail["Inloop-Delivery"] = delivery
        if smtp.unsubscribe:
            mail["List-Unsubscribe"] = clean_header(f"<{smtp.unsubscribe}>")
        title, url = clean_text(message.title), clean_text(message.url)
        mail.set_content(f"{title}\n\n{clean_text(message.text)}\n\n{url}\n")
        mail.add_alternative(
            f"<!DOCTYPE html><html><body><h1>{escape(title)}</h1>{clean_text(message.html)}"
            f'<p><a href="{escape(url)}">{escape(url)}</a></p></body></html>',
            subtype="html",
        )
        # Serialise as send_message will (SMTPUTF8 for non-ASCII addresses), so that it fails here, not mid-run.
        ascii_only = subscriber.email.isascii() and smtp.sender.isascii()
        mail.as_bytes(policy=POLICY if ascii_only else POLICY.clone(utf8=True))
    except (ValueError, TypeError, LookupError, EmailPackageError) as exc:
        raise NotBuilt(f"cannot build the email: {exc}") from None
    return mail


def open_connection(settings: Smtp) -> smtplib.SMTP:
    """A connection to the SMTP server, with TLS and login as ``[notify.smtp]`` says; :class:`DeliveryError` if not."""
    try:
        if settings.tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        try:
            if settings.starttls and not settings.tls:
                client.starttls(context=ssl.create_default_context())
            user = os.environ.get(settings.username_env) if settings.username_env else None
            password = os.environ.get(settings.password_env) if settings.password_env else None
            if user and password:
                client.login(user, password)
        except BaseException:
            client.close()
            raise
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP {settings.host}:{settings.port}: {exc}") from None
    return client


class EmailSender:
    """One SMTP connection per run, opened on the first message."""

    def __init__(self, smtp: Smtp, base_url: str) -> None:
        self.smtp = smtp
        self.base_host = urlsplit(base_url).hostname or "inloop.invalid"
        self._client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._client is None:
            self._client = open_connection(self.smtp)
        return self._client

    def build(self, message: Message, subscriber: Subscriber, delivery: str) -> EmailMessage:
        return email_message(message, subscriber, self.smtp, delivery, self.base_host)

    def send(self, mail: EmailMessage) -> None:
        try:
            self._connect().send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryError(f"SMTP: {exc}") from None

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._client = None
