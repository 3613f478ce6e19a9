"""How one message reaches one recipient: a signed webhook POST, or an email.

Every message carries a delivery id that is the same for the same update and
recipient on every attempt and every run (``Inloop-Delivery``, the email's
``Message-ID``), so receivers can drop the duplicates that at-least-once
delivery allows.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from markupsafe import escape

from ..model import Incident, Maintenance
from .settings import Smtp, Subscriber, Webhook

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


class WebhookSender:
    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def send(self, message: Message, hook: Webhook, delivery: str) -> None:
        body = json.dumps(webhook_payload(message, hook, delivery), sort_keys=True).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "inloop-notify", "Inloop-Delivery": delivery}
        secret = hook.secret()
        if secret:
            headers["Inloop-Signature"] = sign(secret, int(time.time()), body)
        request = urllib.request.Request(hook.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                if not 200 <= answer.status < 300:
                    raise DeliveryError(f"HTTP {answer.status}")
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryError(str(getattr(exc, "reason", exc))) from None


class DeliveryError(Exception):
    """A message did not get through; it stays pending for the next run."""


def email_message(message: Message, subscriber: Subscriber, smtp: Smtp, delivery: str, base_host: str) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = f"{message.title} – {message.site_title}"
    email["From"] = smtp.sender
    email["To"] = subscriber.email
    email["Date"] = format_datetime(message.time)
    email["Message-ID"] = f"<{delivery}@{base_host}>"
    email["Inloop-Delivery"] = delivery
    if smtp.unsubscribe:
        email["List-Unsubscribe"] = f"<{smtp.unsubscribe}>"
    email.set_content(f"{message.title}\n\n{message.text}\n\n{message.url}\n")
    email.add_alternative(
        f"<!DOCTYPE html><html><body><h1>{escape(message.title)}</h1>{message.html}"
        f'<p><a href="{escape(message.url)}">{escape(message.url)}</a></p></body></html>',
        subtype="html",
    )
    return email


class EmailSender:
    """One SMTP connection per run, opened on the first message."""

    def __init__(self, smtp: Smtp, base_url: str) -> None:
        self.smtp = smtp
        self.base_host = urlsplit(base_url).hostname or "inloop.invalid"
        self._client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._client is not None:
            return self._client
        settings = self.smtp
        try:
            if settings.tls:
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    settings.host, settings.port, timeout=settings.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
                if settings.starttls:
                    client.starttls(context=ssl.create_default_context())
            user = os.environ.get(settings.username_env) if settings.username_env else None
            password = os.environ.get(settings.password_env) if settings.password_env else None
            if user and password:
                client.login(user, password)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {settings.host}:{settings.port}: {exc}") from None
        self._client = client
        return client

    def send(self, message: Message, subscriber: Subscriber, delivery: str) -> None:
        email = email_message(message, subscriber, self.smtp, delivery, self.base_host)
        try:
            self._connect().send_message(email)
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
