"""``inloop serve`` in a subprocess, asked over real HTTP on 127.0.0.1.

The port is chosen by the system (``--port 0``) and read from the line the
server prints; readiness is that line and the first rebuild's line, never a
fixed sleep.  Live reload is checked on the wire: the Server-Sent Events
stream must send an event after every rebuild, good or bad.
"""

from __future__ import annotations

import html
import re
import signal
import socket
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .support import (
    EVENTS,
    NOW_TEXT,
    OPEN_ID,
    REBUILT,
    RESOLVED_ID,
    SCRIPT,
    WAIT,
    EventStream,
    Process,
    Served,
    assert_same_site,
    copy_example,
    save_in_place,
    start_serve,
    tree,
    tree_with_times,
)

pytestmark = [pytest.mark.timeout(60), pytest.mark.server]


def add_static_files(source: Path) -> None:
    (source / "static" / "img").mkdir(parents=True)
    (source / "static" / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>\n')
    (source / "static" / "img" / "favicon.ico").write_bytes(bytes(range(256)) * 4)
    (source / "static" / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (source / "static" / "100%41 uptime.txt").write_text("a file whose name holds an escape\n")


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory, built_example: Path) -> Iterator[Served]:
    """One server on the example (plus static files) for the tests that only read."""
    source = copy_example(tmp_path_factory.mktemp("served") / "acme", warm_from=built_example)
    add_static_files(source)
    served = start_serve(source)
    yield served
    served.stop(signal.SIGINT)


# -- what is served, and how ------------------------------------------------------------------------


def html_pages(output: Path) -> list[str]:
    return sorted(path for path in tree(output) if path.endswith(".html"))


def test_html_pages_get_the_live_reload_script_and_files_on_disk_do_not(example: Served) -> None:
    on_disk = tree(example.output)
    assert not any(b"__inloop" in data for data in on_disk.values())
    pages = html_pages(example.output)
    assert "index.html" in pages and "404.html" in pages
    for relative in pages:
        url = "/" + relative.removesuffix("index.html")
        response = example.get(url)
        assert response.status == 200, url
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert response.live, url
        assert response.overlay is None
        assert response.without_injection() == on_disk[relative], url
        assert int(response.headers["Content-Length"]) == len(response.body)
    # the script goes just before </body>
    body = example.get("/").body
    assert SCRIPT.search(body) and body.rstrip().endswith(b"</html>")
    assert body.index(SCRIPT.search(body).group(0)) < body.rindex(b"</body>")  # type: ignore[union-attr]


def test_every_other_file_is_served_byte_for_byte(example: Served) -> None:
    others = {path: data for path, data in tree(example.output).items() if not path.endswith(".html")}
    assert "feed.xml" in others and "logo.svg" in others and "img/favicon.ico" in others
    assert any(re.fullmatch(r"style\.[0-9a-f]+\.css", path) for path in others)
    for relative, data in others.items():
        if relative.startswith(".") or "/." in relative:
            continue  # hidden: not served (see below)
        response = example.get("/" + urllib.parse.quote(relative))
        assert response.status == 200, relative
        assert response.body == data, relative
        assert not response.live
    assert example.get("/feed.xml").headers["Content-Type"] in ("application/xml", "text/xml", "application/rss+xml")
    assert example.get("/logo.svg").headers["Content-Type"] == "image/svg+xml"


def test_a_name_is_decoded_once(example: Served) -> None:
    """``%25`` is a ``%`` in a name, not the start of a second escape."""
    response = example.get("/100%2541%20uptime.txt")
    assert response.status == 200
    assert response.body == (example.output / "100%41 uptime.txt").read_bytes()
    assert example.get("/100A%20uptime.txt").status == 404


def test_head_requests_send_no_body(example: Served) -> None:
    for path in ("/", "/feed.xml", EVENTS):
        response = example.get(path, method="HEAD")
        assert response.status == 200, path
        assert response.body == b"", path


def test_a_missing_page_is_the_404_page_with_the_script(example: Served) -> None:
    response = example.get("/no/such/page/")
    assert response.status == 404
    assert response.live
    assert response.without_injection() == (example.output / "404.html").read_bytes()
    head = example.get("/no/such/page/", method="HEAD")
    assert head.status == 404 and head.body == b""


def test_a_folder_without_its_slash_redirects(example: Served) -> None:
    response = example.get(f"/incidents/{RESOLVED_ID}?from=test")
    assert response.status == 301
    assert response.headers["Location"] == f"/incidents/{RESOLVED_ID}/?from=test"
    assert example.get(f"/incidents/{RESOLVED_ID}/?from=test").status == 200


@pytest.mark.parametrize(
    "path",
    [
        "/../inloop.toml",
        "/../../inloop.toml",
        "/incidents/../../inloop.toml",
        "/%2e%2e/inloop.toml",
        "/%2E%2E/inloop.toml",
        "/%2e%2e%2finloop.toml",
        "/..%2finloop.toml",
        "/incidents/%2e%2e/%2e%2e/inloop.toml",
        "/inloop.toml",
        f"/content/incidents/{RESOLVED_ID}.md",
        "/../content/incidents/",
        "/.inloop-build.json",
        "/%2einloop-build.json",
        "/./.inloop-build.json",
        "/.inloop-cache/",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
        "/%00",
        "/index.html%00.txt",
    ],
)
def test_only_the_output_folder_is_served(example: Served, path: str) -> None:
    response = example.get(path)
    assert response.status == 404, path
    assert response.live
    assert response.without_injection() == (example.output / "404.html").read_bytes()
    assert b"[[components]]" not in response.body and b"root:" not in response.body


def test_the_server_never_printed_a_traceback(example: Served) -> None:
    """Whatever the tests above asked, stderr stayed empty (checked again when the server stops)."""
    example.get("/%00")
    example.get("/../inloop.toml")
    assert example.process.popen.poll() is None
    assert example.process.stderr == []


def test_the_default_address_is_127_0_0_1(example: Served) -> None:
    listening = Path("/proc/net/tcp")
    if not listening.exists():
        pytest.skip("no /proc/net/tcp to read the listening address from")
    rows = [line.split() for line in listening.read_text().splitlines()[1:]]
    ours = [row[1] for row in rows if row[3] == "0A" and int(row[1].split(":")[1], 16) == example.port]
    assert ours == [f"0100007F:{example.port:04X}"]


# -- live reload --------------------------------------------------------------------------------------


def test_an_event_after_every_rebuild_and_an_overlay_while_the_site_is_broken(served: Served) -> None:
    incident = served.source / "content" / "incidents" / f"{RESOLVED_ID}.md"
    page = f"/incidents/{RESOLVED_ID}/"
    events = EventStream(served.port)
    try:
        generation = int(events.next())
        assert generation >= 1

        # a good save: an event, and the page has the new text
        text = incident.read_text("utf-8")
        save_in_place(incident, text.replace("for 30 minutes", "for 45 minutes", 1))
        assert int(events.next()) == generation + 1
        served.process.expect(REBUILT)
        response = served.get(page)
        assert b"for 45 minutes" in response.body and response.overlay is None

        # a bad save: an event too, and every HTML response shows the errors over the last good page
        good = tree_with_times(served.output)
        save_in_place(incident, text.replace("impact: minor", "impact: tiny", 1))
        assert int(events.next()) == generation + 2
        assert served.process.line() == "rebuild failed: 1 error, kept the last good site"
        problem = served.process.line()
        assert problem.startswith(f"acme/content/incidents/{RESOLVED_ID}.md:3: ")
        for path in (page, "/", "/history/", "/no/such/page"):
            response = served.get(path)
            assert response.overlay is not None, path
            assert html.escape(problem).encode() in response.overlay
            assert b"Rebuild failed: 1 error" in response.overlay
            assert (
                response.without_injection()
                == (
                    served.output / ("404.html" if path == "/no/such/page" else path.lstrip("/") + "index.html")
                ).read_bytes()
            )
        assert served.get("/feed.xml").body == (served.output / "feed.xml").read_bytes()
        assert tree_with_times(served.output) == good  # the last good site, untouched

        # the fix: an event, and the overlay is gone
        save_in_place(incident, text.replace("for 30 minutes", "for an hour", 1))
        assert int(events.next()) == generation + 3
        served.process.expect(REBUILT)
        response = served.get(page)
        assert response.overlay is None and b"for an hour" in response.body
        assert served.get("/").overlay is None
    finally:
        events.close()
    assert_same_site(served.output, served.source)


def test_a_late_client_learns_the_current_generation_at_once(served: Served) -> None:
    first = EventStream(served.port)
    try:
        generation = first.next()
    finally:
        first.close()
    script = SCRIPT.search(served.get("/").body)
    assert script is not None and f"var g={generation};".encode() in script.group(0)


def test_ctrl_c_and_sigterm_stop_the_server_with_a_client_listening(acme: Path) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        server = start_serve(acme)
        events = EventStream(server.port)
        try:
            events.next()
            server.stop(signum)
        finally:
            events.close()
            server.process.kill()
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", server.port), timeout=WAIT).close()


# -- ports and paths -------------------------------------------------------------------------------


def test_a_port_in_use_is_a_clear_error(acme: Path, inloop: Callable[..., Process]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = inloop(["serve", "--source", "acme", "--now", NOW_TEXT, "--port", str(port)], cwd=acme.parent)
        assert process.wait() == 1
    assert process.stdout == []
    assert process.stderr == [
        f"error: port {port} on 127.0.0.1 is already in use: stop the program using it, "
        "or choose another port with --port"
    ]
    assert not (acme / "site").exists()  # nothing built, nothing made


def test_a_base_url_with_a_path_is_served_under_that_path(acme: Path) -> None:
    config = acme / "inloop.toml"
    save_in_place(
        config,
        config.read_text("utf-8").replace("https://status.acme.example/", "https://x.example/status/"),
    )
    server = start_serve(acme)
    try:
        assert server.mount == "/status/"
        index = server.get("/status/")
        assert index.status == 200 and index.live
        assert index.without_injection() == (server.output / "index.html").read_bytes()
        root = server.get("/")
        assert root.status == 301 and root.headers["Location"] == "/status/"
        assert server.get("/status").status == 301
        assert server.get("/status/feed.xml").body == (server.output / "feed.xml").read_bytes()
        assert b"https://x.example/status/" in (server.output / "feed.xml").read_bytes()
        assert server.get("/feed.xml").status == 404
        assert server.get("/status/../inloop.toml").status == 404
        # the 404 page's links are absolute under the base path, and they work here
        missing = server.get("/status/no/such/page/")
        assert missing.status == 404 and missing.live
        stylesheets = re.findall(rb'<link rel="stylesheet" href="([^"]+)"', missing.body)
        assert stylesheets
        for href in stylesheets:
            assert href.startswith(b"/status/"), href
            assert server.get(href.decode()).status == 200
    finally:
        server.stop(signal.SIGINT)


def test_the_output_folder_is_served_even_when_it_is_elsewhere(acme: Path, tmp_path: Path) -> None:
    public = tmp_path / "public"
    process = Process(
        ["serve", "--source", "acme", "--output", str(public), "--now", NOW_TEXT, "--port", "0"], cwd=acme.parent
    )
    try:
        process.expect(r"watching acme \(Ctrl-C to stop\)")
        port = int(process.expect(rf"serving {re.escape(str(public))} on http://127\.0\.0\.1:(\d+)/").group(1))
        process.expect(REBUILT)
        served = Served(process, port, "/", acme)
        assert served.get("/").without_injection() == (public / "index.html").read_bytes()
        assert served.get("/inloop.toml").status == 404
        served.stop(signal.SIGTERM)
    finally:
        process.kill()
    assert not (acme / "site").exists()


def test_serving_a_copy_of_the_repository_example(tmp_path: Path, built_example: Path) -> None:
    """The README's command, ``inloop serve --now ...`` in the example's folder, defaults and all."""
    source = copy_example(tmp_path / "example", warm_from=built_example)
    process = Process(["serve", "--now", NOW_TEXT, "--port", "0"], cwd=source)
    try:
        process.expect(r"watching \. \(Ctrl-C to stop\)")
        port = int(process.expect(r"serving site on http://127\.0\.0\.1:(\d+)/").group(1))
        process.expect(REBUILT)
        served = Served(process, port, "/", source)
        assert served.get(f"/incidents/{OPEN_ID}/").status == 200
        served.stop(signal.SIGINT)
    finally:
        process.kill()
