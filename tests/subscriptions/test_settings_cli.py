"""[subscriptions] errors with their lines, and the operator's commands: import, export, delete, list."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from subs_fixtures import Running

from inloop.cli.main import main

BASE = """title = "T"
base_url = "https://status.example/"

[[components]]
id = "api"
name = "API"

[subscriptions]
"""


def run(site: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args, "--source", str(site)])
    return result.exit_code, result.stdout, result.stderr.replace(f"{site}/", "")


@pytest.mark.parametrize(
    ("table", "messages"),
    [
        (
            'url = "ftp://x"\nconfirm_hours = -1\ncheck_domain = "yes"\ncolour = 1\n',
            [
                "inloop.toml:9: 'url' must be an http or https URL with a host and no query, found 'ftp://x'",
                "inloop.toml:10: 'confirm_hours' must be more than 0, found -1",
                "inloop.toml:11: 'check_domain' must be true or false, found 'yes'",
                "inloop.toml:12: unknown key 'colour' in [subscriptions]: expected one of 'url', 'database', "
                "'secret_env', 'confirm_hours', 'languages', 'check_domain', 'email_per_hour', 'client_per_hour', "
                "'max_request_bytes', 'trust_forwarded_for'",
            ],
        ),
        (
            'database = "mysql://x"\nlanguages = ["de", "xx"]\nemail_per_hour = 1.5\n',
            [
                "inloop.toml:9: 'database' must be a sqlite:///PATH or postgresql:// URL, found 'mysql://x'",
                "inloop.toml:10: no catalog for language 'xx': expected one of 'de', 'en', 'es', 'fr', 'ja'",
                "inloop.toml:11: 'email_per_hour' must be a whole number, found 1.5",
            ],
        ),
    ],
)
def test_settings_errors_name_their_lines(tmp_path: Path, table: str, messages: list[str]) -> None:
    (tmp_path / "inloop.toml").write_text(BASE + table)
    for command in (["subscriptions", "list"], ["build"]):
        code, _, err = run(tmp_path, *command)
        assert code == 1
        assert [line for line in err.splitlines() if line.startswith("inloop.toml:")] == messages


def test_a_missing_secret_variable_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUBS_SECRET", raising=False)
    (tmp_path / "inloop.toml").write_text(BASE + 'secret_env = "SUBS_SECRET"\n')
    code, _, err = run(tmp_path, "subscriptions", "list")
    assert code == 1 and "SUBS_SECRET" in err and "not set" in err and "Traceback" not in err
    monkeypatch.setenv("SUBS_SECRET", "a-long-enough-secret-value")
    assert run(tmp_path, "subscriptions", "list")[0] == 0


CSV = """email,language,components
one@example.com,de,api
Two@Example.com,,
"""


def test_import_is_idempotent_and_export_delete_list(running: Running, caplog: pytest.LogCaptureFixture) -> None:
    site = running.site
    (site / "subscribers.csv").write_text(CSV)
    caplog.set_level(logging.INFO, logger="inloop.subscriptions")
    code, out, err = run(site, "subscriptions", "import", str(site / "subscribers.csv"))
    assert code == 0, err
    assert out == "imported 2 subscribers, 0 already stored\n"
    code, out, _ = run(site, "subscriptions", "import", str(site / "subscribers.csv"))
    assert out == "imported 0 subscribers, 2 already stored\n"

    code, out, _ = run(site, "subscriptions", "list", "--csv")
    rows = out.splitlines()
    assert rows[0] == "email,language,components,confirmed,created"
    assert [r.split(",")[:4] for r in rows[1:]] == [
        ["one@example.com", "de", "api", "yes"],
        ["Two@Example.com", "en", "", "yes"],
    ]

    code, out, _ = run(site, "subscriptions", "export", "two@example.com")
    data = json.loads(out)
    assert data["subscriber"]["email"] == "Two@Example.com" and data["subscriber"]["confirmed"] is True
    assert data["subscriber"]["origin"] == "import" and data["subscriber"]["components"] == []

    # an imported subscriber signing up again gets a manage link, and no confirmation
    assert running.sign_up("one@example.com").status == 200
    [mail] = running.mailbox.messages
    assert "/manage?" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    code, out, _ = run(site, "subscriptions", "delete", "ONE@example.com")
    assert code == 0 and out.startswith("deleted O***@example.com: 2 records")
    code, out, _ = run(site, "subscriptions", "export", "one@example.com")
    assert json.loads(out) == {"email": "one@example.com", "subscriber": None, "mails_sent": [], "suppressed": None}
    code, _, err = run(site, "subscriptions", "delete", "one@example.com")
    assert code == 1 and "nothing is stored about o***@example.com" in err
    assert "one@example.com" not in caplog.text.lower()  # addresses are masked in the log
    assert "o***@example.com" in caplog.text


def test_import_reports_bad_rows_with_their_lines(running: Running) -> None:
    (running.site / "bad.csv").write_text(
        "email,language,components\nok@example.com,,\nnot-an-address,,\nx@example.com,,nope\n"
    )
    code, _, err = run(running.site, "subscriptions", "import", str(running.site / "bad.csv"))
    assert code == 1
    lines = [line.split(": ", 1)[0].rsplit(":", 1)[1] for line in err.splitlines() if "bad.csv:" in line]
    assert lines == ["3", "4"]
    code, out, _ = run(running.site, "subscriptions", "list")
    assert "ok@example.com" not in out  # all or nothing


def test_the_wsgi_app_reads_inloop_toml_from_its_working_directory(
    running: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wsgiref.util import setup_testing_defaults

    from inloop.subscriptions import LazyApp

    answers: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answers.append(status)

    monkeypatch.chdir(running.site)
    app = LazyApp()
    environ: dict[str, object] = {"PATH_INFO": "/subscribe"}
    setup_testing_defaults(environ)
    body = b"".join(app(environ, start_response))
    assert answers == ["200 OK"] and b'name="email"' in body
    (running.site / "inloop.toml").write_text("title = 1\n")
    broken = LazyApp()
    body = b"".join(broken(dict(environ), start_response))
    assert answers[-1].startswith("500") and b"cannot start" in body


def test_serve_runs_the_service(running: Running) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    from subs_fixtures import free_port

    port = free_port()
    command = [sys.executable, "-c", "import sys; from inloop.cli.main import main; sys.exit(main())"]
    process = subprocess.Popen(
        [*command, "subscriptions", "serve", "--port", str(port)],
        cwd=running.site,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
                    assert answer.read() == b"ok\n"
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the service did not answer")
    finally:
        os.kill(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert f"serving the subscription service on http://127.0.0.1:{port}/" in out
    assert "GET /health 200" in err
