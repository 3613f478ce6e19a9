"""Surgical edits of an incident or maintenance file: every byte not edited stays.

A YAML round trip would lose comments, key order, quoting and block
scalars, so nothing here re-serialises the front matter.  PyYAML's
``compose`` tells where each node starts and ends; an edit replaces exactly
the characters of one value, turns a commented prompt left by ``inloop new``
into the key, or inserts whole lines.  Offsets are into the text as the
parser sees it (no byte-order mark, ``\\n`` line ends); :meth:`Document.apply`
maps them back onto the original, so a file with ``\\r\\n`` line ends keeps
them, and new lines get the file's own line end.

Edits are made one at a time: each is planned on the text that the edits
before it left, read again.  Two edits planned on the same text could touch
the same characters (two prevention steps in place of one prompt, an
estimate and the previous estimates after it); made one by one, they cannot.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

import yaml

from ..errors import UsageError
from .values import yaml_flow, yaml_text

_LINE_END = re.compile(r"\r\n|\r|\n")
_NULLS = ("", "~", "null", "Null", "NULL")


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``text[start:end]`` with ``new`` (``\\n`` line ends); ``start == end`` inserts."""

    start: int
    end: int
    new: str


class Document:
    """A file's text, addressable by offset and line, that edits turn back into bytes."""

    def __init__(self, data: bytes) -> None:
        raw = data.decode("utf-8")
        self.bom = "\ufeff" if raw.startswith("\ufeff") else ""
        self.raw = raw[len(self.bom) :]
        first_end = _LINE_END.search(self.raw)
        self.newline = first_end.group() if first_end else "\n"
        pieces: list[str] = []
        self._crlf: list[int] = []  # offsets in ``text`` of each "\n" that was "\r\n"
        position = 0
        length = 0
        for match in _LINE_END.finditer(self.raw):
            chunk = self.raw[position : match.start()]
            pieces.append(chunk + "\n")
            length += len(chunk)
            if match.group() == "\r\n":
                self._crlf.append(length)
            length += 1
            position = match.end()
        pieces.append(self.raw[position:])
        self.text = "".join(pieces)
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]

    # -- addressing --------------------------------------------------------

    def line_start(self, number: int) -> int:
        """Offset of 1-based line ``number``; one past the last line is the end of the text."""
        if number > len(self._line_starts):
            return len(self.text)
        return self._line_starts[number - 1]

    def line_of(self, offset: int) -> int:
        """1-based line of ``offset``."""
        return bisect.bisect_right(self._line_starts, offset)

    def line_text(self, number: int) -> str:
        start = self.line_start(number)
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)]

    def after_line(self, number: int) -> int:
        """Offset of the start of the line after ``number`` (the end of the text if none)."""
        return self.line_start(number + 1) if number < len(self._line_starts) else len(self.text)

    def _original(self, offset: int) -> int:
        return offset + bisect.bisect_left(self._crlf, offset)

    # -- editing -----------------------------------------------------------

    @property
    def data(self) -> bytes:
        """The file's bytes, as read."""
        return (self.bom + self.raw).encode("utf-8")

    def apply(self, edit: Edit) -> bytes:
        """The file's bytes with ``edit`` made.

        One edit only: a second one belongs on the text this one leaves
        (``Document(doc.apply(edit))``), so that no two can overlap.
        """
        if not 0 <= edit.start <= edit.end <= len(self.text):
            raise ValueError(f"edit {edit.start}:{edit.end} outside the text of {len(self.text)} characters")
        start, end = self._original(edit.start), self._original(edit.end)
        new = edit.new.replace("\n", self.newline)
        return (self.bom + self.raw[:start] + new + self.raw[end:]).encode("utf-8")


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.style is None and node.value in _NULLS


