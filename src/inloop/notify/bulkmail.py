"""One update's email to many database subscribers: made once per language, made personal per subscriber.

The email package takes about 2.5 ms to build and serialise one message,
which alone would be four minutes for 100,000 subscribers.  So the message
is built once per (update, language) with placeholders, serialised with the
same policy as every other email, and split around them; each subscriber's
copy is then the pieces joined around its own headers (``To``,
``Message-ID``, ``Inloop-Delivery``, ``List-Unsubscribe``) and its own
quoted-printable text and HTML parts, which carry its personal manage link.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from email.errors import MessageError as EmailPackageError
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from gettext import NullTranslations

from markupsafe import escape

from .channels import POLICY, Message, NotBuilt, clean_header, clean_text
from .settings import Smtp, address_ok

#: An ASCII dot-atom address, which the email package writes as it is: checked without it (40 us a row saved).
_PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
)
#: A URL that can go between ``<`` and ``>`` on a header line: printable ASCII without spaces, ``<`` or ``>``.
_HEADER_URL = re.compile(r"[\x21-\x3b=\x3f-\x7e]+")
_HEADERS_MARK = "X-Inloop-Personal-Headers"
_TEXT_MARK = "inloop-personal-text-part"
_HTML_MARK = "inloop-personal-html-part"


@dataclass(frozen=True, slots=True)
class Personal:
    """What differs from one subscriber's copy to the next."""

    to: str
    delivery: str
    manage: str
    unsubscribe: str


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One serialised email for one subscriber, as the SMTP pool sends it."""

    key: str  # the subscriber's stable id
    to: str
    delivery: str
    data: bytes
    international: bool  # needs SMTPUTF8: the address is not ASCII


def _quoted_printable(text: str) -> bytes:
    """UTF-8 quoted-printable with CRLF line ends and lines of at most 76 characters."""
    plain = text.replace("\r\n", "\n").replace("\r", "\n")
    if not plain.endswith("\n"):
        plain += "\n"
    encoded = binascii.b2a_qp(plain.encode("utf-8"), quotetabs=False, istext=True, header=False)
    return encoded.replace(b"\n", b"\r\n")


class BulkTemplate:
    """The email of one update in one language, ready to be made personal for any number of subscribers."""

    def __init__(self, message: Message, smtp: Smtp, base_host: str, translations: NullTranslations) -> None:
        gettext = translations.gettext
        self.base_host = base_host
        title, url = clean_text(message.title), clean_text(message.url)
        self._text = (
            f"{title}\n\n{clean_text(message.text)}\n\n{url}\n\n{gettext('Change what you receive, or unsubscribe:')}\n"
        )
        self._html_head = (
            f"<!DOCTYPE html><html><body><h1>{escape(title)}</h1>{clean_text(message.html)}"
            f'<p><a href="{escape(url)}">{escape(url)}</a></p><hr><p><a href="'
        )
        self._html_tail = f'">{escape(gettext("Change what you receive, or unsubscribe"))}</a></p></body></html>\n'
        self.envelope_sender = self.envelope_of(smtp)
        try:
            mail = EmailMessage(policy=POLICY)
            mail["Subject"] = clean_header(f"{message.title} – {message.site_title}")
            mail["From"] = clean_header(smtp.sender)
            mail["Date"] = format_datetime(message.time)
            mail[_HEADERS_MARK] = "1"
            mail["Auto-Submitted"] = "auto-generated"
            mail.set_content(_TEXT_MARK, cte="quoted-printable")
            mail.add_alternative(_HTML_MARK, subtype="html", cte="quoted-printable")
            ascii_only = smtp.sender.isascii()
            serialised = mail.as_bytes(policy=POLICY if ascii_only else POLICY.clone(utf8=True))
            # the text and HTML are checked here, once, as the personal parts will encode them
            self._parts("https://example.invalid/manage")
        except (ValueError, TypeError, LookupError, EmailPackageError) as exc:
            raise NotBuilt(f"cannot build the email: {exc}") from None
        head, rest = serialised.split(f"{_HEADERS_MARK}: 1\r\n".encode(), 1)
        middle, rest = rest.split(f"{_TEXT_MARK}\r\n".encode(), 1)
        between, tail = rest.split(f"{_HTML_MARK}\r\n".encode(), 1)
        self._pieces = (head, middle, between, tail)

    @staticmethod
    def envelope_of(smtp: Smtp) -> str:
        """The envelope sender (``MAIL FROM``): the address of ``sender``, without its display name."""
        found = getaddresses([smtp.sender])
        return found[0][1] if found and found[0][1] else smtp.sender

    def _parts(self, manage: str) -> tuple[bytes, bytes]:
        html = f"{self._html_head}{escape(manage)}{self._html_tail}"
        return _quoted_printable(f"{self._text}{manage}\n"), _quoted_printable(html)

    def render(self, key: str, personal: Personal) -> Outgoing:
        """One subscriber's copy; :class:`NotBuilt` when its address or links cannot go in a header."""
        if not _PLAIN_ADDRESS.fullmatch(personal.to) and not address_ok(personal.to):
            raise NotBuilt("the address is not one that fits in a To: header")
        for link in (personal.manage, personal.unsubscribe):
            if not _HEADER_URL.fullmatch(link):
                raise NotBuilt(f"the link {link!r} cannot go in a header")
        headers = (
            f"To: {personal.to}\r\n"
            f"Message-ID: <{personal.delivery}@{self.base_host}>\r\n"
            f"Inloop-Delivery: {personal.delivery}\r\n"
            f"List-Unsubscribe: <{personal.unsubscribe}>\r\n"
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
        ).encode()
        text, html = self._parts(personal.manage)
        head, middle, between, tail = self._pieces
        data = b"".join((head, headers, middle, text, between, html, tail))
        international = not (personal.to.isascii() and self.envelope_sender.isascii())
        return Outgoing(key, personal.to, personal.delivery, data, international)
