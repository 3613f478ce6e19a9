"""The preview server: the output folder over HTTP, with live reload.

It serves only the output folder, binds to 127.0.0.1 unless told otherwise,
and mounts the site at ``base_url``'s path (as MkDocs does) so that the 404
page's absolute links work as they will in production.  HTML responses, and
only they, get a small script that listens on ``/__inloop/events``
(Server-Sent Events) and reloads the page after every rebuild; after a failed
rebuild they also get an overlay with the errors.  Files on disk are never
changed for this, and every other file is served byte for byte.
"""

from __future__ import annotations

import errno
import html
import http.server
import posixpath
import socketserver
import threading
import urllib.parse
from pathlib import Path

from .errors import Problem, UsageError

EVENTS_PATH = "/__inloop/events"
KEEPALIVE_SECONDS = 15.0

RELOAD_SCRIPT = """<script>/* inloop serve: live reload */(function(){var g=%d;try{var s=new EventSource("%s");
s.onmessage=function(e){if(e.data!==String(g)){s.close();location.reload();}};}catch(e){}})();</script>"""

OVERLAY = """<div id="inloop-errors" role="alert" style="position:fixed;inset:0;z-index:2147483647;overflow:auto;\
background:rgba(20,20,20,.92);color:#fff;font:15px/1.5 ui-monospace,Menlo,Consolas,monospace;padding:2rem">\
<h2 style="margin:0 0 1rem;font:700 20px/1.3 system-ui,sans-serif;color:#ff9f9a">%s</h2>\
<pre style="white-space:pre-wrap;margin:0 0 1rem">%s</pre>\
<p style="font-family:system-ui,sans-serif">The last good site is still in place; \
this page reloads when you save again.</p>\
</div>"""


class LiveState:
    """What the server tells browsers: the build generation and its errors."""

    def __init__(self) -> None:
        self.generation = 0
        self.problems: list[Problem] = []
        self.mount = "/"
        self._changed = threading.Condition()
        self.closing = False

    def publish(self, problems: list[Problem], mount: str | None = None) -> None:
        with self._changed:
            self.generation += 1
            self.problems = list(problems)
            if mount:
                self.mount = mount
            self._changed.notify_all()

    def wait_beyond(self, generation: int, timeout: float) -> int:
        with self._changed:
            self._changed.wait_for(lambda: self.generation != generation or self.closing, timeout)
            return self.generation

    def close(self) -> None:
        with self._changed:
            self.closing = True
            self._changed.notify_all()


class PreviewServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], directory: Path, live: LiveState | None) -> None:
        self.directory = directory
        self.live = live
        super().__init__(address, PreviewHandler)


class PreviewHandler(http.server.SimpleHTTPRequestHandler):
    server: PreviewServer

    def __init__(self, *args: object, **kwargs: object) -> None:
        server = args[2]
        assert isinstance(server, PreviewServer)
        super().__init__(*args, directory=str(server.directory), **kwargs)  # type: ignore[arg-type]

    def log_message(self, format: str, *args: object) -> None:
        return

    @property
    def mount(self) -> str:
        return self.server.live.mount if self.server.live else self._static_mount

    _static_mount = "/"

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def _respond(self, head: bool) -> None:
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path)
        if path == EVENTS_PATH and self.server.live is not None:
            self._events(head)
            return
        mount = self.mount
        if path == "/" and mount != "/":
            self._redirect(mount)
            return
        if not path.startswith(mount) and path + "/" != mount:
            self._not_found(head)
            return
        inner = path[len(mount) :] if path.startswith(mount) else ""
        normal = posixpath.normpath("/" + inner).lstrip("/")
        if normal.startswith("..") or any(part.startswith(".") for part in normal.split("/") if part):
            self._not_found(head)
            return
        target = Path(self.server.directory, normal) if normal not in ("", ".") else Path(self.server.directory)
        if target.is_dir():
            if not path.endswith("/"):
                self._redirect(path + "/" + (f"?{url.query}" if url.query else ""))
                return
            target = target / "index.html"
        if not target.is_file():
            self._not_found(head)
            return
        if target.suffix == ".html":
            self._send_html(200, target.read_bytes(), head)
            return
        self._send_file(target, head)

    def _send_file(self, target: Path, head: bool) -> None:
        """Any other file, byte for byte (the path is decoded once, and checked: no stdlib lookup again)."""
        try:
            data = target.read_bytes()
        except OSError:  # gone since it was checked (a rebuild removed it)
            self._not_found(head)
            return
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(target)))
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _redirect(self, location: str) -> None:
        self.send_response(301)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _not_found(self, head: bool) -> None:
        page = Path(self.server.directory, "404.html")
        if page.is_file():
            self._send_html(404, page.read_bytes(), head)
        else:
            body = b"<!DOCTYPE html><title>Not found</title><h1>Not found</h1>"
            self._send_html(404, body, head)

    def _send_html(self, status: int, body: bytes, head: bool) -> None:
        live = self.server.live
        if live is not None:
            body = inject(body, live.generation, live.problems)
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _events(self, head: bool) -> None:
        live = self.server.live
        assert live is not None
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if head:
            return
        generation = live.generation
        try:
            self.wfile.write(f"retry: 1000\ndata: {generation}\n\n".encode())
            self.wfile.flush()
            while not live.closing:
                current = live.wait_beyond(generation, KEEPALIVE_SECONDS)
                if live.closing:
                    break
                if current != generation:
                    generation = current
                    self.wfile.write(f"data: {generation}\n\n".encode())
                else:
                    self.wfile.write(b": keepalive\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            return


def inject(body: bytes, generation: int, problems: list[Problem]) -> bytes:
    """Add the reload script (and the error overlay) to an HTML page."""
    extra = RELOAD_SCRIPT % (generation, EVENTS_PATH)
    if problems:
        count = len(problems)
        title = f"Rebuild failed: {count} error{'s' if count != 1 else ''}"
        lines = "\n".join(html.escape(str(p)) for p in problems)
        extra = OVERLAY % (html.escape(title), lines) + extra
    data = extra.encode("utf-8")
    marker = body.rfind(b"</body>")
    if marker == -1:
        return body + data
    return body[:marker] + data + body[marker:]


def open_server(host: str, port: int, directory: Path, live: LiveState | None) -> PreviewServer:
    """Open the port now (before any build), or say clearly why not."""
    try:
        return PreviewServer((host, port), directory, live)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(
                f"port {port} on {host} is already in use: stop the program using it, "
                f"or choose another port with --port"
            ) from None
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def mount_path(base_url: str) -> str:
    path = urllib.parse.urlsplit(base_url).path or "/"
    path = posixpath.normpath(path)
    return path if path.endswith("/") else path + "/"