class FrontMatterEditor:
    """Edits the top-level keys of a file's front matter, one edit at a time.

    Every edit is made at once on :attr:`doc`, which is then read again: the
    next edit is planned on the text as it now is.  :attr:`data` is the
    file's bytes with every edit made.
    """

    def __init__(self, doc: Document) -> None:
        self._read(doc)
        self.count = 0  # edits made

    def _read(self, doc: Document) -> None:
        self.doc = doc
        lines = doc.text.split("\n")
        if not lines or lines[0].rstrip() != "---":
            raise UsageError("the file has no front matter")  # the file parsed before, so this is a race
        close = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
        if close is None:
            raise UsageError("the file's front matter is not closed")
        self.base = len(lines[0]) + 1
        self.first_line = 2
        self.close_line = close + 1  # 1-based line of the closing '---'
        self.end = doc.line_start(self.close_line)
        root = yaml.compose("\n".join(lines[1:close]), Loader=yaml.SafeLoader)
        self.entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        self.column = 0
        if isinstance(root, yaml.MappingNode):
            self.column = root.start_mark.column
            for key, value in root.value:
                if isinstance(key, yaml.ScalarNode):
                    self.entries.setdefault(str(key.value), (key, value))

    @property
    def data(self) -> bytes:
        """The file's bytes with every edit so far."""
        return self.doc.data

    # -- positions -------------------------------------------------------

    def start(self, node: yaml.Node) -> int:
        return self.base + node.start_mark.index

    def span(self, node: yaml.Node) -> tuple[int, int]:
        """Where a value is written, without the line ends and blank lines after it."""
        start = self.start(node)
        if isinstance(node, yaml.CollectionNode) and not node.flow_style and node.value:
            # a block collection ends where the next token starts, past any comments after it
            last = node.value[-1]
            return start, self.span(last[1] if isinstance(last, tuple) else last)[1]
        end = self.base + node.end_mark.index
        return start, start + len(self.doc.text[start:end].rstrip(" \t\n"))

    def _value_spans(self) -> list[tuple[int, int]]:
        return [self.span(value) for _, value in self.entries.values()]

    def prompt(self, key: str) -> tuple[int, int] | None:
        """The lines of a commented prompt ``# key: ...`` (and its ``#   - ...`` lines), if any."""
        pattern = re.compile(rf"^#\s?{re.escape(key)}\s*:")
        spans = self._value_spans()
        for number in range(self.first_line, self.close_line):
            if not pattern.match(self.doc.line_text(number)):
                continue
            offset = self.doc.line_start(number)
            if any(start <= offset < end for start, end in spans):
                continue  # inside a block scalar: text, not a comment
            last = number
            while last + 1 < self.close_line and re.match(r"^#(?:\s{2,}\S|\s*-\s)", self.doc.line_text(last + 1)):
                last += 1
            return offset, self.doc.line_start(last + 1)
        return None

    def has(self, key: str) -> bool:
        return key in self.entries and not _is_null(self.entries[key][1])

    def scalar_value(self, key: str) -> str | None:
        """The text of a scalar key (without quotes), if it has one."""
        if not self.has(key):
            return None
        value = self.entries[key][1]
        return str(value.value).strip() if isinstance(value, yaml.ScalarNode) else None

    def after_entry(self, key: str) -> int:
        """Offset of the line after a key's value."""
        _, end = self.span(self.entries[key][1])
        return self.doc.after_line(self.doc.line_of(max(end - 1, self.start(self.entries[key][0]))))

    def _line_after(self, end: int) -> int:
        """Offset of the line after the one holding the character before ``end``."""
        return self.doc.after_line(self.doc.line_of(end - 1))

    def _make(self, start: int, end: int, new: str) -> None:
        """Make one edit now, and read the front matter again."""
        self._read(Document(self.doc.apply(Edit(start, end, new))))
        self.count += 1

    # -- edits -------------------------------------------------------------

    def set_text(self, key: str, text: str) -> None:
        """Set a key to author text: in place, in place of its prompt, or as a new key."""
        column = self._key_column(key)
        self._set(key, yaml_text(text, column + 2))

    def set_inline(self, key: str, value: str) -> None:
        """Set a key to a one-line value already written as YAML (a time, a status)."""
        self._set(key, [value])

    def _key_column(self, key: str) -> int:
        if key in self.entries:
            return int(self.entries[key][0].start_mark.column)
        return self.column

    def _set(self, key: str, lines: list[str]) -> None:
        head, rest = lines[0], lines[1:]
        tail = "".join(line + "\n" for line in rest)
        if key in self.entries:
            _, value = self.entries[key]
            start, end = self.span(value)
            new = head if start != end else " " + head
            if not tail:
                self._make(start, end, new)
                return
            # the further lines go below the key's line, after any comment on it
            at = self.doc.after_line(self.doc.line_of(max(start, end - 1)))
            self._make(start, at, new + self.doc.text[end:at] + tail)
            return
        new = f"{' ' * self.column}{key}: {head}\n{tail}"
        prompt = self.prompt(key)
        if prompt is not None:
            self._make(prompt[0], prompt[1], new)
        else:
            self._make(self.end, self.end, new)

    def append_item(self, key: str, text: str, *, after: str | None = None) -> None:
        """Add an item at the end of a list-valued key, creating the key (after ``after``) if needed."""
        flow_item = yaml_flow(text)
        if key in self.entries:
            key_node, value = self.entries[key]
            if isinstance(value, yaml.SequenceNode) and value.flow_style:
                close = self.base + value.end_mark.index - 1
                before = self.doc.text[self.start(value) + 1 : close].strip()
                joiner = "" if not before or before.endswith(",") else ", "
                self._make(close, close, joiner + flow_item)
                return
            if isinstance(value, yaml.SequenceNode) and value.value:
                first_line = self.doc.line_text(self.doc.line_of(self.start(value.value[0])))
                dash = len(first_line) - len(first_line.lstrip(" "))
                _, end = self.span(value)
                at = self._line_after(end)
                self._make(at, at, self._item_lines(text, dash))
                return
            if _is_null(value):  # 'key:' alone, or 'key: ~'
                start, end = self.span(value)
                if start != end:
                    self._make(start, end, "")
                    self.append_item(key, text, after=after)
                    return
                key_column = int(key_node.start_mark.column)
                at = self.doc.after_line(self.doc.line_of(self.start(key_node)))
                self._make(at, at, self._item_lines(text, key_column + 2))
                return
            if isinstance(value, yaml.ScalarNode):  # one item written alone: make it a list of two
                start, end = self.span(value)
                self._make(start, end, f"[{yaml_flow(str(value.value).strip())}, {flow_item}]")
                return
            raise UsageError(f"'{key}' is not a list in the front matter: make it one ('{key}:' then '  - ...' lines)")
        new = f"{' ' * self.column}{key}:\n" + self._item_lines(text, self.column + 2)
        prompt = self.prompt(key)
        if prompt is not None:
            self._make(prompt[0], prompt[1], new)
        elif after is not None and self.has(after):
            at = self.after_entry(after)
            self._make(at, at, new)
        else:
            self._make(self.end, self.end, new)

    def _item_lines(self, text: str, dash: int) -> str:
        lines = yaml_text(text, dash + 2)
        return f"{' ' * dash}- {lines[0]}\n" + "".join(line + "\n" for line in lines[1:])

    def items(self, key: str) -> list[yaml.Node]:
        """The items of a list-valued key (a value written alone is one item)."""
        if not self.has(key):
            return []
        value = self.entries[key][1]
        if isinstance(value, yaml.SequenceNode):
            return list(value.value)
        return [value]

    def set_item_key(self, key: str, index: int, name: str, value: str, *, text_key: str) -> None:
        """Set ``name: value`` in item ``index`` of a list-valued key, one written as YAML already.

        An item that is text alone becomes a mapping that keeps the text under
        ``text_key`` (``- Alert`` becomes ``- step: Alert`` and ``done: ...``).
        """
        outer = self.entries[key][1]
        item = self.items(key)[index]
        if isinstance(item, yaml.ScalarNode):
            start, end = self.span(item)
            text = str(item.value).strip()
            if not isinstance(outer, yaml.SequenceNode):  # 'prevention: one step'
                self._make(start, end, f"[{{{text_key}: {yaml_flow(text)}, {name}: {value}}}]")
                return
            if outer.flow_style:
                self._make(start, end, f"{{{text_key}: {yaml_flow(text)}, {name}: {value}}}")
                return
            column = int(item.start_mark.column)
            lines = yaml_text(text, column + 2)
            body = "".join("\n" + line for line in lines[1:])
            self._make(start, end, f"{text_key}: {lines[0]}{body}\n{' ' * column}{name}: {value}")
            return
        if not isinstance(item, yaml.MappingNode):
            raise UsageError(f"item {index + 1} of '{key}' is neither text nor a mapping")
        for entry_key, entry_value in item.value:
            if isinstance(entry_key, yaml.ScalarNode) and entry_key.value == name:
                start, end = self.span(entry_value)
                self._make(start, end, value if start != end else " " + value)
                return
        if item.flow_style:
            close = self.base + item.end_mark.index - 1
            before = self.doc.text[self.start(item) + 1 : close].strip()
            joiner = "" if not before or before.endswith(",") else ", "
            self._make(close, close, f"{joiner}{name}: {value}")
            return
        column = int(item.value[0][0].start_mark.column)
        _, end = self.span(item)
        at = self._line_after(end)
        self._make(at, at, f"{' ' * column}{name}: {value}\n")

    def set_mapping_values(self, key: str, changes: Sequence[tuple[str, str]], list_default: str) -> None:
        """Set ``id: value`` pairs in a mapping-valued key (``components``).

        A plain list (``- api``), a flow list or a single id becomes a mapping
        in which each id it held gets ``list_default``: that is what the list meant.
        """
        if not changes:
            return
        _, value = self.entries[key]
        if isinstance(value, yaml.MappingNode):
            for name, status in changes:
                self._set_mapping_value(key, name, status)
            return
        if isinstance(value, yaml.SequenceNode):
            ids = [str(item.value) for item in value.value if isinstance(item, yaml.ScalarNode)]
        else:
            ids = [str(value.value).strip()]
        pairs = {name: list_default for name in ids}
        pairs.update(dict(changes))
        if isinstance(value, yaml.SequenceNode) and not value.flow_style and value.value:
            first = self.doc.line_of(self.start(value.value[0]))
            line = self.doc.line_text(first)
            column = max(len(line) - len(line.lstrip(" ")), self.column + 2)
            _, end = self.span(value)
            last = self.doc.line_of(end - 1)
            self._make(
                self.doc.line_start(first),
                self.doc.after_line(last),
                "".join(f"{' ' * column}{n}: {s}\n" for n, s in pairs.items()),
            )
            return
        start, end = self.span(value)
        self._make(start, end, "{" + ", ".join(f"{n}: {s}" for n, s in pairs.items()) + "}")

    def _set_mapping_value(self, key: str, name: str, status: str) -> None:
        _, value = self.entries[key]
        assert isinstance(value, yaml.MappingNode)
        existing = {str(k.value): v for k, v in value.value if isinstance(k, yaml.ScalarNode)}
        if name in existing:
            start, end = self.span(existing[name])
            self._make(start, end, status if start != end else " " + status)
            return
        if value.flow_style:
            close = self.base + value.end_mark.index - 1
            before = self.doc.text[self.start(value) + 1 : close].strip()
            joiner = "" if not before or before.endswith(",") else ", "
            self._make(close, close, f"{joiner}{name}: {status}")
            return
        first_key = value.value[0][0]
        column = int(first_key.start_mark.column)
        _, end = self.span(value)
        at = self._line_after(end)
        self._make(at, at, f"{' ' * column}{name}: {status}\n")

    def add_list_ids(self, key: str, ids: Sequence[str]) -> None:
        """Add ids to a list-valued key (a maintenance window's ``components``)."""
        for name in ids:
            self.append_item(key, name)
