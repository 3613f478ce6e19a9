"""The service's own emails: a confirmation link, or a manage link, each with one-click unsubscribe.

Sent through ``[notify.smtp]`` with the same sender as ``inloop notify``;
every email carries the subscriber's manage link in its text and
``List-Unsubscribe`` with ``List-Unsubscribe-Post`` (RFC 8058) in its header.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from gettext import NullTranslations
from urllib.parse import urlsplit

from ..notify.channels import POLICY, EmailSender, clean_header
from ..notify.settings import Smtp


def mask(address: str) -> str:
    """An address as logs show it: ``j***@example.com``."""
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


@dataclass(frozen=True, slots=True)
class Links:
    """The personal links one email carries."""

    action: str  # confirm, or manage
    manage: str
    unsubscribe: str


def _mail(smtp: Smtp, to: str, subject: str, body: str, links: Links, now: datetime) -> EmailMessage:
    mail = EmailMessage(policy=POLICY)
    mail["Subject"] = clean_header(subject)
    mail["From"] = clean_header(smtp.sender)
    mail["To"] = Address(addr_spec=to)
    mail["Date"] = format_datetime(now)
    host = urlsplit(links.manage).hostname or "inloop.invalid"
    mail["Message-ID"] = f"<{uuid.uuid4().hex}@{host}>"
    mail["Auto-Submitted"] = "auto-generated"
    mail["List-Unsubscribe"] = f"<{links.unsubscribe}>"
    mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(body)
    return mail


def confirmation_mail(
    smtp: Smtp, to: str, site_title: str, links: Links, expires: int, now: datetime, translations: NullTranslations
) -> EmailMessage:
    gettext = translations.gettext
    until = datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n\n".join(
        [
            gettext("Someone, probably you, asked to receive email updates from %(site)s.") % {"site": site_title},
            gettext("To confirm, open this link. It works once, until %(time)s:") % {"time": until}
            + f"\n{links.action}",
            gettext("If it was not you, ignore this message: nothing is sent without a confirmation."),
            gettext("Change what you receive, or unsubscribe:") + f"\n{links.manage}",
        ]
    )
    subject = gettext("Confirm your subscription to %(site)s") % {"site": site_title}
    return _mail(smtp, to, subject, body + "\n", links, now)


def manage_mail(
    smtp: Smtp, to: str, site_title: str, links: Links, now: datetime, translations: NullTranslations
) -> EmailMessage:
    gettext = translations.gettext
    body = "\n\n".join(
        [
            gettext("Someone, probably you, signed up again for email updates from %(site)s.") % {"site": site_title},
            gettext("This address already receives them. Change what you receive, or unsubscribe:")
            + f"\n{links.manage}",
            gettext("If it was not you, ignore this message: nothing has changed."),
        ]
    )
    subject = gettext("Your subscription to %(site)s") % {"site": site_title}
    return _mail(smtp, to, subject, body + "\n", links, now)


def send(smtp: Smtp, base_url: str, mail: EmailMessage) -> None:
    """One connection per email: the service sends few, and never holds a connection between requests."""
    sender = EmailSender(smtp, base_url)
    try:
        sender.send(mail)
    finally:
        sender.close()
