"""Signed links: HMAC-SHA256 over what a link may do, so nobody can make one for an address.

A confirmation token carries the subscriber's id, a nonce and its expiry:
it works once (the nonce is cleared when it is used) and only until then.
A manage token is the subscriber's id and a MAC over it and the
subscriber's own secret: it never expires, and a new secret (after a delete
and a new sign-up) voids every old link.  ``inloop notify`` makes the same
manage links with :func:`manage_token`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass

_ID = re.compile(r"^[0-9a-f]{32}$")
_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class BadToken(Exception):
    """A token that was not made by this service, or was changed since."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise BadToken("not base64") from None


def mac(secret: bytes, *parts: str) -> str:
    """HMAC-SHA256 over the parts, each ended by a NUL so no two lists of parts sign alike."""
    message = "".join(f"{part}\0" for part in parts).encode("utf-8")
    return _b64(hmac.new(secret, message, hashlib.sha256).digest())


@dataclass(frozen=True, slots=True)
class Confirmation:
    subscriber_id: str
    nonce: str
    expires: int


def confirm_token(secret: bytes, subscriber_id: str, nonce: str, expires: int) -> str:
    payload = f"{subscriber_id}.{nonce}.{expires}"
    return f"{_b64(payload.encode('ascii'))}.{mac(secret, 'confirm', payload)}"


def read_confirm_token(secret: bytes, token: str) -> Confirmation:
    """What a confirmation token says, once its MAC checks out; :class:`BadToken` otherwise."""
    payload_b64, dot, signature = token.partition(".")
    if not dot or not token.isascii():
        raise BadToken("malformed")
    try:
        payload = _unb64(payload_b64).decode("ascii")
    except UnicodeDecodeError:
        raise BadToken("malformed") from None
    if not hmac.compare_digest(signature.encode("ascii"), mac(secret, "confirm", payload).encode("ascii")):
        raise BadToken("bad signature")
    subscriber_id, nonce, expires = [*payload.split("."), "", "", ""][:3]
    if not _ID.match(subscriber_id) or not _NONCE.match(nonce) or not expires.isdigit():
        raise BadToken("malformed")
    return Confirmation(subscriber_id, nonce, int(expires))


def manage_token(secret: bytes, subscriber_id: str, subscriber_secret: str) -> str:
    return f"{subscriber_id}.{mac(secret, 'manage', subscriber_id, subscriber_secret)}"


def manage_token_id(token: str) -> str:
    """The subscriber id a manage token names (not yet checked: see :func:`manage_token_ok`)."""
    subscriber_id, dot, _ = token.partition(".")
    if not dot or not _ID.match(subscriber_id):
        raise BadToken("malformed")
    return subscriber_id


def manage_token_ok(secret: bytes, token: str, subscriber_id: str, subscriber_secret: str) -> bool:
    expected = manage_token(secret, subscriber_id, subscriber_secret)
    return token.isascii() and hmac.compare_digest(token.encode("ascii"), expected.encode("ascii"))
