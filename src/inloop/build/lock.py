"""One build at a time per output folder.

``build``, each rebuild of ``watch`` and ``serve``, and ``publish`` hold an
exclusive ``flock`` on a lock file beside the output folder
(``site/`` → ``.site.inloop-lock`` in the same parent) while they write it.
The kernel releases such a lock when its process ends, however it ends, so a
build killed with ``kill -9`` never leaves a stale lock behind: the file may
stay, but no one holds it.  The holder writes its pid and command into the
file, so that a second build can say whom it waits for.

A lock file that cannot be made beside the output (a parent folder that is
not writable) goes to the temporary folder instead, named after the output's
real path.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from inloop.errors import InloopError

#: How often a waiting build looks again (seconds).
POLL_SECONDS = 0.05


class OutputBusy(InloopError):
    """Another process holds the output folder's lock, and the caller would not wait."""


def lock_path(output: Path) -> Path:
    """The lock file of ``output``: beside its real path (a link to a folder is the folder)."""
    real = Path(os.path.realpath(output))
    if not real.name:  # the root folder has no parent to hold it
        return _fallback_path(output)
    return real.with_name(f".{real.name}.inloop-lock")


def _fallback_path(output: Path) -> Path:
    digest = hashlib.sha256(os.fsencode(os.path.realpath(output))).hexdigest()[:24]
    return Path(tempfile.gettempdir(), f"inloop-{os.getuid()}-{digest}.lock")


def _open(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)


def _holder(path: Path) -> str:
    """Who holds the lock, as its holder wrote it ("pid 1234 (inloop build)"), or a vaguer phrase."""
    deadline = time.monotonic() + 0.5
    while True:
        try:
            text = path.read_text("utf-8", errors="replace").strip()
        except OSError:
            text = ""
        if text or time.monotonic() > deadline:
            break
        time.sleep(0.01)  # the holder has the lock, and is about to write its name
    pid, _, command = text.partition(" ")
    if not pid.isdigit():
        return "another process"
    return f"pid {pid} ({command})" if command else f"pid {pid}"


def _try_lock(path: Path) -> int | None:
    """The descriptor of ``path``, locked by us; None if another process holds it."""
    while True:
        descriptor = _open(path)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return None
        except BaseException:
            os.close(descriptor)
            raise
        # The last holder removes the file as it lets go: locked a file no longer at
        # the path, we would hold nothing that a newcomer could see.  Try again.
        try:
            same = os.path.samestat(os.fstat(descriptor), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            return descriptor
        os.close(descriptor)


class OutputLock:
    """The lock of one output folder, held again and again by one process (``watch``, ``serve``).

    A holder that may hold it again leaves its name in the lock file when it
    lets go; any other holder rewrites or removes the file.  So the next
    :meth:`held` knows whether another process may have written the output
    folder in between: then a builder must not trust its memory of it.
    """

    def __init__(
        self,
        output: Path,
        command: str,
        *,
        on_wait: Callable[[str], None] | None = None,
        shown: str | None = None,
        stop: threading.Event | None = None,
        again: bool = False,
    ) -> None:
        self.output = output
        self.command = command
        self.on_wait = on_wait
        self.shown = shown if shown is not None else os.path.join(str(output), "")
        self.stop = stop
        self.again = again
        self._mark = f"{os.getpid()} {command}\n".encode()
        self._left_mark = False
        #: Folders above the output that this lock made to hold its file, removed again if still empty.
        self._made: list[Path] = []

    @contextlib.contextmanager
    def held(self, *, wait: bool = True) -> Iterator[bool]:
        """Hold the lock for the ``with`` block; it gives whether another process held it since this one last did.

        Another holder now: wait for it (telling ``on_wait`` once, with a
        sentence that names it), or with ``wait=False`` raise
        :class:`OutputBusy`; so does a wait that ``stop`` ends.
        """
        path, descriptor = self._acquire(wait)
        try:
            found = _read_all(descriptor)
            elsewhere = not (self._left_mark and found == self._mark)
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, self._mark, 0)
            yield elsewhere
        finally:
            if self.again:
                self._left_mark = True  # our name stays in the file: the next holder rewrites it
            else:
                with contextlib.suppress(OSError):
                    os.unlink(path)  # while still held: a waiter that locked the old file sees it is gone
                for folder in reversed(self._made):  # a build that failed leaves no folder behind
                    with contextlib.suppress(OSError):
                        folder.rmdir()
                self._made = []
            os.close(descriptor)

    def close(self) -> None:
        """Remove the lock file this holder left for its next time, unless another process holds it now."""
        if not self._left_mark:
            return
        self.again = False
        with contextlib.suppress(OutputBusy, OSError), self.held(wait=False):
            pass

    def _attempt(self) -> tuple[Path, int | None]:
        """One try at the lock, making the folder that holds its file if need be (a first build)."""
        path = lock_path(self.output)
        try:
            self._made += _make_folders(path.parent)
            return path, _try_lock(path)
        except OSError:  # a parent folder we may not write in
            path = _fallback_path(self.output)
            return path, _try_lock(path)

    def _acquire(self, wait: bool) -> tuple[Path, int]:
        path, descriptor = self._attempt()
        told = False
        while descriptor is None:
            holder = _holder(path)
            if not wait:
                raise OutputBusy(
                    f"{self.shown} is being built by {holder}; "
                    "try again when it has finished, or leave out --no-wait to wait"
                )
            if not told and self.on_wait is not None:
                self.on_wait(f"waiting for the build of {self.shown} by {holder} to finish")
                told = True
            if self.stop is not None and self.stop.wait(POLL_SECONDS):
                raise OutputBusy(f"stopped while waiting for the build of {self.shown} by {holder}")
            if self.stop is None:
                time.sleep(POLL_SECONDS)
            path, descriptor = self._attempt()
        return path, descriptor


def _make_folders(folder: Path) -> list[Path]:
    """Make ``folder`` and any missing folder above it; the ones this call made, outermost first."""
    missing = []
    while not folder.is_dir() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    made = []
    for each in reversed(missing):
        try:
            each.mkdir()
        except FileExistsError:
            continue  # made by another process meanwhile: not ours to remove
        made.append(each)
    return made


def _read_all(descriptor: int) -> bytes:
    chunks = []
    offset = 0
    while chunk := os.pread(descriptor, 4096, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


@contextlib.contextmanager
def output_lock(
    output: Path,
    command: str,
    *,
    wait: bool = True,
    on_wait: Callable[[str], None] | None = None,
    shown: str | None = None,
) -> Iterator[None]:
    """Hold the lock of ``output`` once, for the ``with`` block, as ``command`` (e.g. "inloop build").

    Another holder: wait for it (telling ``on_wait`` once, with a sentence
    that names it), or with ``wait=False`` raise :class:`OutputBusy`.
    """
    with OutputLock(output, command, on_wait=on_wait, shown=shown).held(wait=wait):
        yield
