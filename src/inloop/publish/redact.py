"""Keep secrets that live inside URLs out of every message inloop prints.

A Slack or Discord webhook URL is a password: whoever has it can post. Its
secret is the path (and sometimes the query), so only the scheme and the host
are shown: ``https://hooks.slack.com/…``. An endpoint URL may carry a user
name and password (``https://user:pass@host``); that part is never shown, in
inloop's own words or in a library's error text quoted in them.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

HIDDEN = "…"

# scheme://userinfo@ inside any text: a URL quoted in a library's error message.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#@\s\"']*)@")


def redact_url(url: str) -> str:
    """``https://hooks.slack.com/services/T0/B0/XYZ`` -> ``https://hooks.slack.com/…``.

    The port stays (it is not a secret, and tells two local hooks apart); the
    user name, password, path, query and fragment go.  Text that is not a URL
    with a host keeps only what comes before its first ``/``, ``?`` or ``#``
    and after any ``@``.
    """
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        parts, host, port = None, None, None
    if parts is not None and parts.scheme and host:
        shown_host = f"[{host}]" if ":" in host else host
        origin = f"{parts.scheme}://{shown_host}{f':{port}' if port is not None else ''}"
        hidden = parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc
        return f"{origin}/{HIDDEN}" if hidden else f"{origin}/"
    head = re.split(r"[/?#]", url.strip(), maxsplit=1)[0].rpartition("@")[2]
    head = "".join(c for c in head if c.isprintable())[:60]
    return f"{head}/{HIDDEN}" if head != url.strip() else head


def redact_userinfo(text: str, *secrets_of: str | None) -> str:
    """``text`` with the ``user:pass@`` of every URL in it replaced by ``…@``.

    ``secrets_of`` are URLs whose ``user:pass`` and password are also removed
    wherever they appear on their own (a library may quote them apart, or
    percent-decoded).
    """
    cleaned = _USERINFO.sub(lambda m: f"{m.group('scheme')}{HIDDEN}@", text)
    for url in secrets_of:
        if not url:
            continue
        try:
            netloc = urlsplit(url).netloc
        except ValueError:
            continue
        userinfo = netloc.rpartition("@")[0] if "@" in netloc else ""
        password = userinfo.partition(":")[2]
        for secret in sorted({userinfo, unquote(userinfo), password, unquote(password)}, key=len, reverse=True):
            if len(secret) >= 3:
                cleaned = cleaned.replace(secret, HIDDEN)
    return cleaned
