"""Status badges: ``badge.svg`` in the familiar two-part shields style, and shields' endpoint JSON.

The SVG draws its label (the site or component name) on grey and its message
(the status in words) on the status colour; it carries ``role="img"``, an
``aria-label`` and a ``<title>``, and its text is real text.  Text widths come
from Verdana's advance widths at 11 px, as shields measures them, so a badge
looks right without a font on the build machine.  Colours keep white text at
a contrast of at least 4.5:1 (WCAG AA), unlike shields' own bright green.

``badge.json`` is the same badge for https://shields.io/badges/endpoint-badge,
for people who want shields' own renderer and styles.
"""

from __future__ import annotations

import json
import math

from markupsafe import escape

from inloop.model import ComponentStatus
from inloop.xmlsafe import strip_forbidden

LABEL_COLOR = "#555"
COLORS = {
    ComponentStatus.OPERATIONAL: "#1a7f37",
    ComponentStatus.UNDER_MAINTENANCE: "#0969da",
    ComponentStatus.DEGRADED_PERFORMANCE: "#9a6700",
    ComponentStatus.PARTIAL_OUTAGE: "#bc4c00",
    ComponentStatus.MAJOR_OUTAGE: "#cf222e",
}

# Verdana advance widths in font units (2048 to the em), printable ASCII from " " on.
_VERDANA = (
    720,
    806,
    940,
    1676,
    1302,
    2204,
    1488,
    550,
    930,
    930,
    1302,
    1676,
    745,
    930,
    745,
    930,  # space to /
    1302,
    1302,
    1302,
    1302,
    1302,
    1302,
    1302,
    1302,
    1302,
    1302,  # 0-9
    930,
    930,
    1676,
    1676,
    1676,
    1117,
    2048,  # : to @
    1401,
    1405,
    1430,
    1577,
    1294,
    1178,
    1587,
    1540,
    862,
    931,
    1419,
    1140,
    1726,  # A-M
    1532,
    1612,
    1235,
    1612,
    1424,
    1400,
    1262,
    1499,
    1401,
    2025,
    1403,
    1260,
    1403,  # N-Z
    930,
    930,
    930,
    1676,
    1302,
    1302,  # [ to `
    1230,
    1270,
    1066,
    1270,
    1236,
    720,
    1270,
    1296,
    562,
    705,
    1212,
    562,
    1987,  # a-m
    1296,
    1242,
    1270,
    1270,
    874,
    1067,
    807,
    1296,
    1212,
    1676,
    1212,
    1212,
    1076,  # n-z
    1302,
    930,
    1302,
    1676,  # { to ~
)
_FONT_SIZE = 11
_PADDING = 5  # on each side of a text


def text_width(text: str) -> float:
    """The width of ``text`` in Verdana 11 px; wide scripts count a whole em a character."""
    units = 0
    for char in text:
        code = ord(char)
        if 32 <= code < 127:
            units += _VERDANA[code - 32]
        elif code >= 0x1100 and (0x1100 <= code <= 0x115F or 0x2E80 <= code <= 0xFFDC):
            units += 2048
        else:
            units += 1302
    return units * _FONT_SIZE / 2048


def svg(label: str, message: str, color: str) -> bytes:
    """A flat two-part badge, 20 px high; deterministic bytes, never a character XML forbids."""
    label, message = strip_forbidden(label), strip_forbidden(message)
    label_text = round(text_width(label) * 10)  # in tenths of a pixel, as shields draws text
    message_text = round(text_width(message) * 10)
    label_width = math.ceil(label_text / 10) + 2 * _PADDING
    message_width = math.ceil(message_text / 10) + 2 * _PADDING
    width = label_width + message_width
    label_x = label_width * 5
    message_x = label_width * 10 + message_width * 5
    title = escape(f"{label}: {message}")
    shown_label, shown_message = escape(label), escape(message)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="{title}">',
        f"<title>{title}</title>",
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        '<stop offset="1" stop-opacity=".1"/></linearGradient>',
        f'<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>',
        f'<g clip-path="url(#r)"><rect width="{label_width}" height="20" fill="{LABEL_COLOR}"/>'
        f'<rect x="{label_width}" width="{message_width}" height="20" fill="{color}"/>'
        f'<rect width="{width}" height="20" fill="url(#s)"/></g>',
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        'text-rendering="geometricPrecision" font-size="110">',
        f'<text aria-hidden="true" x="{label_x}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" '
        f'textLength="{label_text}">{shown_label}</text>',
        f'<text x="{label_x}" y="140" transform="scale(.1)" fill="#fff" textLength="{label_text}">{shown_label}</text>',
        f'<text aria-hidden="true" x="{message_x}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" '
        f'textLength="{message_text}">{shown_message}</text>',
        f'<text x="{message_x}" y="140" transform="scale(.1)" fill="#fff" '
        f'textLength="{message_text}">{shown_message}</text>',
        "</g></svg>",
    ]
    return ("".join(parts) + "\n").encode("utf-8")


def status_svg(label: str, message: str, status: ComponentStatus) -> bytes:
    return svg(label, message, COLORS[status])


def endpoint_json(label: str, message: str, status: ComponentStatus) -> bytes:
    """shields.io's endpoint badge: ``https://img.shields.io/endpoint?url=<this file's URL>``."""
    document = {
        "schemaVersion": 1,
        "label": strip_forbidden(label),
        "message": strip_forbidden(message),
        "color": COLORS[status],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
