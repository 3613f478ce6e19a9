"""``inloop notify``: tell subscribers about every update, at least once, never skipped."""

from .runner import NotifyReport, notify

__all__ = ["NotifyReport", "notify"]
