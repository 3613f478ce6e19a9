"""Email subscriptions: a small service beside the static site (sign-up, confirmation, manage, unsubscribe).

``inloop.subscriptions:app`` is a WSGI application for gunicorn or any WSGI
server; it reads ``inloop.toml`` from its working directory on the first
request.  ``inloop subscriptions serve`` runs it with the standard library's
server.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import Service

__all__ = ["LazyApp", "app"]


class LazyApp:
    """A WSGI application that makes its :class:`~inloop.subscriptions.app.Service` on the first request.

    Importing it reads nothing, so a WSGI server can import it before it
    changes to the site's folder.  A broken ``inloop.toml`` answers 500 and
    logs every problem; the next request tries again.
    """

    def __init__(self, source: Path | None = None) -> None:
        self.source = source
        self._service: Service | None = None
        self._lock = threading.Lock()

    def service(self) -> Service:
        with self._lock:
            if self._service is None:
                from .app import Service

                self._service = Service(self.source or Path.cwd())
            return self._service

    def __call__(self, environ: Mapping[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        from ..errors import InloopError

        try:
            service = self.service()
        except InloopError as exc:
            logging.getLogger("inloop.subscriptions").error("cannot start: %s", exc)
            body = b"The subscription service cannot start: see its log.\n"
            start_response(
                "500 Internal Server Error",
                [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return service(environ, start_response)


app = LazyApp()
