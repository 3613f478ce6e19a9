"""What the receiver remembers between webhooks: which incident each alert group opened.

A small JSON file in the cache folder (``.inloop-cache/alerts-state.json``),
written to a temporary file and renamed into place, so that a receiver
killed mid-write leaves the old state whole.  A lost state costs little:
the next firing alert opens a new incident.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from inloop.build.cache import CACHE_DIR

STATE_NAME = "alerts-state.json"
VERSION = 1


@dataclass(slots=True)
class Group:
    """One alert group and the incident it opened."""

    incident: str
    rule: int
    template: str | None = None
    #: fingerprint -> summary, of the alerts firing now
    firing: dict[str, str] = field(default_factory=dict)
    #: the components the group's alerts set, and their statuses
    components: dict[str, str] = field(default_factory=dict)
    #: the summaries already quoted in an update
    quoted: list[str] = field(default_factory=list)
    #: when every alert of the group last resolved (ISO 8601), None while firing
    cleared_at: str | None = None
    auto_resolve: bool = False


@dataclass(slots=True)
class State:
    groups: dict[str, Group] = field(default_factory=dict)

    @staticmethod
    def path_for(source: Path) -> Path:
        return source / CACHE_DIR / STATE_NAME

    @classmethod
    def load(cls, path: Path) -> tuple[State, str | None]:
        """The state, and a note when the file was unreadable (then an empty state)."""
        try:
            data = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return cls(), None
        except (OSError, ValueError) as exc:
            return cls(), f"the receiver's state {path} could not be read ({exc}): starting afresh"
        try:
            groups = {key: Group(**value) for key, value in data["groups"].items()}
        except (KeyError, TypeError, AttributeError) as exc:
            return cls(), f"the receiver's state {path} has an unknown shape ({exc}): starting afresh"
        return cls(groups), None

    def save(self, path: Path) -> None:
        data = {"version": VERSION, "groups": {key: asdict(group) for key, group in sorted(self.groups.items())}}
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=".inloop-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1, ensure_ascii=False)
                out.write("\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(name, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(name)
            raise
