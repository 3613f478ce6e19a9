"""The wheel ships the theme: a site builds from the installed wheel alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds a wheel and installs it into a new virtual environment

REPO = Path(__file__).resolve().parent.parent
THEME = REPO / "src" / "inloop" / "theme"
NOW = "2026-11-26 12:00 UTC"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel from a clean copy of the project (no caches, no egg-info, no site/)."""
    project = tmp_path_factory.mktemp("project")
    for name in ("pyproject.toml", "README.md", "CHANGES.md", "LICENSE", "MANIFEST.in", "setup.cfg"):
        if (REPO / name).is_file():
            shutil.copy2(REPO / name, project / name)
    shutil.copytree(
        REPO / "src",
        project / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"),
    )
    dist = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(project)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    wheels = list(dist.glob("inloop-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def test_wheel_contains_the_theme_and_py_typed(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = sorted(p.name for p in (THEME / "templates").glob("*.html"))
    assert templates, "the theme has templates"
    for name in templates:
        assert f"inloop/theme/templates/{name}" in names
    assert any(n.startswith("inloop/theme/") and n.endswith("style.css") for n in names)
    assert "inloop/py.typed" in names
    for path in sorted(THEME.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            assert f"inloop/{path.relative_to(THEME.parent).as_posix()}" in names, path
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "inloop = inloop.cli.main:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_a_site_builds_from_the_installed_wheel(wheel: Path, tmp_path: Path, make_site: Callable[..., Path]) -> None:
    target = tmp_path / "installed"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    site = make_site(
        tmp_path / "site-src",
        incidents={
            "2026-11-20-api": "---\ntitle: API errors\nimpact: minor\ncomponents: [api]\n---\n"
            "## 2026-11-20 14:02 UTC — Resolved\nFixed.\n"
        },
    )
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env["PYTHONPATH"] = str(target)
    script = (
        "import sys, inloop; assert inloop.__file__.startswith(sys.argv[1]), inloop.__file__; "
        "from inloop.cli.main import main; sys.exit(main(sys.argv[2:]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(target), "build", "--source", str(site), "--now", NOW],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (site / "site" / "index.html").is_file()
    assert list((site / "site").glob("style.*.css"))
    assert "Test Status" in (site / "site" / "index.html").read_text("utf-8")
