"""Symbolic links in the folders a build reads: followed only when they stay inside the project.

(And file names that are not UTF-8, which no page, feed or message could name: refused alike.)

``static/x.txt -> /etc/passwd`` would otherwise be copied into ``site/`` and
published, and a content file linked to a file elsewhere on the machine would
be rendered.  A build reads files from ``content/``, ``templates/``,
``static/`` and ``locale/`` only when their real path is inside the project's
folder; every link that leads out is a ``path:1`` error, so the build stops
before anything is written.  A link that stays inside the project is fine.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

from inloop.errors import Problem
from inloop.read.content import ignored_name

#: The folders whose files a build reads (``inloop.toml`` is where the project is).
READ_FOLDERS = ("content", "templates", "static", "locale")


def inside(path: str | Path, root: str) -> bool:
    """Whether ``path``'s real path is ``root`` (a real path) or below it."""
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def link_problem(path: str, shown: str, root: str) -> Problem | None:
    """The error for ``path`` if it is a link whose real path is outside ``root``."""
    if not os.path.islink(path) or inside(path, root):
        return None
    target = os.path.realpath(path)
    return Problem(
        shown,
        1,
        f"a symbolic link to {target}, outside the project: inloop reads only files inside the project's folder; "
        "copy the file in instead",
    )


def name_problem(name: str, shown: str) -> Problem | None:
    """The error for a file name that is not UTF-8 (Python holds its bytes as lone surrogates)."""
    if name.isascii() or not any("\udc80" <= char <= "\udcff" for char in name):
        return None
    first = next(char for char in name if "\udc80" <= char <= "\udcff")
    return Problem(
        printable(shown),
        1,
        f"the file name is not UTF-8 (byte 0x{ord(first) - 0xDC00:02x}, shown as {printable(first)}): "
        "rename it using UTF-8 characters only",
    )


def printable(text: str) -> str:
    """``text`` with the bytes of a non-UTF-8 name written as ``\\udcXX``, as ``repr`` writes them."""
    if not any("\udc80" <= char <= "\udcff" for char in text):
        return text
    return "".join(repr(char)[1:-1] if "\udc80" <= char <= "\udcff" else char for char in text)


class RefusedPaths:
    """The paths under :data:`READ_FOLDERS` a build must not read, kept from one load to the next:
    links that lead outside the project, and names that are not UTF-8.

    A full load walks the folders (``os.scandir`` knows a link without a
    ``stat``); a load told which paths changed looks at those alone.
    """

    def __init__(self, source: Path, shown_source: str) -> None:
        self.source = source
        self.shown_source = shown_source
        self._root: str | None = None
        self._found: dict[str, Problem] = {}

    def problems(self, changed: Collection[str] | None = None) -> list[Problem]:
        root = os.path.realpath(self.source)
        if changed is None or root != self._root or any(not self._recheck(path, root) for path in changed):
            self._root = root
            self._found = {}
            for folder in READ_FOLDERS:
                self._walk(os.path.join(self.source, folder), folder, root)
        return sorted(self._found.values())

    def refused(self, path: Path) -> bool:
        """Whether ``path`` was found, at the last :meth:`problems`, to be a link out of the project."""
        return bool(self._found) and os.path.abspath(path) in self._found

    def _shown(self, relative: str) -> str:
        return os.path.normpath(os.path.join(self.shown_source, relative))

    def _walk(self, folder: str, relative: str, root: str) -> None:
        found = link_problem(folder, self._shown(relative), root)
        if found is not None:
            self._found[os.path.abspath(folder)] = found
            return
        if os.path.islink(folder):
            return  # a link inside the project: its own files are checked where they really are
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            if ignored_name(entry.name) and not entry.name.isdigit():
                continue
            name = f"{relative}/{entry.name}"
            # (the path as shown only for a name that is not ASCII: a content folder holds thousands)
            refused = None if entry.name.isascii() else name_problem(entry.name, self._shown(name))
            if refused is not None:
                self._found[os.path.abspath(entry.path)] = refused
                continue
            if entry.is_symlink():
                found = link_problem(entry.path, self._shown(name), root)
                if found is not None:
                    self._found[os.path.abspath(entry.path)] = found
            elif entry.is_dir():
                self._walk(entry.path, name, root)

    def _recheck(self, path: str, root: str) -> bool:
        """Update what is known about one changed path; False when only a new walk can tell."""
        absolute = os.path.abspath(path)
        source = os.path.abspath(self.source)
        relative = os.path.relpath(absolute, source)
        if relative.split(os.sep, 1)[0] not in READ_FOLDERS:
            return True
        if os.path.isdir(absolute) or not os.path.lexists(absolute):
            return False  # a folder came or went: what it holds is not in ``changed``
        self._found.pop(absolute, None)
        if ignored_name(os.path.basename(absolute)):
            return True
        shown = self._shown(relative.replace(os.sep, "/"))
        found = name_problem(relative, shown) or link_problem(absolute, shown, root)
        if found is not None:
            self._found[absolute] = found
        return True
