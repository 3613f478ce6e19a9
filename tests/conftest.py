"""Shared fixtures: small status sites on disk, the CLI, and readers for what a build made.

Everything here is a fixture (not an importable helper), because several
folders under ``tests/`` have their own ``conftest.py`` and pytest gives each
of them the module name ``conftest``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

#: The tests' helper modules, by the name pytest imports them under: their asserts are
#: rewritten like the tests' own, so that a failure shows both sides and their difference.
#: Registered before anything imports them; tests/test_assert_rewrite.py fails for a helper
#: module that is missing here.
HELPER_MODULES = (
    "site_support",
    "bench_support",
    "browser_support",
    "schema_validation",
    "check_texts",
    "i18n_support",
    "notify_fixtures",
    "subscribe_sites",
    "publish.seaweed",
    "publish.support",
    "watch.support",
    "alert_support",
    "subs_fixtures",
    "hostile_html",
    "notify_support",
)
pytest.register_assert_rewrite(*HELPER_MODULES)

from site_support import CONFIG, CliResult  # noqa: E402  (after the rewrite is registered)

#: Fixtures that start a server on 127.0.0.1 (HTTP, SMTP, S3, ``inloop serve``, the alert receiver) or a
#: long-running ``inloop`` process (``holders``: one holding an output folder's lock): a test that uses
#: one, directly or through another fixture, is marked ``server``.
SERVER_FIXTURES = frozenset(
    {
        "served",
        "inloop",
        "feed_server",
        "slow_server",
        "smtp_server",
        "receiver",
        "start_receiver",
        "answering",
        "weed_server",
        "weed",
        "hook_url",
        "holders",
    }
)
#: Fixtures that run a watcher waiting for real file-system events: a test that uses one is marked ``watcher``.
WATCHER_FIXTURES = frozenset({"make_watch", "watching"})


#: The compiled-template folder this run made (see :func:`pytest_configure`), removed at its end.
_TEMPLATE_CACHE_MADE: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """Compiled templates go to a folder of this run's, not to the user's ``~/.cache``.

    Set before pytest-xdist starts its workers, so they and every ``inloop``
    process the tests start share it, as the processes of one machine do.
    """
    from inloop.render import compiled

    if not os.environ.get(compiled.CACHE_ENV):
        folder = tempfile.mkdtemp(prefix="inloop-templates-")
        os.environ[compiled.CACHE_ENV] = folder
        _TEMPLATE_CACHE_MADE.append(folder)
    compiled.disk.cache_clear()


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in _TEMPLATE_CACHE_MADE:
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop("INLOOP_TEMPLATE_CACHE", None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that need a server or a watcher, so that ``scripts/test --quick`` can leave them out."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & SERVER_FIXTURES:
            item.add_marker(pytest.mark.server)
        if used & WATCHER_FIXTURES:
            item.add_marker(pytest.mark.watcher)


REPO = Path(__file__).resolve().parent.parent
SITES = Path(__file__).resolve().parent / "sites"

#: The build time used throughout: the example site is written for it.
NOW = "2026-11-26 12:00 UTC"


Content = Mapping[str, str | bytes]


def _write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8", newline="\n")


def _make_site(
    root: Path,
    *,
    incidents: Content | None = None,
    maintenance: Content | None = None,
    config: str | bytes | None = CONFIG,
    templates: Content | None = None,
    files: Content | None = None,
) -> Path:
    """Write a status site into ``root``; names without ``.md`` get it added."""
    root.mkdir(parents=True, exist_ok=True)
    if config is not None:
        _write(root / "inloop.toml", config)
    (root / "content" / "incidents").mkdir(parents=True, exist_ok=True)
    (root / "content" / "maintenance").mkdir(parents=True, exist_ok=True)
    for folder, items in (("incidents", incidents), ("maintenance", maintenance)):
        for name, data in (items or {}).items():
            file_name = name if name.endswith(".md") else name + ".md"
            _write(root / "content" / folder / file_name, data)
    for name, data in (templates or {}).items():
        _write(root / "templates" / name, data)
    for name, data in (files or {}).items():
        _write(root / name, data)
    return root


@pytest.fixture(scope="session")  # a function with no state: module fixtures may use it too
def make_site() -> Callable[..., Path]:
    """``make_site(tmp_path, incidents={"id": text}, maintenance=..., config=...)``."""
    return _make_site


def _run_cli(args: Sequence[str], env: Mapping[str, str | None] | None = None) -> CliResult:
    """Run ``inloop ARGS`` in this process; a Python exception fails the test."""
    from inloop.cli.main import main

    runner = CliRunner()
    result = runner.invoke(
        main, list(args), prog_name="inloop", env={"SOURCE_DATE_EPOCH": None, **(env or {})}, catch_exceptions=True
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"inloop {' '.join(args)} raised {result.exception!r}") from result.exception
    return CliResult(result.exit_code, result.stdout, result.stderr)


@pytest.fixture(scope="session")  # a function with no state: module fixtures may use it too
def run_cli() -> Callable[..., CliResult]:
    """``run_cli(["build", "--source", ...])`` → exit code, stdout, stderr."""
    return _run_cli


def _run_inloop(args: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> CliResult:
    """Run the real ``inloop`` program in a subprocess with ``cwd``."""
    full_env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    full_env.update(env or {})
    command = [sys.executable, "-c", "import sys; from inloop.cli.main import main; sys.exit(main())", *args]
    done = subprocess.run(command, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=120, check=False)
    return CliResult(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def run_inloop() -> Callable[..., CliResult]:
    """``run_inloop(["build", "--source", "."], cwd=folder)`` in a subprocess."""
    return _run_inloop


def _build(source: Path, output: Path | None = None, now: str = NOW, *extra: str) -> Path:
    """Build ``source`` (into ``output``, default ``source/site``); the build must succeed."""
    args = ["build", "--source", str(source), "--now", now, *extra]
    if output is not None:
        args += ["--output", str(output)]
    result = _run_cli(args)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return output if output is not None else source / "site"


@pytest.fixture(scope="session")  # a function with no state: module fixtures may use it too
def build() -> Callable[..., Path]:
    """``build(source, output=None, now=NOW)`` → the output folder; fails the test on errors."""
    return _build


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text("utf-8"), "html.parser")


@pytest.fixture(scope="session")  # a function with no state: module fixtures may use it too
def soup() -> Callable[[Path], BeautifulSoup]:
    """Parse an HTML file."""
    return _soup


def _snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file below ``folder``, hidden ones too: its SHA-256 and mtime in ns."""
    state: dict[str, tuple[str, int]] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            stat = path.stat()
            state[path.relative_to(folder).as_posix()] = (
                hashlib.sha256(path.read_bytes()).hexdigest(),
                stat.st_mtime_ns,
            )
    return state


