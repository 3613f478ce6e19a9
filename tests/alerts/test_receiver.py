"""The receiver over real HTTP on 127.0.0.1: payloads, rules, groups, flapping, authentication, limits."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alert_support import SITE_CONFIG, TOKEN, Running, statuses

from inloop.alerts.server import FollowUp

Start = Callable[..., Running]


def _text(path: Path) -> str:
    return path.read_text("utf-8")


def _front(path: Path) -> str:
    return _text(path).split("\n---\n", 1)[0]


# -- Alertmanager, Grafana, generic -------------------------------------------------------


def test_alertmanager_firing_opens_one_incident_with_the_rules_components(
    alert_site: Path, start_receiver: Start
) -> None:
    running = start_receiver(alert_site)
    code, body = running.send("/alertmanager", running.fixture("alertmanager-v4-firing.json"))
    assert code == 200, body
    [path] = running.incidents()
    assert body["incidents"] == [path.stem]
    text = _text(path)
    assert "impact: major\n" in text
    assert "components:\n  api: major_outage\n" in text
    # the built-in template quotes the summary, escaped so that Markdown shows it as text
    assert "title: Problems with Public API" in text
    assert 'cause: "Our monitoring reports: \u201cAPI error rate above 5% &lt;for 5m&gt;\u201d"' in text
    assert "## 2026-11-26 12:00 UTC \u2014 Investigating\n" in text
    assert (
        "Our monitoring reports a problem with Public API: \u201cAPI error rate above 5% &lt;for 5m&gt;\u201d." in text
    )
    assert running.followed_up() == [running.clock.now]  # a build was asked for, and ran

    running.clock.advance(60)
    assert running.send("/alertmanager", running.fixture("alertmanager-v4-firing.json"))[0] == 200  # a repeat
    assert _text(path) == text  # changes nothing

    running.clock.advance(60)
    code, body = running.send("/alertmanager", running.fixture("alertmanager-v4-resolved.json"))
    assert code == 200, body
    after = _text(path)
    assert "components:\n  api: major_outage\n" in after  # the front matter keeps the status from the start
    assert (
        "## 2026-11-26 12:02 UTC \u2014 Monitoring\nComponents: api \u2192 operational\n\n"
        "The alert has cleared and Public API should work normally again."
    ) in after
    assert statuses(alert_site, path) == {"api": "operational"}
    assert "Resolved" not in after  # a person says when it is fixed


def test_a_second_alert_of_the_group_updates_the_same_incident(alert_site: Path, start_receiver: Start) -> None:
    running = start_receiver(alert_site)
    payload = running.fixture("alertmanager-v4-firing.json")
    running.send("/alertmanager", payload)
    second = json.loads(json.dumps(payload["alerts"][0]))
    second["labels"] = {"alertname": "HighLatency", "service": "dashboard", "severity": "critical"}
    second["annotations"] = {"summary": "Dashboard p99 above 3 s"}
    second["fingerprint"] = "0000aaaa1111bbbb"
    payload["alerts"].append(second)
    running.clock.advance(120)
    code, body = running.send("/alertmanager", payload)
    assert code == 200, body
    [path] = running.incidents()
    text = _text(path)
    assert (
        "## 2026-11-26 12:02 UTC \u2014 Update\nComponents: dashboard \u2192 degraded_performance\n\n"
        "Our monitoring also reports: \u201cDashboard p99 above 3 s\u201d."
    ) in text
    assert statuses(alert_site, path) == {"api": "major_outage", "dashboard": "degraded_performance"}
    # one alert resolving of two: nothing yet; both: Monitoring, once
    payload["alerts"][0]["status"] = "resolved"
    running.clock.advance(60)
    running.send("/alertmanager", payload)
    assert "Monitoring" not in _text(path)
    payload["alerts"][1]["status"] = "resolved"
    running.clock.advance(60)
    running.send("/alertmanager", payload)
    running.send("/alertmanager", payload)
    final = _text(path)
    assert final.count("\u2014 Monitoring") == 1
    assert "\u2014 Monitoring\nComponents: api \u2192 operational, dashboard \u2192 operational\n\n" in final
    assert statuses(alert_site, path) == {"api": "operational", "dashboard": "operational"}


def test_a_status_is_raised_never_lowered_by_more_alerts(alert_site: Path, start_receiver: Start) -> None:
    rule = '\n[[alerts.rules]]\nmatch = { service = "api" }\ncomponents = { api = "degraded_performance" }\n'
    (alert_site / "inloop.toml").write_text(SITE_CONFIG + rule, "utf-8")
    running = start_receiver(alert_site)
    payload = running.fixture("alertmanager-v4-firing.json")
    critical = payload["alerts"][0]
    warning = {**critical, "labels": {**critical["labels"], "severity": "warning"}, "fingerprint": "0000000000000001"}
    payload["alerts"] = [warning]
    running.send("/alertmanager", payload)
    [path] = running.incidents()
    assert "  api: degraded_performance\n" in _text(path)
    running.clock.advance(60)
    payload["alerts"] = [warning, critical]
    running.send("/alertmanager", payload)
    assert "\u2014 Update\nComponents: api \u2192 major_outage\n\n" in _text(path)
    assert statuses(alert_site, path) == {"api": "major_outage"}
    before = _text(path)
    running.clock.advance(60)
    another = {**warning, "fingerprint": "0000000000000002"}
    payload["alerts"] = [warning, critical, another]
    running.send("/alertmanager", payload)
    assert _text(path) == before  # a lower status and a summary already quoted: nothing to say


def test_a_new_alert_raises_what_a_person_lowered_since(
    alert_site: Path, start_receiver: Start, run_cli: Callable[..., Any]
) -> None:
    """The statuses now are the incident's timeline (a person's update among it), not what the alerts said."""
    running = start_receiver(alert_site)
    payload = running.fixture("alertmanager-v4-firing.json")
    running.send("/alertmanager", payload)
    [path] = running.incidents()
    lowered = ["update", path.stem, "Failing over helped.", "--component", "api=degraded_performance"]
    done = run_cli([*lowered, "--source", str(alert_site), "--now", "2026-11-26 12:01 UTC"])
    assert done.exit_code == 0, done.stderr
    assert statuses(alert_site, path) == {"api": "degraded_performance"}
    running.clock.advance(120)
    another = {**payload["alerts"][0], "fingerprint": "0000000000000003"}
    payload["alerts"] = [payload["alerts"][0], another]
    code, body = running.send("/alertmanager", payload)
    assert code == 200 and "update (api major_outage)" in body["message"], body
    assert "## 2026-11-26 12:02 UTC \u2014 Update\nComponents: api \u2192 major_outage\n\n" in _text(path)
    assert statuses(alert_site, path) == {"api": "major_outage"}


def test_grafana_payloads_open_and_clear_with_the_rules_template(alert_site: Path, start_receiver: Start) -> None:
    running = start_receiver(alert_site)
    code, body = running.send("/grafana", running.fixture("grafana-firing.json"))
    assert code == 200, body
    [path] = running.incidents()
    assert path.name == "2026-11-26-dashboard-is-slow.md"
    text = _text(path)
    assert "  dashboard: degraded_performance\n" in text
    assert "Dashboard responds slowly: Dashboard p95 latency is 4.2 s." in text
    assert "# inloop: template" in text  # check knows it is a template's text
    running.clock.advance(300)
    assert running.send("/grafana", running.fixture("grafana-resolved.json"))[0] == 200
    text = _text(path)
    cleared = "\u2014 Monitoring\nComponents: dashboard \u2192 operational\n\nDashboard is fast again"
    assert cleared + "; we keep watching it." in text
    assert statuses(alert_site, path) == {"dashboard": "operational"}


def test_generic_payloads_and_auto_resolve(alert_site: Path, start_receiver: Start) -> None:
    running = start_receiver(alert_site)
    code, body = running.send("/generic", running.fixture("generic-firing.json"))
    assert code == 200, body
    [path] = running.incidents()
    assert "  email: partial_outage\n" in _text(path)
    running.clock.advance(600)
    assert running.send("/generic", running.fixture("generic-resolved.json"))[0] == 200
    text = _text(path)
    # resolving sets every component operational: no status line
    assert "\u2014 Resolved\nThe alert has cleared, and service to Email delivery is restored." in text
    assert statuses(alert_site, path) == {"email": "operational"}


def test_an_alert_matching_no_rule_is_accepted_and_logged(alert_site: Path, start_receiver: Start) -> None:
    running = start_receiver(alert_site)
    alert = {"status": "firing", "labels": {"service": "email", "severity": "info"}, "annotations": {}}
    code, body = running.send("/generic", alert)
    assert (code, body["status"]) == (202, "ignored")
    assert running.incidents() == []
    assert any("no rule matches firing alert alert {service='email', severity='info'}" in line for line in running.log)
    assert running.follow_up is not None and running.follow_up.requests == 0  # nothing written, nothing to build


def test_regex_values_match_the_whole_label(alert_site: Path, start_receiver: Start) -> None:
    running = start_receiver(alert_site)
    partial = {"status": "firing", "labels": {"service": "email", "severity": "pager"}}
    assert running.send("/generic", partial)[0] == 202  # '~page|critical' does not match 'pager'
    assert running.send("/generic", {**partial, "labels": {"service": "email", "severity": "critical"}})[0] == 200


def test_flapping_reopens_nothing_and_posts_no_update_per_flap(alert_site: Path, start_receiver: Start) -> None:
    running = start_receiver(alert_site)
    firing = running.fixture("alertmanager-v4-firing.json")
    resolved = running.fixture("alertmanager-v4-resolved.json")
    running.send("/alertmanager", firing)
    running.clock.advance(120)
    running.send("/alertmanager", resolved)
    [path] = running.incidents()
    cleared = _text(path)
    assert cleared.count("\u2014 Monitoring") == 1
    for _ in range(3):  # firing again and clearing, within flap_seconds each time
        running.clock.advance(100)
        code, body = running.send("/alertmanager", firing)
        assert "flapping" in body["message"]
        running.clock.advance(100)
        running.send("/alertmanager", resolved)
    assert running.incidents() == [path]
    assert _text(path) == cleared
    running.clock.advance(100)
    running.send("/alertmanager", firing)
    running.clock.advance(400)  # still firing, long after the last clearing: a real return
    code, body = running.send("/alertmanager", firing)
    assert code == 200 and "firing again" in body["message"]
    text = _text(path)
    assert "\u2014 Investigating\nComponents: api \u2192 major_outage\n\nOur monitoring also reports" in text
    assert statuses(alert_site, path) == {"api": "major_outage"}


def test_an_incident_a_person_resolved_is_not_reopened(
    alert_site: Path, start_receiver: Start, run_cli: Callable[..., Any]
) -> None:
    running = start_receiver(alert_site)
    firing = running.fixture("alertmanager-v4-firing.json")
    running.send("/alertmanager", firing)
    [path] = running.incidents()
    done = run_cli(["resolve", path.stem, "Fixed.", "--source", str(alert_site), "--now", "2026-11-26 12:05 UTC"])
    assert done.exit_code == 0, done.stderr
    running.clock.advance(600)
    resolved = running.fixture("alertmanager-v4-resolved.json")
    assert running.send("/alertmanager", resolved)[0] == 200
    assert "Monitoring" not in _text(path)
    running.clock.advance(3600)
    running.send("/alertmanager", firing)  # much later: a new incident, the old one stays resolved
    assert len(running.incidents()) == 2


# -- authentication and limits --------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "wrong", "", TOKEN + "x", TOKEN[:-1]])
def test_a_missing_or_wrong_token_gets_401_and_writes_nothing(
    alert_site: Path, start_receiver: Start, token: str | None
) -> None:
    running = start_receiver(alert_site)
    code, body = running.send("/alertmanager", running.fixture("alertmanager-v4-firing.json"), token=token)
    assert code == 401 and body["error"] == "missing or wrong bearer token"
    assert running.incidents() == []
    assert not (alert_site / ".inloop-cache" / "alerts-state.json").exists()


def test_basic_auth_is_not_a_bearer_token(alert_site: Path, start_receiver: Start) -> None:
    running = start_receiver(alert_site)
    connection = http.client.HTTPConnection(running.url.removeprefix("http://"), timeout=10)
    connection.request("POST", "/generic", body=b"{}", headers={"Authorization": f"Basic {TOKEN}"})
    assert connection.getresponse().status == 401


def test_a_body_over_1_mb_gets_413(alert_site: Path, start_receiver: Start) -> None:
    running = start_receiver(alert_site)
    connection = http.client.HTTPConnection(running.url.removeprefix("http://"), timeout=10)
    connection.putrequest("POST", "/alertmanager")
    connection.putheader("Authorization", f"Bearer {TOKEN}")
    connection.putheader("Content-Length", str(1024 * 1024 + 1))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    assert "at most 1048576" in json.loads(response.read())["error"]
    # exactly 1 MB is read (and is then malformed JSON, not too large)
    code, body = running.send("/generic", b" " * (1024 * 1024 - 1) + b"[")
    assert code == 400 and body["error"].startswith("malformed JSON")


@pytest.mark.parametrize(
    ("path", "body", "reason"),
    [
        ("/generic", b'{"status": "firing",', "malformed JSON: Expecting property name enclosed in double quotes"),
        ("/generic", b"\xff\xfe", "the body is not UTF-8 text"),
        ("/generic", b"[]", "expected a JSON object, found a list"),
        ("/generic", b'{"status": "burning", "labels": {}}', '\'status\' must be "firing" or "resolved"'),
        ("/generic", b'{"status": "firing", "labels": {"a": 1}}', "'labels.a' must be a string, found a number"),
        ("/alertmanager", b'{"version": "3", "alerts": []}', "unsupported Alertmanager webhook version '3'"),
        ("/alertmanager", b'{"version": "4"}', "'alerts' must be a list, found null"),
        ("/grafana", b'{"alerts": [{"status": "firing"}]}', "'alerts[0].labels' must be an object of strings"),
        ("/generic", b"[" * 100_000, "malformed JSON"),
    ],
)
def test_malformed_payloads_get_400_with_a_reason(
    alert_site: Path, start_receiver: Start, path: str, body: bytes, reason: str
) -> None:
    running = start_receiver(alert_site)
    code, answer = running.send(path, body)
    assert code == 400
    assert answer["error"].startswith(reason), answer
    assert "Traceback" not in json.dumps(answer)
    assert running.incidents() == []


def test_unknown_paths_and_methods(alert_site: Path, start_receiver: Start) -> None:
    running = start_receiver(alert_site)
    assert running.send("/prometheus", b"{}")[0] == 404
    assert running.send("/generic", b"", method="GET")[0] == 405


def test_an_error_inside_is_500_without_a_traceback(alert_site: Path, start_receiver: Start) -> None:
    running = start_receiver(alert_site)
    (alert_site / "inloop.toml").write_text("title = [", "utf-8")  # broken while the receiver runs
    code, body = running.send("/generic", running.fixture("generic-firing.json"))
    assert code == 500
    assert "Traceback" not in json.dumps(body)
    assert running.incidents() == []


# -- state, follow-up, commit ---------------------------------------------------------------


def test_the_state_survives_a_restart(alert_site: Path, start_receiver: Start) -> None:
    first = start_receiver(alert_site)
    first.send("/alertmanager", first.fixture("alertmanager-v4-firing.json"))
    state = json.loads((alert_site / ".inloop-cache" / "alerts-state.json").read_text("utf-8"))
    [group] = state["groups"].values()
    assert group["firing"] == {"c1b2a3f4e5d6a7b8": "API error rate above 5% <for 5m>"}
    second = start_receiver(alert_site)
    second.clock.advance(120)
    second.send("/alertmanager", second.fixture("alertmanager-v4-resolved.json"))
    [path] = second.incidents()
    assert "\u2014 Monitoring" in _text(path)


def test_the_follow_up_runs_one_at_a_time_and_coalesces() -> None:
    started = threading.Event()
    release = threading.Event()
    runs: list[int] = []
    active = [0]

    def action() -> None:
        active[0] += 1
        assert active[0] == 1
        runs.append(len(runs))
        started.set()
        release.wait(5)
        active[0] -= 1

    follow_up = FollowUp(action, print)
    try:
        follow_up.request()
        assert started.wait(5)
        for _ in range(10):
            follow_up.request()  # arrive during the first run
        release.set()
        assert follow_up.wait_for_runs(2, timeout=5)
        time.sleep(0.2)  # time for a third run, which must not come
        assert len(runs) == 2  # the ten requests made one more run
    finally:
        release.set()
        follow_up.stop()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_commit_commits_the_changed_files_naming_the_alert(
    alert_site: Path, start_receiver: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in (("NAME", "Test"), ("EMAIL", "test@example.com")):
        monkeypatch.setenv(f"GIT_AUTHOR_{name}", value)
        monkeypatch.setenv(f"GIT_COMMITTER_{name}", value)
    subprocess.run(["git", "init", "-q", str(alert_site)], check=True)
    running = start_receiver(alert_site, commit=True)
    running.send("/alertmanager", running.fixture("alertmanager-v4-firing.json"))
    log = subprocess.run(
        ["git", "log", "--format=%s", "--name-only"], cwd=alert_site, capture_output=True, text=True, check=True
    ).stdout
    [path] = running.incidents()
    assert log.startswith(f"inloop receive: HighErrorRate firing: opened {path.stem}\n")
    assert f"content/incidents/{path.name}" in log
    assert "inloop.toml" not in log  # only what the alert changed


# -- the command and its settings -------------------------------------------------------------


def test_bad_alert_settings_are_listed_with_their_lines(
    tmp_path: Path, make_site: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    config = SITE_CONFIG.replace('components = { api = "major_outage" }', 'components = { apy = "major_outage" }')
    config = config.replace('template = "slow"', 'template = "slwo"').replace("~page|critical", "~(page")
    config = config.replace("flap_seconds = 300", 'flap_seconds = "5m"\ntoken = "x"')
    site = make_site(tmp_path / "bad", config=config)
    result = run_cli(["receive", "--source", str(site)], env={"INLOOP_TEST_ALERTS_TOKEN": TOKEN})
    assert result.exit_code == 1
    shown = f"{site}/inloop.toml"
    assert result.stderr.splitlines()[:5] == [
        f"{shown}:19: 'flap_seconds' must be a whole number of seconds, 0 or more, found '5m'",
        f"{shown}:20: unknown key 'token' in [alerts]: did you mean 'token_env'?",
        f"{shown}:24: [[alerts.rules]] #1: unknown component 'apy': did you mean 'api'?",
        f"{shown}:31: [[alerts.rules]] #2: no template 'slwo' ({site}/templates/incidents/slwo.md): "
        f"there are none in {site}/templates/incidents/",
        f"{shown}:34: [[alerts.rules]] #3: '~(page' is not a valid regular expression: "
        "missing ), unterminated subpattern at position 0",
    ]


def test_receive_needs_the_token_in_the_environment(alert_site: Path, run_cli: Callable[..., Any]) -> None:
    result = run_cli(["receive", "--source", str(alert_site)], env={"INLOOP_TEST_ALERTS_TOKEN": None})
    assert result.exit_code == 1
    assert "the environment variable INLOOP_TEST_ALERTS_TOKEN ([alerts] token_env) is not set" in result.stderr


def test_receive_needs_an_alerts_table(
    tmp_path: Path, make_site: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    site = make_site(tmp_path / "plain")
    result = run_cli(["receive", "--source", str(site)])
    assert result.exit_code == 1 and "has no [alerts] table" in result.stderr
