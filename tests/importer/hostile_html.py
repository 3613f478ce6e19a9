"""Hostile HTML for the importer's tests, and a reader that finds anything active in an output.

The seeds follow the OWASP XSS filter-evasion cheat sheet: script tags, event
handlers, ``javascript:`` and ``data:`` URLs in many encodings, frames,
mixed case, broken tags, entities, and Markdown that would make HTML.
:func:`hostile_fragments` mixes them with each other, with the tags a real
update uses and with plain text, and breaks some of them off.

``active_in_*`` parse an output with a real parser (BeautifulSoup on
html.parser, ElementTree, json) and list what in it could run or load.
"""

from __future__ import annotations

import json
import re
import warnings
import xml.etree.ElementTree as ET
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, Tag
from hypothesis import strategies as st

SEEDS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
    "<ScRiPt>alert(String.fromCharCode(88,83,83))</sCrIpT>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    '<a onmouseover="alert(document.cookie)">xxs link</a>',
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>',
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
    '<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105'
    '&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000049&#0000041">',
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;"
    "&#97;&#108;&#101;&#114;&#116;&#40;&#49;&#41;>",
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x31&#x29>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    '<SCRIPT/XSS SRC="http://xss.example/xss.js"></SCRIPT>',
    '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
    '<<SCRIPT>alert("XSS");//<</SCRIPT>',
    "<SCRIPT SRC=http://xss.example/xss.js?< B >",
    "<iframe src=http://xss.example/scriptlet.html <",
    '</TITLE><SCRIPT>alert("XSS");</SCRIPT>',
    '<INPUT TYPE="IMAGE" SRC="javascript:alert(\'XSS\');">',
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<svg/onload=alert('XSS')>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x=0 y=20>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\"><tr><td>x</td></tr></TABLE>",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">x</DIV>",
    "<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->",
    "<BASE HREF=\"javascript:alert('XSS');//\">",
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="java\x00script:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="javas&#99;ript:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<form action="javascript:alert(1)"><button formaction="javascript:alert(2)">x</button></form>',
    "<details open ontoggle=alert(1)>x</details>",
    '<video><source onerror="alert(1)"></video>',
    '<style>@import "javascript:alert(1)";</style>',
    "<ul><li><pre>&lt;script&gt;alert(1)&lt;/script&gt;</pre></li></ul>",
    "<ol><li><pre>&lt;img src=x onerror=alert(1)&gt;</pre><p>after</p></li></ol>",
    "<pre>\n    &lt;iframe src=javascript:alert(1)&gt;</pre>",
    "<blockquote><pre>&lt;svg onload=alert(1)&gt;</pre></blockquote>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;",
    "[x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "&lt;javascript:alert(1)&gt;",
    "# Title {: onclick=alert(1) }",
    "text\n{: onmouseover=alert(1) }",
    "    <script>alert(1)</script>",
    '&lt;div markdown="1"&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;/div&gt;',
    "[x][y]\n\n[y]: javascript:alert(1)",
    "<p>a<p>b<b>c<i>d</b>e</i>",
    "<a href=https://ok.example/ onclick=alert(1)>ok</a>",
    '<img src=https://ok.example/a.png alt="x onerror=alert(1)">',
    "<code>&lt;script&gt;</code>",
    "</p></li></ul></blockquote></pre><script>alert(1)</script>",
    "<p><small>Jan  1, 09:09 PST</small><br><strong>Resolved</strong> - <script>alert(1)</script></p>",
]

_WRAPPERS = [
    ("<p>", "</p>"),
    ("<ul><li>", "</li></ul>"),
    ("<ol><li>", "</li></ol>"),
    ("<pre>", "</pre>"),
    ("<blockquote>", "</blockquote>"),
    ("<b>", "</b>"),
    ("<em>", "</em>"),
    ('<a href="https://ok.example/">', "</a>"),
    ("<h2>", "</h2>"),
    ("<code>", "</code>"),
    ("", ""),
]
_TEXT = st.text(alphabet=st.sampled_from(list("ab <>&;#=:/\"'`*_[](){}!-\n\tjavascript")), max_size=20)


