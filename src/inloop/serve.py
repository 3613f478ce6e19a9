"""A small threaded HTTP server for previewing the output folder.

It serves only the output folder, binds to 127.0.0.1 unless told otherwise,
and mounts the site at ``base_url``'s path, as MkDocs does, so absolute
links (the 404 page's) work as they will in production.
"""

from __future__ import annotations

import errno
import http.server
import os
import posixpath
import socketserver
import sys
import urllib.parse
from functools import partial
from pathlib import Path

import click

from .build import Builder, build_time
from .errors import BuildError, UsageError


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files below ``directory`` under ``mount``; 404.html for the rest."""

    mount = "/"

    def __init__(self, *args: object, directory: str, mount: str, **kwargs: object) -> None:
        self.mount = mount
        super().__init__(*args, directory=directory, **kwargs)  # type: ignore[arg-type]

    def log_message(self, format: str, *args: object) -> None:
        return

    def translate_path(self, path: str) -> str:
        parsed = urllib.parse.urlsplit(path).path
        if not parsed.startswith(self.mount):
            return os.path.join(self.directory, "\0missing")
        inner = "/" + parsed[len(self.mount) :]
        return super().translate_path(inner)

    def do_GET(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path == "/" and self.mount != "/":
            self.send_response(302)
            self.send_header("Location", self.mount)
            self.end_headers()
            return
        super().do_GET()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code == 404 and page.is_file():
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        super().send_error(code, message, explain)


def open_server(host: str, port: int, directory: Path, mount: str) -> _Server:
    handler = partial(SiteHandler, directory=str(directory), mount=mount)
    try:
        return _Server((host, port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(
                f"port {port} on {host} is already in use: stop the other server or choose another port with --port"
            ) from None
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def mount_path(base_url: str) -> str:
    path = urllib.parse.urlsplit(base_url).path or "/"
    path = posixpath.normpath(path)
    return path if path.endswith("/") else path + "/"


def serve_site(builder: Builder, now: str | None, host: str, port: int) -> None:
    """Open the port, build once, serve until Ctrl-C."""
    directory = builder.output
    directory.mkdir(parents=True, exist_ok=True)
    server = open_server(host, port, directory, "/")
    try:
        report = builder.build(build_time(now))
        loaded = builder.load(build_time(now)).config.config
        mount = mount_path(loaded.base_url) if loaded else "/"
        server.RequestHandlerClass = partial(SiteHandler, directory=str(directory), mount=mount)
        click.echo(
            f"built {report.files} files; serving {directory} on http://{host}:{server.server_address[1]}{mount}"
        )
        click.echo("press Ctrl-C to stop")
        sys.stdout.flush()
        server.serve_forever()
    except BuildError:
        raise
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
