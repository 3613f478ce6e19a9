"""``inloop subscriptions serve``: the standard library's WSGI server, threaded, logging no tokens."""

from __future__ import annotations

import logging
import socketserver
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .app import Service

log = logging.getLogger("inloop.subscriptions")


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    """Logs method, path and status: never the query string, which holds personal tokens."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.split("?", 1)[0]
        log.info("%s %s %s", self.command, path, code)

    def log_message(self, format: str, *args: object) -> None:
        log.info("%s", (format % args).split("?", 1)[0])


def make(service: Service, host: str, port: int) -> WSGIServer:
    return make_server(host, port, service, server_class=_ThreadingServer, handler_class=_QuietHandler)


def run(service: Service, host: str, port: int) -> None:
    server = make(service, host, port)
    where = f"http://{host}:{server.server_port}/"
    log.info("subscription service on %s (Ctrl+C stops it)", where)
    print(f"serving the subscription service on {where}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
