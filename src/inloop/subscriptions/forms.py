"""What a request to the subscription service sends: its form, within limits, and who sent it (as a hash)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from .tokens import mac


def N_(text: str) -> str:
    """Mark a text for extraction; the service's ``Request.message`` translates it."""
    return text


class Form:
    """A parsed urlencoded body, or the query string: the last value of a field, or all of them."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields

    def get(self, name: str) -> str:
        values = self.fields.get(name)
        return values[-1] if values else ""

    def all(self, name: str) -> list[str]:
        return self.fields.get(name, [])


class TooLarge(Exception):
    pass


class BadForm(Exception):
    pass


def read_form(environ: Mapping[str, Any], limit: int) -> Form:
    """The urlencoded body of a WSGI request, of at most ``limit`` bytes (else :class:`TooLarge`)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadForm(N_("The request's Content-Length is not a number.")) from None
    if length > limit:
        raise TooLarge
    data = environ["wsgi.input"].read(length) if length > 0 else b""
    if len(data) > limit:
        raise TooLarge
    kind = str(environ.get("CONTENT_TYPE", "")).split(";")[0].strip().lower()
    if kind not in ("", "application/x-www-form-urlencoded"):
        return Form({})  # one-click unsubscribe may come as multipart; nothing else needs a body
    try:
        text = data.decode("utf-8")
        return Form(parse_qs(text, keep_blank_values=True, max_num_fields=200, strict_parsing=False))
    except (UnicodeDecodeError, ValueError):
        raise BadForm(N_("The form could not be read.")) from None


def client_key(environ: Mapping[str, Any], secret: bytes, trust_forwarded_for: bool) -> str:
    """The client's address, as a keyed hash: the service keeps no IP addresses."""
    address = str(environ.get("REMOTE_ADDR", ""))
    if trust_forwarded_for:
        forwarded = str(environ.get("HTTP_X_FORWARDED_FOR", "")).split(",")[-1].strip()
        address = forwarded or address
    return mac(secret, "client", address)[:22]