def _mixed_case(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(char.swapcase() if flip else char for char, flip in zip(text, flips, strict=True))


@st.composite
def hostile_fragments(draw: st.DrawFn) -> str:
    """A fragment of update HTML with one or more hostile pieces in it."""
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["seed", "seed", "seed", "text", "mixed-case", "broken"]))
        if kind == "text":
            piece = draw(_TEXT)
        else:
            piece = draw(st.sampled_from(SEEDS))
            if kind == "mixed-case":
                piece = _mixed_case(draw, piece)
            elif kind == "broken" and len(piece) > 1:
                piece = piece[: draw(st.integers(1, len(piece) - 1))]
        opening, closing = draw(st.sampled_from(_WRAPPERS))
        parts.append(opening + piece + closing)
    return "".join(parts)


# --- finding what is active ------------------------------------------------------------

#: Elements that run, load a document or take over a page, whatever their attributes.
ACTIVE_TAGS = frozenset({"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base"})
#: Attributes whose value is a URL a browser may follow or load.
URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "data", "xlink:href", "background", "poster", "cite", "srcset", "ping"}
)
_URL_NOISE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b]+")
_BAD_SCHEME = re.compile(r"^(?:javascript|vbscript|data):", re.IGNORECASE)
#: The one script the theme puts on every page.
_THEME_SCRIPT = re.compile(r"^(?:\.\./)*/?inloop\.[0-9a-f]+\.js$")


def _theme_script(tag: Tag) -> bool:
    src = tag.get("src")
    return isinstance(src, str) and bool(_THEME_SCRIPT.match(src)) and not tag.get_text().strip()


def _theme_base(tag: Tag) -> bool:
    """The embed page's ``<base target="_blank">``: links open outside its frame; no address changes."""
    return set(tag.attrs) == {"target"}


def active_in_html(html: str, *, theme: bool = False) -> list[str]:
    """What in ``html`` could run or load.  With ``theme``, the theme's own script (a built page
    has it) and a ``<base>`` with only a target (the embed page has it) are allowed; in a fragment
    nothing is."""
    found: list[str] = []
    with warnings.catch_warnings():  # a text that looks like a URL or a file name is still a text
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(True):
        name = tag.name.lower()
        themes = theme and ((name == "script" and _theme_script(tag)) or (name == "base" and _theme_base(tag)))
        if name in ACTIVE_TAGS and not themes:
            found.append(f"<{name}>")
        if name in ("svg", "math") and not theme:
            found.append(f"<{name}>")
        if name == "meta" and "refresh" in str(tag.get("http-equiv", "")).lower():
            found.append("<meta http-equiv=refresh>")
        for attribute, value in tag.attrs.items():
            attribute = attribute.lower()
            text = " ".join(value) if isinstance(value, list) else str(value)
            if attribute.startswith("on") or attribute == "srcdoc":
                found.append(f"<{name} {attribute}>")
            elif attribute in URL_ATTRIBUTES and _BAD_SCHEME.match(_URL_NOISE.sub("", text)):
                found.append(f"<{name} {attribute}={text!r}>")
    return found


def active_in_xml(data: bytes) -> list[str]:
    """A feed's (RSS or Atom) active content: its text, which readers render as HTML, and its
    attributes, which are URLs.  A strict XML parser reads it: invalid XML fails the test."""
    root = ET.fromstring(data)
    found: list[str] = []
    for element in root.iter():
        if element.text and element.text.strip():
            found.extend(f"{element.tag}: {hit}" for hit in active_in_html(element.text))
        for attribute, value in element.attrib.items():
            if attribute.startswith("on") or _BAD_SCHEME.match(_URL_NOISE.sub("", value)):
                found.append(f"{element.tag} {attribute}={value!r}")
    return found


def active_in_json(data: bytes) -> list[str]:
    """Every text in a JSON document (feed.json, the API) read as HTML."""
    found: list[str] = []

    def walk(value: object, where: str) -> None:
        if isinstance(value, str):
            found.extend(f"{where}: {hit}" for hit in active_in_html(value))
            if where.endswith((".url", ".external_url", ".image")) and _BAD_SCHEME.match(_URL_NOISE.sub("", value)):
                found.append(f"{where}: {value!r}")
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{where}[{index}]")

    walk(json.loads(data), "$")
    return found


def active_in_email(email: EmailMessage) -> list[str]:
    """Every body part of an email read as HTML (the text part too: some clients render it)."""
    parsed = message_from_bytes(email.as_bytes(), policy=default_policy)
    found: list[str] = []
    for part in parsed.walk():
        if part.get_content_maintype() == "text":
            content = part.get_content()  # type: ignore[attr-defined]
            found.extend(f"{part.get_content_type()}: {hit}" for hit in active_in_html(content))
    return found
