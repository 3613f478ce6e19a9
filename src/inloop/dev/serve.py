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

import contextlib
import errno
import html
import http.server
import os
import posixpath
import socket
import socketserver
import sys
import threading
import urllib.parse
from pathlib import Path

from inloop.errors import Problem, UsageError

EVENTS_PATH = "/__inloop/events"
KEEPALIVE_SECONDS = 15.0
#: A connection that sends nothing for this long, or has not sent a whole request after it, is dropped:
#: a client that opens connections and never finishes a request holds no thread for long.
IDLE_SECONDS = 10.0
#: What a path keeps unescaped in a ``Location`` header (RFC 3986's pchar and ``/``); all else is %XX.
PATH_SAFE = "/!$&'()*+,;=:@-._~"
#: The same for a query, whose escapes came from the client and stay as they are.
QUERY_SAFE = PATH_SAFE + "?%"

RELOAD_SCRIPT = """<script>/* inloop serve: live reload */(function(){var g=%d;try{var s=new EventSource("%s");
s.onmessage=function(e){if(e.data!==String(g)){s.close();location.reload();}};}catch(e){}})();</script>"""

#: The error overlay: opaque, with a colour of its own for every text in either colour scheme, and a
#: style that the site's own CSS cannot reach (an id, !important), so that it reads on any theme.
OVERLAY_STYLE = (
    "#inloop-errors{position:fixed!important;inset:0!important;z-index:2147483647!important;"
    "box-sizing:border-box!important;overflow:auto!important;margin:0!important;padding:2rem!important;"
    "opacity:1!important;filter:none!important;text-align:left!important;border:0!important;"
    "background:#1f2024!important;color:#f1f2f4!important;"
    "font:15px/1.5 ui-monospace,Menlo,Consolas,monospace!important}"
    "#inloop-errors *{background:transparent!important;color:inherit!important;opacity:1!important;"
    "text-shadow:none!important;border:0!important;padding:0!important}"
    "#inloop-errors h2{margin:0 0 1rem!important;font:700 20px/1.3 system-ui,sans-serif!important;"
    "color:#ffb4a9!important}"
    "#inloop-errors pre{white-space:pre-wrap!important;margin:0 0 1rem!important;font:inherit!important;"
    "overflow:visible!important}"
    "#inloop-errors p{margin:0!important;font:15px/1.5 system-ui,sans-serif!important}"
    "@media (prefers-color-scheme:light){#inloop-errors{background:#fffdfc!important;color:#1b1f24!important}"
    "#inloop-errors h2{color:#a3161c!important}}"
)
OVERLAY = (
    '<div id="inloop-errors" role="alert" aria-labelledby="inloop-errors-title">'
    f"<style>{OVERLAY_STYLE}</style>"
    '<h2 id="inloop-errors-title">%s</h2>'
    "<pre>%s</pre>"
    "<p>The last good site is still in place; this page reloads when you save again.</p>"
    "</div>"
)


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

    def __init__(
        self, address: tuple[str, int], directory: Path, live: LiveState | None, idle_seconds: float = IDLE_SECONDS
    ) -> None:
        self.directory = directory
        self.live = live
        self.idle_seconds = idle_seconds
        super().__init__(address, PreviewHandler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that went away or was too slow is no error of ours: no traceback on the terminal."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class PreviewHandler(http.server.SimpleHTTPRequestHandler):
    server: PreviewServer

    def __init__(self, *args: object, **kwargs: object) -> None:
        server = args[2]
        assert isinstance(server, PreviewServer)
        super().__init__(*args, directory=str(server.directory), **kwargs)  # type: ignore[arg-type]

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_seconds)  # for each read and write on the socket
        # That is for each read: a client sending a byte now and then would keep a request
        # half-sent for ever.  The whole request must arrive within the time too.
        self._deadline = threading.Timer(self.server.idle_seconds, self._drop)
        self._deadline.daemon = True
        self._deadline.start()

    def _drop(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def parse_request(self) -> bool:
        self._deadline.cancel()  # the request line and the headers are in
        return super().parse_request()

    def finish(self) -> None:
        self._deadline.cancel()
        with contextlib.suppress(OSError):  # a client that went away: nothing left to flush to
            super().finish()

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
        # the request line's bytes (read as Latin-1), %XX decoded once, as UTF-8
        path = urllib.parse.unquote_to_bytes(url.path.encode("latin-1", "replace")).decode("utf-8", "replace")
        if path == EVENTS_PATH and self.server.live is not None:
            self._events(head)
            return
        mount = self.mount
        if path == "/" and mount != "/":
            self._redirect(urllib.parse.unquote(mount))
            return
        if not path.startswith(mount) and path + "/" != mount:
            self._not_found(head)
            return
        inner = path[len(mount) :] if path.startswith(mount) else ""
        normal = posixpath.normpath("/" + inner).lstrip("/")
        if normal.startswith("..") or any(part.startswith(".") for part in normal.split("/") if part):
            self._not_found(head)
            return
        if normal == ".":
            normal = ""
        target = self._real(normal)
        if target is not None and target.is_dir():
            if not path.endswith("/"):
                # to the folder's path as normalised, never to the bytes of the request
                self._redirect(urllib.parse.unquote(mount) + normal + "/", url.query)
                return
            target = self._real(normal + "/index.html" if normal else "index.html")
        if target is None or not target.is_file():
            self._not_found(head)
            return
        if target.suffix == ".html":
            self._send_html(200, target.read_bytes(), head)
            return
        self._send_file(target, head)

    def _real(self, relative: str) -> Path | None:
        """The file or folder at ``relative`` in the output, by its real path; None if that is outside the output.

        A link inside the output to a file elsewhere (``site/x -> /etc/passwd``)
        is not served: only what really is in the output folder.
        """
        root = Path(os.path.realpath(self.server.directory))
        try:
            real = Path(os.path.realpath(os.path.join(root, relative)))
        except (OSError, ValueError):  # a loop of links, a NUL in the name
            return None
        return real if real == root or real.is_relative_to(root) else None

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

    def _redirect(self, path: str, query: str = "") -> None:
        """A 301 to ``path`` (decoded), percent-encoded: no byte of it can end the header or start another."""
        location = urllib.parse.quote_from_bytes(path.encode("utf-8", "surrogateescape"), safe=PATH_SAFE)
        if query:  # as the client sent it (a str of Latin-1 code points), escapes kept, anything else escaped
            location += "?" + urllib.parse.quote_from_bytes(query.encode("latin-1", "replace"), safe=QUERY_SAFE)
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


def open_server(
    host: str, port: int, directory: Path, live: LiveState | None, idle_seconds: float = IDLE_SECONDS
) -> PreviewServer:
    """Open the port now (before any build), or say clearly why not."""
    try:
        return PreviewServer((host, port), directory, live, idle_seconds)
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