@pytest.fixture
def snapshot() -> Callable[[Path], dict[str, tuple[str, int]]]:
    """``snapshot(folder)`` → {relative path: (sha256, mtime_ns)}."""
    return _snapshot


def _copy_example(target: Path) -> Path:
    """The repo's example site (config, content, templates), without its output."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "inloop.toml", target / "inloop.toml")
    for folder in ("content", "templates", "static"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, target / folder)
    return target


@pytest.fixture(scope="session")
def copy_example_to() -> Callable[[Path], Path]:
    """``copy_example_to(target)`` → a copy of the example site's source in ``target`` (for module fixtures)."""
    return _copy_example


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A fresh copy of the example site's source in ``tmp_path/example``."""
    return _copy_example(tmp_path / "example")


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repo's example built once at ``NOW``: the output folder (read-only by convention)."""
    source = _copy_example(tmp_path_factory.mktemp("example-source"))
    output = tmp_path_factory.mktemp("example-site")
    result = _run_cli(["build", "--source", str(source), "--output", str(output), "--now", NOW])
    assert result.exit_code == 0, result.stderr
    return output


@pytest.fixture
def copy_fixture_site(tmp_path: Path) -> Callable[[str], Path]:
    """``copy_fixture_site("bad_content")`` → a copy of ``tests/sites/bad_content`` in tmp_path."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(SITES / name, target)
        return target

    return copy
