"""HTML of status-page updates to inloop Markdown.

A small converter on :mod:`html.parser` for the tags that status-page feeds
use: ``p``, ``br``, ``strong``/``b``, ``em``/``i``, ``a``, ``ul``/``ol``/``li``,
``code``, ``pre``, ``h1``-``h6``, ``blockquote`` (and ``hr``, ``img``; any other
tag passes its text through).  The output is meant for Python-Markdown, the
renderer inloop uses: nested lists are indented by four spaces, code blocks are
indented rather than fenced, and text that would read as Markdown syntax is
escaped, so an update says on the page what it said on the old one.

Level-2 headings never come out: in an incident file they are updates, so an
``<h2>`` becomes ``###`` and :func:`demote_level2_headings` does the same to
Markdown that arrives as Markdown (Statuspage postmortems).

Imported HTML is untrusted: :func:`html_to_markdown` first passes it through
the allow-list sanitizer (:mod:`.sanitize`), escapes whatever the Markdown
renderer would read as HTML (``<``, entities, ``{: attribute lists}``, a code
block where it would not be read as one), and checks the result with the
build's own renderer; Markdown that would still hold anything beyond the
allow-list is replaced by its plain text.

Nothing here raises on any input text: broken HTML gives the best text it can.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from .sanitize import TAG_BREAKER, clean_html, defuse_tags, markdown_is_inert, without_control_characters

__all__ = ["demote_level2_headings", "html_to_markdown", "markdown_from_feed_text"]

_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_DROP = frozenset("script style template head title noscript iframe object".split())
_BLOCK = frozenset(
    """address article aside blockquote dd details div dl dt fieldset figcaption figure
    footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table
    tbody thead tfoot tr ul""".split()
)
#: Tags whose start closes an open ``<p>`` (HTML's implied end tags).
_CLOSES_P = _BLOCK - {"li", "dd", "dt", "tbody", "thead", "tfoot", "tr"}
_MAX_DEPTH = 100

_WS = re.compile(r"[ \t\n\r\f]+")
#: An ``&`` that a browser could read as the start of a character reference.
_ENTITY_LIKE = re.compile(r"&(?=[#A-Za-z])")
_LINE_START = re.compile(r"^([#>+-]|\d+(?=[.)]))")
#: The first paragraph of a list item that opens with a code block: a zero-width space.
_ITEM_OPENER = "&#8203;"
_LIST_BLOCK = re.compile(r"^(?:- |\d+\. )")
_SAFE_SCHEME = re.compile(r"^(?:https?:|mailto:|[^:/?#]*(?:[/?#]|$))", re.IGNORECASE)


class _Node:
    __slots__ = ("attrs", "children", "tag")

    def __init__(self, tag: str, attrs: dict[str, str] | None = None) -> None:
        self.tag = tag
        self.attrs: dict[str, str] = attrs or {}
        self.children: list[_Node | str] = []


class _TreeBuilder(HTMLParser):
    """Builds a forgiving tree: stray end tags are ignored, open ones closed at the end."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("#root")
        self.stack: list[_Node] = [self.root]

    def _pop_to(self, tag: str, *, stop: frozenset[str] = frozenset()) -> bool:
        for i in range(len(self.stack) - 1, 0, -1):
            open_tag = self.stack[i].tag
            if open_tag == tag:
                del self.stack[i:]
                return True
            if open_tag in stop:
                return False
        return False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _CLOSES_P:
            self._pop_to("p", stop=frozenset({"li", "blockquote", "td", "th", "div"}))
        if tag == "li":
            self._pop_to("li", stop=frozenset({"ul", "ol"}))
        node = _Node(tag, _attributes(attrs))
        self.stack[-1].children.append(node)
        if tag not in _VOID and len(self.stack) < _MAX_DEPTH:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(_Node(tag, _attributes(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "br":  # browsers read </br> as <br>
            self.stack[-1].children.append(_Node("br"))
            return
        self._pop_to(tag)

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data.translate(_NO_SENTINELS))


def _attributes(attrs: list[tuple[str, str | None]]) -> dict[str, str]:
    return {name: (value or "").translate(_NO_SENTINELS) for name, value in attrs}


def _parse(fragment: str) -> _Node:
    builder = _TreeBuilder()
    try:
        builder.feed(fragment)
        builder.close()
    except (AssertionError, ValueError):  # html.parser's last resorts on odd declarations
        root = _Node("#root")
        root.children.append(re.sub(r"<[^>]*>?", " ", fragment))
        return root
    return builder.root


# --- text ------------------------------------------------------------------


def _escape_text(text: str) -> str:
    """Escape what Markdown would read as syntax inside a line of text."""
    text = _ENTITY_LIKE.sub("&amp;", text)
    out: list[str] = []
    for i, char in enumerate(text):
        if char in "\\`*[]{}":
            out.append("\\" + char)
        elif char == "_":
            before = text[i - 1] if i > 0 else " "
            after = text[i + 1] if i + 1 < len(text) else " "
            out.append("_" if before.isalnum() and after.isalnum() else "\\_")
        elif char == "<":
            # "&lt;" is decoded in plain-text outputs: the zero-width space keeps a tag from forming
            out.append("&lt;" + (TAG_BREAKER if re.match(r"[A-Za-z/!?]", text[i + 1 : i + 2]) else ""))
        else:
            out.append(char)
    return "".join(out)


def _escape_line_start(line: str) -> str:
    """Escape a line that would start a heading, quote, list or rule."""
    if line.startswith("**") or line.startswith("\\"):
        return line
    if line.startswith("=") and not line.strip("= \t"):  # would underline a heading
        return "&#61;" + line[1:]

    def escape(match: re.Match[str]) -> str:
        mark = match.group(1)
        return mark + "\\" if mark[0].isdigit() else "\\" + mark

    return _LINE_START.sub(escape, line, count=1)


def _raw_text(node: _Node | str) -> str:
    """Text of a node as written (for code); ``<br>`` becomes a newline."""
    if isinstance(node, str):
        return node
    if node.tag in _DROP:
        return ""
    if node.tag == "br":
        return "\n"
    return "".join(_raw_text(child) for child in node.children)


def _code_span(text: str) -> str:
    text = _WS.sub(" ", text)
    if not text.strip():
        return text
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    if text.startswith("`") or text.endswith("`"):
        text = f" {text} "
    return f"{fence}{text}{fence}"


def _safe_url(url: str) -> str | None:
    url = url.strip()
    if not url or not _SAFE_SCHEME.match(url):
        return None
    return (
        url.replace(" ", "%20")
        .replace("(", "%28")
        .replace(")", "%29")
        .replace("<", "%3C")
        .replace(">", "%3E")
        .replace("\n", "")
    )


def _wrap(inner: str, mark: str, close: str | None = None) -> str:
    """Put emphasis marks around each line's text, keeping spaces outside them."""
    lines = []
    for line in inner.split("\n"):
        core = line.strip()
        if not core:
            lines.append(line)
            continue
        lead = line[: len(line) - len(line.lstrip())]
        trail = line[len(line.rstrip()) :]
        lines.append(f"{lead}{mark}{core}{mark if close is None else close}{trail}")
    return "\n".join(lines)


_INLINE_SPECIAL = frozenset("a b br cite code dfn em i img kbd samp strong td th tt".split()) | _DROP
# Emphasis marks are chosen once the whole line is known (see _resolve_em); these
# noncharacters hold their places, and never come from the input.
_EM_OPEN = "\ufdd0"
_EM_CLOSE = "\ufdd1"
_EM_PAIR = re.compile("\ufdd0(.*?)\ufdd1")
_NO_SENTINELS = {ord(_EM_OPEN): "\ufffd", ord(_EM_CLOSE): "\ufffd"}
_EMPHASIS_KIND = {"strong": "strong", "b": "strong", "em": "em", "i": "em", "cite": "em", "dfn": "em"}


def _merge_emphasis(nodes: list[_Node | str]) -> list[_Node | str]:
    """Join adjacent ``<b>a</b><b>b</b>``: as Markdown, ``**a****b**`` would not be bold."""
    merged: list[_Node | str] = []
    for node in nodes:
        previous = merged[-1] if merged else None
        if (
            isinstance(node, _Node)
            and isinstance(previous, _Node)
            and node.tag in _EMPHASIS_KIND
            and _EMPHASIS_KIND.get(previous.tag) == _EMPHASIS_KIND[node.tag]
        ):
            joined = _Node(_EMPHASIS_KIND[node.tag])
            joined.children = [*previous.children, *node.children]
            merged[-1] = joined
        else:
            merged.append(node)
    return merged


class _Inline:
    """Renders inline content; ``\\n`` in the result stands for a ``<br>``."""

    def __init__(self) -> None:
        self.strong = False
        self.em = False
        self.link = False

    def render(self, nodes: list[_Node | str]) -> str:
        pieces: list[str] = []
        for node in _merge_emphasis(self._flatten(nodes)):
            piece = self.node(node)
            if piece.startswith("[") and pieces and pieces[-1].endswith("!"):
                pieces[-1] = pieces[-1][:-1] + "\\!"  # "![" would start an image
            pieces.append(piece)
        return "".join(pieces)

    def _flatten(self, nodes: list[_Node | str]) -> list[_Node | str]:
        """Splice in the children of tags that add nothing here (``span``, a ``b`` inside
        ``b``, an ``a`` inside ``a``), so that what they hold can merge with its neighbours."""
        out: list[_Node | str] = []
        for node in nodes:
            if isinstance(node, _Node) and self._transparent(node):
                out.extend(self._flatten(node.children))
            else:
                out.append(node)
        return out

    def _transparent(self, node: _Node) -> bool:
        kind = _EMPHASIS_KIND.get(node.tag)
        if kind is not None:  # nested in its own kind, or empty: no marks to write
            return bool(getattr(self, kind)) or not _raw_text(node).strip()
        if node.tag == "a":
            return self.link
        return node.tag not in _BLOCK and node.tag not in _INLINE_SPECIAL

    def node(self, node: _Node | str) -> str:
        if isinstance(node, str):
            return _escape_text(_WS.sub(" ", node))
        tag = node.tag
        if tag in _DROP:
            return ""
        if tag == "br":
            return "\n"
        if tag in ("strong", "b"):
            return self._emphasis(node, "strong", "**")
        if tag in ("em", "i", "cite", "dfn"):
            return self._emphasis(node, "em", _EM_OPEN)
        if tag in ("code", "kbd", "samp", "tt"):
            return _code_span(defuse_tags(_raw_text(node)))
        if tag == "a":
            return self._link(node)
        if tag == "img":
            src = _safe_url(node.attrs.get("src", ""))
            if src is not None and not re.match(r"https?://", src, re.IGNORECASE):
                src = None  # relative to a page that is not this site's: it shows nothing here
            alt = _escape_text(_WS.sub(" ", node.attrs.get("alt", "")).strip())
            return f"![{alt}]({src})" if src and not self.link else alt
        if tag in ("td", "th"):
            return " " + self.render(node.children) + " "
        if tag in _BLOCK:  # a block inside inline content: keep it apart
            return "\n" + self.render(node.children) + "\n"
        return self.render(node.children)

    def _emphasis(self, node: _Node, flag: str, mark: str) -> str:
        if getattr(self, flag):
            return self.render(node.children)
        setattr(self, flag, True)
        try:
            inner = self.render(node.children)
        finally:
            setattr(self, flag, False)
        return _wrap(inner, mark, _EM_CLOSE if mark == _EM_OPEN else None)

    def _link(self, node: _Node) -> str:
        if self.link:
            return self.render(node.children)
        self.link = True
        try:
            text = self.render(node.children)
        finally:
            self.link = False
        # "[a\\]: b](u)" at a line's start reads as a reference definition; "&#93;" does not
        text = _WS.sub(" ", text.replace("\n", " ")).replace("\\]", "&#93;")
        url = _safe_url(node.attrs.get("href", ""))
        if url is None:
            return text
        if not text.strip():
            return f"[{_escape_text(url)}]({url})"
        lead = text[: len(text) - len(text.lstrip())]
        trail = text[len(text.rstrip()) :]
        return f"{lead}[{text.strip()}]({url}){trail}"


def _resolve_em(text: str) -> str:
    """Choose each emphasis mark: ``*`` works inside words, but next to the ``**`` of
    bold it can be misread; ``_`` is then clear, if no letter touches it from outside.
    In the rare case that one does, only HTML would be clear, and imported text gets
    none: the emphasis goes, its words stay."""

    def mark(match: re.Match[str]) -> str:
        inner = match.group(1)
        before = text[match.start() - 1] if match.start() > 0 else " "
        after = text[match.end()] if match.end() < len(text) else " "
        if "*" not in (before, after, inner[:1], inner[-1:]):
            return f"*{inner}*"
        if not _is_word(before) and not _is_word(after):
            return f"_{inner}_"
        return inner

    return _EM_PAIR.sub(mark, text)


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _paragraphs(inline: str) -> list[str]:
    """Split rendered inline text at ``<br><br>`` into paragraphs; one ``<br>`` is a hard break."""
    blocks: list[str] = []
    current: list[str] = []
    for raw in inline.split("\n"):
        line = raw.strip()
        if line:
            current.append(_escape_line_start(line))
        elif current:
            blocks.append("  \n".join(current))
            current = []
    if current:
        blocks.append("  \n".join(current))
    return blocks


def _indent(text: str, first: str, rest: str) -> str:
    lines = text.split("\n")
    out = [first + lines[0]]
    out.extend(rest + line if line else "" for line in lines[1:])
    return "\n".join(out)


def _blocks(node: _Node) -> list[str]:
    """Markdown blocks of a node's children."""
    blocks: list[str] = []
    pending: list[_Node | str] = []

    def flush() -> None:
        if pending:
            blocks.extend(_paragraphs(_resolve_em(_Inline().render(pending))))
            pending.clear()

    for child in node.children:
        if isinstance(child, str) or child.tag not in _BLOCK:
            pending.append(child)
            continue
        flush()
        blocks.extend(_block(child))
    flush()
    return blocks


def _block(node: _Node) -> list[str]:
    tag = node.tag
    if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        level = int(tag[1])
        text = _WS.sub(" ", _resolve_em(_Inline().render(node.children)).replace("\n", " "))
        text = text.strip()
        if not text:
            return []
        if text.endswith("#"):
            text = text[:-1] + "\\#"
        return ["#" * (3 if level == 2 else level) + " " + _escape_heading_start(text)]
    if tag == "hr":
        return ["* * *"]
    if tag == "pre":
        code = defuse_tags(_raw_text(node).expandtabs(4).strip("\n"))
        if not code.strip():
            return []
        return ["\n".join(("    " + line) if line.strip() else "" for line in code.split("\n"))]
    if tag == "blockquote":
        inner = "\n\n".join(_blocks(node))
        if not inner:
            return []
        return ["\n".join(("> " + line) if line else ">" for line in inner.split("\n"))]
    if tag in ("ul", "ol"):
        return _list(node)
    return _blocks(node)


def _escape_heading_start(text: str) -> str:
    return "\\" + text if text.startswith("#") else text


def _list(node: _Node) -> list[str]:
    ordered = node.tag == "ol"
    try:
        number = int(node.attrs.get("start", "1"))
    except ValueError:
        number = 1
    items: list[list[str]] = []
    loose_items: list[_Node | str] = []
    for child in node.children:
        if isinstance(child, _Node) and child.tag == "li":
            if loose_items:
                items.append(_blocks(_with_children(loose_items)))
                loose_items = []
            items.append(_blocks(child))
        elif isinstance(child, str) and not child.strip():
            continue
        else:
            loose_items.append(child)
    if loose_items:
        items.append(_blocks(_with_children(loose_items)))
    bodies: list[str] = []
    for blocks in items:
        if blocks:
            if blocks[0].startswith(" "):
                # a code block cannot open a list item ("-     <b>" is text with HTML in it):
                # an invisible first paragraph lets it stand as the item's second block
                blocks = [_ITEM_OPENER, *blocks]
            body = blocks[0]
            for index, block in enumerate(blocks[1:], start=1):
                # "- a\n    - b" keeps the list tight; after a second paragraph it needs a gap
                tight = index == 1 and _LIST_BLOCK.match(block) is not None
                body += ("\n" if tight else "\n\n") + block
            bodies.append(body)
    loose = any("\n\n" in body for body in bodies)
    rendered: list[str] = []
    for body in bodies:
        marker = f"{number}. " if ordered else "- "
        number += 1
        rendered.append(_indent(body, marker, "    "))
    if not rendered:
        return []
    return [("\n\n" if loose else "\n").join(rendered)]


def _with_children(children: list[_Node | str]) -> _Node:
    node = _Node("li")
    node.children = list(children)
    return node


# --- headings --------------------------------------------------------------

_ATX2 = re.compile(r"^( {0,3})##(?=[ \t]|$)")
_SETEXT2 = re.compile(r"^ {0,3}-+[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_NOT_PARAGRAPH = re.compile(r"^\s*$|^ {0,3}(?:#|>|[-+*][ \t]|\d+[.)][ \t]|`{3}|~{3})|^ {4}")


def demote_level2_headings(markdown: str) -> str:
    """Turn level-2 headings (ATX ``## x`` and setext ``x`` / ``---``) into ``### x``.

    In an incident file a level-2 heading is an update, so imported text must
    hold none.  Lines inside fenced code blocks stay as they are.
    """
    lines = markdown.split("\n")
    out: list[str] = []
    fence: str | None = None
    for line in lines:
        match = _FENCE.match(line)
        if fence is not None:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            out.append(line)
            continue
        if match:
            fence = match.group(1)
            out.append(line)
            continue
        if _ATX2.match(line):
            out.append(_ATX2.sub(r"\1###", line, count=1))
            continue
        if _SETEXT2.match(line) and out and not _NOT_PARAGRAPH.match(out[-1]):
            out[-1] = "### " + out[-1].strip()
            continue
        out.append(line)
    return "\n".join(out)


def html_to_markdown(fragment: str) -> str:
    """Markdown for an untrusted HTML fragment; blocks are separated by a blank line.

    The fragment is sanitized first; the Markdown is checked with the build's
    renderer, and replaced by the fragment's escaped text if it would make
    anything beyond the allow-list (see :mod:`.sanitize`).
    """
    clean = clean_html(fragment)
    blocks = [block for block in _blocks(_parse(clean)) if block.strip()]
    if blocks and blocks[0].startswith(" "):
        # an update's text is read stripped: a code block first would lose its indent and
        # become a paragraph, so an invisible paragraph goes first
        blocks.insert(0, _ITEM_OPENER)
    markdown = demote_level2_headings("\n\n".join(blocks))
    if markdown_is_inert(markdown):
        return markdown
    return _plain_markdown(clean)


def _plain_markdown(clean: str) -> str:
    """The text of sanitized HTML as paragraphs that no renderer reads as markup."""
    text = _raw_text(_parse(clean))
    paragraphs = [_WS.sub(" ", part).strip() for part in re.split(r"\n\s*\n", text)]
    escaped = "\n\n".join(_escape_line_start(_escape_text(part)) for part in paragraphs if part)
    if markdown_is_inert(escaped):
        return escaped
    # the last resort: every character that is not a letter, digit or space as a character reference
    return "".join(char if char.isalnum() or char == " " else f"&#{ord(char)};" for char in escaped)


_HTML_BLOCK_TAG = re.compile(r"<(?:p|div|h[1-6]|ul|ol|li|pre|blockquote|table)\b", re.IGNORECASE)
_MARKDOWN_NEWLINE = re.compile(r"\n[ \t]*<br\s*/?>|<br\s*/?>[ \t]*\n", re.IGNORECASE)


def markdown_from_feed_text(fragment: str) -> str:
    """Text that Statuspage stored as Markdown (postmortems), as inloop Markdown.

    The feed shows such text with every newline followed by ``<br />``; those
    tags go and entities are decoded, which gives the Markdown as written.  It
    is untrusted like any imported text: it is rendered with the build's own
    Markdown renderer, and that HTML is sanitized and converted like an
    update's.  A fragment of HTML blocks without those newlines was rendered
    before it reached the feed: it is converted like an update.
    """
    from inloop.read import markup  # the renderer the build uses, so that the text reads as it did

    if _HTML_BLOCK_TAG.search(fragment) and not _MARKDOWN_NEWLINE.search(fragment):
        return html_to_markdown(fragment)
    text = fragment.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"\n[ \t]*<br\s*/?>", "\n", text, flags=re.IGNORECASE)
    text = re.sub(r"<br\s*/?>[ \t]*(?=\n)", "", text, flags=re.IGNORECASE)
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.IGNORECASE)
    text = without_control_characters(unescape(text))
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")
    if not text.strip():
        return ""
    return html_to_markdown(markup.to_html(text))
