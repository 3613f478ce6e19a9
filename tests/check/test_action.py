"""The GitHub Action (action.yml), run step by step as GitHub's runner runs it.

Each ``run:`` step is written to a script and run with ``bash --noprofile --norc
-eo pipefail`` (GitHub's ``shell: bash``) in the step's working directory, with
the variables GitHub sets: ``GITHUB_STEP_SUMMARY``, ``GITHUB_OUTPUT``,
``GITHUB_ENV`` and ``GITHUB_PATH`` (a fresh file per step, read back after it),
``GITHUB_WORKSPACE``, ``GITHUB_ACTION_PATH``, ``RUNNER_TEMP``.  The ``${{ }}``
expressions are filled in from the inputs as GitHub would, ``if:`` conditions are
evaluated, and a failed step ends the run.  Only the ``uses:`` steps
(setup-python, cache) are skipped: the inloop under test is already on PATH, so
the install step finds it and installs nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml
from check_texts import GOOD_OPEN, GOOD_RESOLVED, NOW, SITE_CONFIG

from inloop import __version__

REPO = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((REPO / "action.yml").read_text("utf-8"))

TODO_OPEN = GOOD_OPEN.replace("putting them back, one group at a time.", "putting them back. TODO: how long?")
TODO_PATH = "status/content/incidents/2026-11-26-api-errors.md"
TODO_ANNOTATION = (
    f"::warning file={TODO_PATH},line=17,title=todo::'TODO' left in the text: write what customers need to know"
)
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
CONDITION = re.compile(r"inputs\.([\w-]+) == '([^']*)'")


@dataclass
class StepRun:
    name: str
    exit_code: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]


@dataclass
class ActionRun:
    steps: list[StepRun] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # 'uses:' steps, and steps whose 'if:' was false
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def ran(self) -> list[str]:
        return [step.name for step in self.steps]

    @property
    def summary(self) -> str:
        """The run's summary page: every step's summary, in order."""
        return "".join(step.summary for step in self.steps)

    def step(self, name: str) -> StepRun:
        return next(step for step in self.steps if step.name == name)


def read_outputs(text: str) -> dict[str, str]:
    """GitHub's ``name=value`` lines, and ``name<<DELIMITER`` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            outputs[name] = "\n".join(iter(lines.__next__, delimiter))
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


def substitute(text: str, inputs: dict[str, str], steps: dict[str, dict[str, str]]) -> str:
    def value(match: re.Match[str]) -> str:
        expression = match[1]
        if expression.startswith("inputs."):
            return inputs[expression.removeprefix("inputs.")]
        if expression == "github.action_path":
            return str(REPO)
        if found := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression):
            return steps.get(found[1], {}).get(found[2], "")
        raise AssertionError(f"the test does not know the expression {expression!r}: teach it")

    return EXPRESSION.sub(value, text)


def condition_holds(condition: str, inputs: dict[str, str]) -> bool:
    found = CONDITION.fullmatch(condition.strip())
    assert found, f"the test does not know the condition {condition!r}: teach it"
    return inputs[found[1]] == found[2]


def run_action(workspace: Path, runner_temp: Path, **given: str) -> ActionRun:
    """Run action.yml's steps in ``workspace`` with ``given`` inputs (underscores for dashes)."""
    inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    for name, value in given.items():
        assert name.replace("_", "-") in inputs, name
        inputs[name.replace("_", "-")] = value
    runner_temp.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GITHUB_", "INPUT_", "RUNNER_"))}
    env.pop("SOURCE_DATE_EPOCH", None)
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        CI="true",
        GITHUB_ACTIONS="true",
        GITHUB_WORKSPACE=str(workspace),
        GITHUB_ACTION_PATH=str(REPO),
        RUNNER_TEMP=str(runner_temp),
        RUNNER_OS="Linux",
    )
    run = ActionRun()
    step_outputs: dict[str, dict[str, str]] = {}
    for index, step in enumerate(ACTION["runs"]["steps"]):
        name = step["name"]
        if "uses" in step or ("if" in step and not condition_holds(step["if"], inputs)):
            run.skipped.append(name)
            continue
        assert step["shell"] == "bash"
        files = {
            variable: runner_temp / f"{index}-{variable.lower()}"
            for variable in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH")
        }
        for path in files.values():
            path.write_text("", "utf-8")
        script = runner_temp / f"{index}.sh"
        script.write_text(substitute(step["run"], inputs, step_outputs), "utf-8")
        step_env = {**env, **{variable: str(path) for variable, path in files.items()}}
        step_env |= {key: substitute(str(value), inputs, step_outputs) for key, value in step.get("env", {}).items()}
        cwd = workspace / substitute(step.get("working-directory", "."), inputs, step_outputs)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=cwd,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        outputs = read_outputs(files["GITHUB_OUTPUT"].read_text("utf-8"))
        if "id" in step:
            step_outputs[step["id"]] = outputs
        summary = files["GITHUB_STEP_SUMMARY"].read_text("utf-8")
        run.steps.append(StepRun(name, done.returncode, done.stdout, done.stderr, summary, outputs))
        for line in files["GITHUB_PATH"].read_text("utf-8").splitlines():
            env["PATH"] = f"{line}{os.pathsep}{env['PATH']}"
        env |= read_outputs(files["GITHUB_ENV"].read_text("utf-8"))
        if done.returncode != 0:
            break
    run.outputs = {name: substitute(spec["value"], inputs, step_outputs) for name, spec in ACTION["outputs"].items()}
    return run


