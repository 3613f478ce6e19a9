"""What inloop builds, byte for byte: the example site and a generated site of 1,000 incidents.

The output of both is compared with sha256 manifests stored in
``tests/fixtures/golden/`` (one ``<sha256>  <path>`` line per file, as
``sha256sum`` prints them), so a restructure that changes one byte of any
file fails here, naming the files.  When the output changes on purpose (a
template, a new page), regenerate them and commit the new manifests with the
change that explains them::

    INLOOP_REGENERATE_GOLDEN=1 python -m pytest -q -p no:cacheprovider tests/test_golden.py

Each site is built twice: with inloop's template shortcuts and with stock
Jinja (``INLOOP_STOCK_JINJA=1``, see :mod:`inloop.render.jinja_speed`); both must
give the stored bytes.

A manifest is also what ``cd OUT && find . -type f | sort | xargs sha256sum`` prints,
with the leading ``./`` removed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from bench_support import generated_site
from click.testing import CliRunner

from inloop.build import ledger
from inloop.cli.main import main
from inloop.render.jinja_speed import STOCK_SWITCH
from inloop.times import parse_now

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "fixtures" / "golden"
NOW = "2026-11-26 12:00 UTC"
REGENERATE = os.environ.get("INLOOP_REGENERATE_GOLDEN") == "1"


def manifest(folder: Path) -> str:
    """Every file below ``folder`` as ``<sha256>  <relative path>``, sorted by path."""
    lines = []
    for path in sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix()):
        if path.is_file():
            lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.relative_to(folder).as_posix()}\n")
    return "".join(lines)


def build(source: Path, output: Path, *options: str, jinja: str = "fast") -> None:
    """``inloop build`` of ``source`` into ``output``; ``jinja="stock"``: with ``INLOOP_STOCK_JINJA=1``."""
    arguments = ["build", "--source", str(source), "--output", str(output), "--now", NOW, *options]
    env = {"SOURCE_DATE_EPOCH": None, STOCK_SWITCH: "1" if jinja == "stock" else None}
    result = CliRunner().invoke(main, arguments, env=env)
    assert result.exit_code == 0, result.output


def check(name: str, output: Path) -> None:
    stored = GOLDEN / f"{name}.sha256"
    found = manifest(output)
    if REGENERATE:
        stored.write_text(found)
    expected = stored.read_text()
    if found != expected:
        old = dict(line.split("  ", 1)[::-1] for line in expected.splitlines())
        new = dict(line.split("  ", 1)[::-1] for line in found.splitlines())
        differing = sorted(path for path in old.keys() | new.keys() if old.get(path) != new.get(path))
        pytest.fail(f"{len(differing)} files differ from {stored.name}: {', '.join(differing[:20])}")


def copy_inputs(source: Path, target: Path) -> Path:
    """A site's inputs (what the ledger counts as inputs), without its output or cache."""
    target.mkdir(parents=True)
    for name in ledger.INPUT_FILES:
        shutil.copy2(source / name, target / name)
    for name in ledger.INPUT_FOLDERS:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name)
    return target


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_site(tmp_path_factory, 1000, 1, parse_now(NOW))


JINJA = ["fast", "stock"]


@pytest.mark.parametrize("jinja", JINJA)
def test_the_example_site_builds_the_stored_bytes(tmp_path: Path, jinja: str) -> None:
    site = copy_inputs(REPO, tmp_path / "example")
    build(site, tmp_path / "out", jinja=jinja)  # with a cache: the workers, the staging folder, the ledger stored
    check("example", tmp_path / "out")
    build(site, tmp_path / "again", jinja=jinja)  # the ledger restores it
    assert manifest(tmp_path / "again") == manifest(tmp_path / "out")
    build(site, tmp_path / "nocache", "--no-cache", jinja=jinja)
    assert manifest(tmp_path / "nocache") == manifest(tmp_path / "out")


@pytest.mark.parametrize("jinja", JINJA)
def test_a_generated_site_of_1000_incidents_builds_the_stored_bytes(
    generated: Path, tmp_path: Path, jinja: str
) -> None:
    shutil.rmtree(generated / ".inloop-cache", ignore_errors=True)  # a cold build, whatever ran before
    build(generated, tmp_path / "out", jinja=jinja)
    check("generated-1000", tmp_path / "out")
    shutil.rmtree(generated / ".inloop-cache")
