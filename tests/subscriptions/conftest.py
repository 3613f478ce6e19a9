"""Fixtures of the subscription tests live in subs_fixtures.py, importable by the tests too."""

from subs_fixtures import database_url, postgres_server, running, running_any, smtp_server

__all__ = ["database_url", "postgres_server", "running", "running_any", "smtp_server"]
