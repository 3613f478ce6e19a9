"""badge.svg and the shields.io endpoint badge.json, for the site and each component."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from subscribe_sites import Site

from inloop.render.badges import COLORS, LABEL_COLOR, svg, text_width

SVG = "{http://www.w3.org/2000/svg}"


def read_badge(site: Site, folder: str) -> tuple[str, list[str], ET.Element]:
    root = ET.fromstring(site.bytes(folder + "badge.svg"))
    assert root.tag == SVG + "svg"
    title = root.findtext(SVG + "title")
    assert title
    texts = [t.text or "" for t in root.iter(SVG + "text") if t.get("aria-hidden") != "true"]
    return title, texts, root


def test_site_badge(example: Site) -> None:
    title, texts, root = read_badge(example, "")
    assert title == "Acme Status: Partial outage"
    assert texts == ["Acme Status", "Partial outage"]
    assert root.get("role") == "img"
    assert root.get("aria-label") == title
    assert example.json("badge.json") == {
        "schemaVersion": 1,
        "label": "Acme Status",
        "message": "Partial outage",
        "color": COLORS["partial_outage"],  # type: ignore[index]
    }


@pytest.mark.parametrize(
    ("component", "message"),
    [
        ("api", "Operational"),
        ("search", "Partial outage"),
        ("sms", "Under maintenance"),
        ("dashboard", "Degraded performance"),
    ],
)
def test_component_badges(example: Site, component: str, message: str) -> None:
    title, texts, _ = read_badge(example, f"components/{component}/")
    name = texts[0]
    assert title == f"{name}: {message}"
    assert texts[1] == message
    document = example.json(f"components/{component}/badge.json")
    assert set(document) == {"schemaVersion", "label", "message", "color"}
    assert document["schemaVersion"] == 1
    assert (document["label"], document["message"]) == (name, message)


def test_every_component_has_both_badges(example: Site) -> None:
    for page in example.files("components/*/index.html"):
        folder = page.removesuffix("index.html")
        read_badge(example, folder)
        assert set(example.json(folder + "badge.json")) == {"schemaVersion", "label", "message", "color"}


def test_names_are_escaped(madeup: Site) -> None:
    title, texts, _ = read_badge(madeup, "components/email/")
    assert title == "Email <delivery> & more: Under maintenance"
    assert texts[0] == "Email <delivery> & more"
    _, texts, _ = read_badge(madeup, "")
    assert texts == ["Beta Status", "Major outage"]


def test_widths_grow_with_the_text() -> None:
    short = ET.fromstring(svg("a", "ok", "#1a7f37"))
    long = ET.fromstring(svg("a much longer label", "ok", "#1a7f37"))
    assert int(long.get("width", "0")) > int(short.get("width", "0"))
    assert text_width("Operational") == pytest.approx(62.9, abs=3)  # shields: about 63 px in Verdana 11


def contrast(foreground: str, background: str) -> float:
    def luminance(color: str) -> float:
        color = color.lstrip("#")
        if len(color) == 3:
            color = "".join(c * 2 for c in color)
        channels = []
        for index in (0, 2, 4):
            value = int(color[index : index + 2], 16) / 255
            channels.append(value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4)
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_white_text_is_readable_on_every_colour() -> None:
    for color in [*COLORS.values(), LABEL_COLOR]:
        assert contrast("#fff", color) >= 4.5, color
