"""Writing content files safely: never over another file, never over someone's edit.

A new file is written to a hidden temporary file (the watcher and the
builder skip names starting with ``.``) and then linked into place, which
fails if the name was taken in the meantime.  An edited file replaces the
original with ``os.replace`` only if the original still has the bytes and
the modification time it had when it was read.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError

#: Called with the path right before the last look at the file on disk; tests
#: set it to change the file in that moment, as another editor would.
before_replace_hook: Callable[[Path], None] | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A file as it was read: its bytes and what tells that it changed."""

    path: Path
    data: bytes
    mtime_ns: int
    size: int

    @classmethod
    def read(cls, path: Path) -> Snapshot:
        try:
            with path.open("rb") as handle:
                info = os.fstat(handle.fileno())
                data = handle.read()
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from None
        return cls(path, data, info.st_mtime_ns, info.st_size)


def _temporary(folder: Path, data: bytes, mode: int | None = None) -> Path:
    handle, name = tempfile.mkstemp(dir=folder, prefix=".inloop-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if mode is not None:
            os.chmod(name, stat.S_IMODE(mode))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)


def create_new(path: Path, data: bytes) -> None:
    """Write a file that must not exist yet; raise :class:`FileExistsError` if it does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary(path.parent, data, 0o666 & ~_umask())
    try:
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links
            with path.open("xb") as out:
                out.write(data)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def replace_if_unchanged(original: Snapshot, data: bytes, shown: str) -> None:
    """Replace the file read as ``original`` by ``data``, unless it changed since it was read."""
    target = Path(os.path.realpath(original.path))  # replace a symlink's target, not the link
    try:
        mode: int | None = target.stat().st_mode
    except OSError:
        mode = None
    temporary = _temporary(target.parent, data, mode)
    try:
        if before_replace_hook is not None:
            before_replace_hook(original.path)
        try:
            now = Snapshot.read(target)
        except UsageError:
            raise UsageError(f"{shown} was removed while inloop was editing it: nothing was written") from None
        if now.data != original.data or now.mtime_ns != original.mtime_ns or now.size != original.size:
            raise UsageError(
                f"{shown} changed while inloop was editing it (saved in an editor?): "
                "nothing was written; run the command again"
            )
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
