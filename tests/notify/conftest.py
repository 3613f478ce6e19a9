"""Fixtures of the notify tests live in notify_fixtures.py, importable by the tests too."""

from notify_fixtures import notify_site, receiver, smtp_server

__all__ = ["notify_site", "receiver", "smtp_server"]