@pytest.fixture
def workspace(tmp_path: Path, make_site: Callable[..., Path]) -> Callable[..., Path]:
    """``workspace(incidents)``: a repository with its status site in ``status/``."""

    def make(incidents: dict[str, str], config: str = SITE_CONFIG) -> Path:
        root = tmp_path / "repo"
        make_site(root / "status", incidents=incidents, config=config)
        (root / "README.md").write_text("A repository with a status site in status/.\n", "utf-8")
        return root

    return make


def test_a_clean_site_is_checked_and_built(workspace: Callable[..., Path], tmp_path: Path) -> None:
    root = workspace({"2026-11-26-api-errors": GOOD_OPEN, "2026-11-20-dashboard-slow": GOOD_RESOLVED})
    run = run_action(root, tmp_path / "runner", working_directory="status", now=NOW)
    assert run.ran == ["Install inloop", "Check the incidents", "Build the site"]
    assert run.skipped == ["Set up Python", "Restore the build cache", "Publish the site", "Notify subscribers"]
    assert all(step.exit_code == 0 for step in run.steps), run.steps
    assert run.step("Install inloop").stdout.startswith(f"inloop, version {__version__} is already installed: ")
    assert run.summary == "✅ **inloop check**: checked 2 incidents and 0 maintenance windows: no problems\n"
    assert run.outputs == {"errors": "0", "warnings": "0", "ok": "true"}
    assert run.step("Check the incidents").stdout == ""
    assert (root / "status" / "site" / "index.html").is_file()
    assert "Elevated error rates on the API" in (root / "status" / "site" / "index.html").read_text("utf-8")


def test_warnings_fail_the_job_before_the_build_when_asked(workspace: Callable[..., Path], tmp_path: Path) -> None:
    root = workspace({"2026-11-26-api-errors": TODO_OPEN})
    run = run_action(root, tmp_path / "runner", working_directory="status", now=NOW, fail_on_warnings="true")
    assert run.ran == ["Install inloop", "Check the incidents"]
    check = run.step("Check the incidents")
    assert check.exit_code == 1
    assert check.stdout.splitlines() == [TODO_ANNOTATION]
    assert run.outputs == {"errors": "0", "warnings": "1", "ok": "false"}
    assert run.summary.splitlines() == [
        "⚠️ **inloop check**: 1 warning in 1 incident and 0 maintenance windows",
        "",
        "| File | Line | Severity | Rule | Message |",
        "| --- | ---: | --- | --- | --- |",
        f"| {TODO_PATH} | 17 | warning | `todo` | 'TODO' left in the text: write what customers need to know |",
        "",
        "`inloop check --explain RULE` says why a rule matters and how to fix what it found.",
    ]
    assert not (root / "status" / "site").exists()


def test_warnings_are_shown_and_the_site_built_by_default(workspace: Callable[..., Path], tmp_path: Path) -> None:
    """A time rule such as next-update-passed must never hold back a publish: warnings fail only when asked."""
    root = workspace({"2026-11-26-api-errors": TODO_OPEN})
    run = run_action(root, tmp_path / "runner", working_directory="status", now=NOW)
    assert run.ran == ["Install inloop", "Check the incidents", "Build the site"]
    assert [step.exit_code for step in run.steps] == [0, 0, 0]
    assert run.step("Check the incidents").stdout.splitlines() == [
        TODO_ANNOTATION,
        "inloop check found warnings only, and fail-on-warnings is false: going on",
    ]
    assert f"| {TODO_PATH} | 17 | warning | `todo` |" in run.summary
    assert (root / "status" / "site" / "index.html").is_file()


