"""What a publish did, or would do, in a form the CLI prints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .plan import REASON_TEXT


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class PublishReport:
    """Keys uploaded, deleted and left alone (each sorted), for one destination."""

    destination: str
    uploaded: tuple[str, ...]
    deleted: tuple[str, ...]
    unchanged: tuple[str, ...]
    #: Why each uploaded key went up: new, changed, unfinished, missing, differs.
    reasons: Mapping[str, str] = field(default_factory=dict)
    dry_run: bool = False
    full: bool = False
    #: Things the user should know that did not stop the publish.
    warnings: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.uploaded or self.deleted)

    def lines(self) -> list[str]:
        """One line per upload and deletion, then warnings, then a summary."""
        upload, delete = ("would upload", "would delete") if self.dry_run else ("upload", "delete")
        width = len(upload)
        out = [
            f"{upload:<{width}}  {key}  ({REASON_TEXT.get(self.reasons.get(key, ''), 'changed')})"
            for key in self.uploaded
        ]
        out += [f"{delete:<{width}}  {key}" for key in self.deleted]
        out += [f"warning: {text}" for text in self.warnings]
        checked = " (every object checked)" if self.full else ""
        counts = (
            f"{_count(len(self.uploaded), 'file')} to upload, "
            f"{_count(len(self.deleted), 'file')} to delete, {len(self.unchanged)} unchanged"
            if self.dry_run
            else f"{len(self.uploaded)} uploaded, {len(self.deleted)} deleted, {len(self.unchanged)} unchanged"
        )
        if self.dry_run:
            out.append(f"Dry run for {self.destination}{checked}: {counts}; nothing was written.")
        elif not self.changed:
            out.append(f"{self.destination} is up to date{checked}: {counts}.")
        else:
            out.append(f"Published to {self.destination}{checked}: {counts}.")
        return out
