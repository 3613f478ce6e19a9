"""The rows of the list pages, each rendered once for every page that lists its item.

An item is on the history and on each of its components' pages, which differ
only in ``root``.  :class:`ListedRows` renders a row once with a mark for the
root, under the values of every other name ``_macros.html`` reads from the
context (as ``shared()`` does), and each page puts its own root in, escaped
as the macro escapes it: byte for byte what ``item_row(item)`` makes there.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import Any

import jinja2
from markupsafe import Markup, escape

#: Where the ``item_row`` macro lives.
ROW_MACROS = "_macros.html"
#: Sets of rows kept (one per build's values); past this they are dropped.
_ROW_SETS_LIMIT = 4

#: A row as kept: its item, its text as UTF-8 (a row holds a dash or a dot, which
#: makes a str two bytes a character), and whether the macro escaped it.
Row = tuple[object, bytes, bool]


class ListedRows:
    """``listed(item)`` and ``listed_rows(items)``: ``item_row`` of ``_macros.html``, made once per item."""

    def __init__(
        self,
        env: jinja2.Environment,
        inputs: Callable[[str], tuple[str, ...] | None],
        memo_key: Callable[[object], object],
        *,
        stock: bool,
    ) -> None:
        self.env = env
        self.inputs = inputs  # the context names a template (and what it loads) reads
        self.memo_key = memo_key
        self.stock = stock  # INLOOP_STOCK_JINJA=1: every row rendered every time
        #: A root no page has, put in a row in place of the page's own, then replaced by it.
        self.root_mark = Markup(f"\x00{secrets.token_hex(16)}\x00")
        #: By the values the macros read: the macros' module and each item's row, by the item's id.
        self.sets: dict[tuple[object, ...], tuple[Any, dict[int, Row]]] = {}

    @jinja2.pass_context
    def one(self, context: jinja2.runtime.Context, item: object) -> str:
        """``{{ listed(item) }}``: the row of one item."""
        return self.many(context, (item,))

    @jinja2.pass_context
    def many(self, context: jinja2.runtime.Context, items: Iterable[object]) -> str:
        """``{{ listed_rows(items) }}``: what ``{% for item in items %}{{ listed(item) }}{% endfor %}`` prints.

        The context is read once for all the rows, not once a row: a history
        page lists 25 items, a component's page up to hundreds.
        """
        root = context.resolve_or_missing("root")
        found = self._set_for(context) if type(root) is str and not self.stock else None
        if found is None:
            module = self._module(context, root)
            return self._printed(context, [module.item_row(item) for item in items])
        rows = [self._row(found, item) for item in items]
        if all(escaped for _, _, escaped in rows):  # the macro's template escapes what it prints
            text = b"".join(data for _, data, _ in rows).decode("utf-8", "surrogatepass")
            return Markup(text.replace(self.root_mark, str(escape(root))))
        return self._printed(context, [self._put_root(row, root) for row in rows])

    def _put_root(self, row: Row, root: str) -> str:
        """A row with the page's root in, escaped as the macro escapes what it prints."""
        _, data, escaped = row
        text = data.decode("utf-8", "surrogatepass")
        if escaped:
            return Markup(text.replace(self.root_mark, str(escape(root))))
        return text.replace(self.root_mark, root)

    def _set_for(self, context: jinja2.runtime.Context) -> tuple[Any, dict[int, Row]] | None:
        """The macros' module and rows for the values of this page's context; None when they cannot be known."""
        inputs = self.inputs(ROW_MACROS)
        if inputs is None:
            return None
        key = tuple(self.memo_key(context.resolve_or_missing(name)) for name in inputs if name != "root")
        found = self.sets.get(key)
        if found is None:
            if len(self.sets) >= _ROW_SETS_LIMIT:  # a watch session's old builds
                self.sets.clear()
            found = self.sets[key] = (self._module(context, self.root_mark), {})
        return found

    @staticmethod
    def _row(found: tuple[Any, dict[int, Row]], item: object) -> Row:
        module, rows = found
        row = rows.get(id(item))
        if row is None or row[0] is not item:  # an item made later may reuse a gone one's id
            made = module.item_row(item)
            row = rows[id(item)] = (item, str(made).encode("utf-8", "surrogatepass"), isinstance(made, Markup))
        return row

    def _module(self, context: jinja2.runtime.Context, root: object) -> Any:
        """``_macros.html`` imported with the page's context, ``root`` set as given."""
        template = self.env.get_template(ROW_MACROS, parent=context.name)
        return template.make_module({**context.get_all(), "root": root})

    @staticmethod
    def _printed(context: jinja2.runtime.Context, parts: list[str]) -> str:
        """The parts as ``{{ part }}`` after ``{{ part }}`` prints them in this context."""
        if context.eval_ctx.autoescape:
            return Markup("").join(parts)
        return "".join(str(part) for part in parts)