def test_build_errors_are_annotations_and_stop_the_job(workspace: Callable[..., Path], tmp_path: Path) -> None:
    root = workspace({"2026-11-26-api-errors": GOOD_OPEN.replace("impact: major", "impact: huge")})
    run = run_action(root, tmp_path / "runner", working_directory="status", now=NOW)
    assert run.ran == ["Install inloop", "Check the incidents"]
    assert run.step("Check the incidents").stdout.splitlines() == [
        f"::error file={TODO_PATH},line=3,title=build-error::"
        "'impact' must be one of none, minor, major, critical; found 'huge'"
    ]
    assert run.summary.startswith("❌ **inloop check** stopped: 1 error to fix first")
    assert run.outputs["errors"] == "1"
    # without the check, the build step reports the same errors as annotations
    unchecked = run_action(root, tmp_path / "runner2", working_directory="status", now=NOW, check="false")
    assert unchecked.ran == ["Install inloop", "Build the site"]
    build = unchecked.step("Build the site")
    assert build.exit_code == 1
    assert build.stdout == run.step("Check the incidents").stdout
    assert build.stderr == "build failed: 1 error; the site was not changed\n"
    assert unchecked.outputs == {"errors": "", "warnings": "", "ok": ""}


class Hooks(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def hook_url() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    Hooks.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
    # shutdown() waits for the loop's next poll: every 10 ms, not the default 0.5 s
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", Hooks.received
    server.shutdown()
    server.server_close()


def test_main_branch_publishes_and_notifies(
    workspace: Callable[..., Path], tmp_path: Path, hook_url: tuple[str, list[dict[str, Any]]]
) -> None:
    """The worked example's main-branch job: check, build, publish, notify; the state kept outside the runner."""
    url, received = hook_url
    config = SITE_CONFIG + f'\n[notify]\nretries = 1\nretry_seconds = 0.01\n\n[[notify.webhooks]]\nurl = "{url}"\n'
    root = workspace({"2026-11-26-api-errors": GOOD_OPEN}, config=config)
    bucket = tmp_path / "bucket"
    inputs = {
        "publish": "true",
        "publish_to": str(bucket),
        "notify": "true",
        "notify_state": str(tmp_path / "state.json"),
    }
    first = run_action(root, tmp_path / "runner1", working_directory="status", now=NOW, **inputs)
    assert first.ran == [
        "Install inloop",
        "Check the incidents",
        "Build the site",
        "Publish the site",
        "Notify subscribers",
    ]
    assert [step.exit_code for step in first.steps] == [0] * 5, first.steps
    assert (bucket / "index.html").is_file()
    assert (tmp_path / "state.json").is_file()
    assert received == []  # the first run records where it starts
    # a new update on main: published, and sent once
    incident = root / "status" / "content" / "incidents" / "2026-11-26-api-errors.md"
    incident.write_text(
        incident.read_text("utf-8") + "\n## 2026-11-26 12:20 UTC — Monitoring\nA fix is in place; we are watching.\n",
        "utf-8",
    )
    shutil.rmtree(root / "status" / "site")  # a fresh runner: no site, the cache restored by actions/cache
    later = "2026-11-26 12:30 UTC"
    second = run_action(root, tmp_path / "runner2", working_directory="status", now=later, **inputs)
    assert [step.exit_code for step in second.steps] == [0] * 5, second.steps
    assert "A fix is in place" in (bucket / "index.html").read_text("utf-8")
    assert len(received) == 1
    assert "A fix is in place" in json.dumps(received[0])


def test_publish_without_a_destination_is_a_clear_error(workspace: Callable[..., Path], tmp_path: Path) -> None:
    root = workspace({"2026-11-26-api-errors": GOOD_OPEN})
    run = run_action(root, tmp_path / "runner", working_directory="status", now=NOW, publish="true", check="false")
    assert run.ran == ["Install inloop", "Build the site", "Publish the site"]
    publish = run.step("Publish the site")
    assert publish.exit_code == 1
    assert publish.stdout == (
        "::error title=inloop publish::publish is true, but publish-to is empty: "
        "say where to publish (a folder or s3://bucket/prefix)\n"
    )


@pytest.mark.parametrize("name", ["Check the incidents", "Publish the site", "Notify subscribers"])
def test_an_optional_step_does_nothing_when_its_input_is_off(name: str, tmp_path: Path) -> None:
    """A runner that ignored 'if:' would still run nothing it was not asked to."""
    step = next(step for step in ACTION["runs"]["steps"] if step.get("name") == name)
    off = {"Check the incidents": {"INPUT_CHECK": "false"}}.get(name, {})
    env = {"PATH": os.environ["PATH"], **off}
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.endswith(": off\n")


def test_every_input_is_documented_and_used() -> None:
    text = (REPO / "action.yml").read_text("utf-8")
    notes = (REPO / "docs" / "ci.md").read_text("utf-8")
    for name, spec in ACTION["inputs"].items():
        assert spec["description"].strip(), name
        assert f"inputs.{name} " in text or f"inputs.{name}\n" in text or f"inputs.{name} }}}}" in text, name
        assert f"`{name}`" in notes, name


def run_install_step(tmp_path: Path, path: str, **env: str) -> subprocess.CompletedProcess[str]:
    step = next(step for step in ACTION["runs"]["steps"] if step.get("name") == "Install inloop")
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=tmp_path,
        env={"PATH": path, "INPUT_PACKAGE": "", "INPUT_PUBLISH_TO": "", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_install_step_without_the_actions_folder(tmp_path: Path) -> None:
    """Run outside a runner (no GITHUB_ACTION_PATH): the inloop on PATH is used, or a clear error."""
    found = run_install_step(tmp_path, f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin")
    assert (found.returncode, found.stderr) == (0, "")
    assert found.stdout.startswith(f"inloop, version {__version__} is already installed: ")
    missing = run_install_step(tmp_path, "/usr/bin:/bin", GITHUB_ACTION_PATH=str(tmp_path))
    assert missing.returncode == 1
    assert missing.stdout == (
        f"::error title=inloop::cannot find inloop in the action's folder ({tmp_path}/src/inloop/__init__.py); "
        "set the package input\n"
    )


@pytest.mark.skipif(not os.environ.get("INLOOP_TEST_ACTION_INSTALL"), reason="set INLOOP_TEST_ACTION_INSTALL=1")
def test_the_install_step_installs_from_the_actions_folder(tmp_path: Path) -> None:
    """Slow and needs the package index: a real 'pip install' of this checkout into a fresh venv."""
    step = next(step for step in ACTION["runs"]["steps"] if step.get("name") == "Install inloop")
    path_file = tmp_path / "github_path"
    path_file.write_text("", "utf-8")
    python = tmp_path / "python-bin" / "python"  # what setup-python gives: a Python without inloop
    python.parent.mkdir()
    python.symlink_to(Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}")
    env = {
        "PATH": f"{python.parent}{os.pathsep}/usr/bin:/bin",
        "GITHUB_ACTION_PATH": str(REPO),
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_PATH": str(path_file),
        "INPUT_PACKAGE": "",
        "INPUT_PUBLISH_TO": "",
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"inloop, version {__version__}"
    assert path_file.read_text("utf-8") == f"{tmp_path}/inloop-venv/bin\n"


def documented_yaml(heading: str) -> Any:
    """The first YAML block under ``heading`` in docs/ci.md."""
    text = (REPO / "docs" / "ci.md").read_text("utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1]
    return yaml.safe_load(section.split("```yaml\n", 1)[1].split("\n```", 1)[0])


def test_the_worked_example_uses_only_inputs_the_action_has() -> None:
    workflow = documented_yaml("Worked example: check on pull requests, publish and notify on main")
    used = [step for job in workflow["jobs"].values() for step in job["steps"] if "inloop" in step.get("uses", "")]
    assert len(used) == 2
    for step in used:
        assert set(step["with"]) <= set(ACTION["inputs"]), step
    publishing = workflow["jobs"]["publish"]["steps"][-1]["with"]
    assert (publishing["publish"], publishing["notify"]) == ("true", "true")


def test_the_gitlab_check_job_runs(workspace: Callable[..., Path], tmp_path: Path) -> None:
    """The documented merge-request job's script, in bash as GitLab's runner runs it (inloop already installed)."""
    jobs = documented_yaml("GitLab CI")
    job = jobs["inloop check"]
    assert job["extends"] == ".inloop"
    before = [line for line in jobs[".inloop"]["before_script"] if line.startswith("cd ")]
    root = workspace({"2026-11-26-api-errors": TODO_OPEN})
    env = {"PATH": os.environ["PATH"], "SITE": jobs[".inloop"]["variables"]["SITE"], "SOURCE_DATE_EPOCH": "1795694400"}
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", "\n".join([*before, *job["script"]])],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr  # the warning fails the job, after the build
    assert (root / "status" / "site" / "index.html").is_file()
    report = json.loads((root / job["artifacts"]["paths"][0]).read_text("utf-8"))
    assert [(p["path"], p["rule"]) for p in report["problems"]] == [(TODO_PATH.removeprefix("status/"), "todo")]
    assert "content/incidents/2026-11-26-api-errors.md:17: todo " in done.stdout
