"""Links in content/, templates/ and static/ are followed only when they stay inside the project."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from inloop.build.builder import Builder
from inloop.errors import BuildError

NOW = "2026-11-26 12:00 UTC"
SECRET = "root:x:0:0:the secret outside the project\n"
INCIDENT = (
    "---\ntitle: Slow API\nimpact: minor\ncomponents: [api]\n---\n"
    "## 2026-11-20 14:02 UTC — Investigating\nWe are looking into it.\n"
)


def message(target: Path) -> str:
    return (
        f"a symbolic link to {os.path.realpath(target)}, outside the project: "
        "inloop reads only files inside the project's folder; copy the file in instead"
    )


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "elsewhere" / "passwd"
    path.parent.mkdir()
    path.write_text(SECRET, "utf-8")
    return path


@pytest.fixture
def site(make_site: Callable[..., Path], tmp_path: Path) -> Path:
    return make_site(tmp_path / "project", incidents={"slow-api": INCIDENT}, files={"static/ok.txt": "fine\n"})


def published(output: Path) -> str:
    """Everything the site holds, as one text."""
    return "".join(p.read_text("utf-8", "replace") for p in sorted(output.rglob("*")) if p.is_file())


@pytest.mark.parametrize(
    "link",
    ["static/x.txt", "static/deep/er/x.txt", "content/incidents/stolen.md", "templates/incident.html", "locale/x.po"],
)
def test_a_link_out_of_the_project_is_an_error_and_nothing_is_published(
    link: str, site: Path, secret: Path, run_inloop: Callable[..., Any]
) -> None:
    (site / link).parent.mkdir(parents=True, exist_ok=True)
    (site / link).symlink_to(secret)
    result = run_inloop(["build", "--source", ".", "--now", NOW], cwd=site)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{link}:1: {message(secret)}",
        "build failed: 1 error; the site was not changed",
    ]
    assert not (site / "site").exists()


def test_etc_passwd_is_never_copied(site: Path, run_inloop: Callable[..., Any]) -> None:
    (site / "static" / "x.txt").symlink_to("/etc/passwd")
    result = run_inloop(["build", "--source", ".", "--now", NOW], cwd=site)
    assert result.stderr.splitlines()[0] == f"static/x.txt:1: {message(Path('/etc/passwd'))}"
    assert result.exit_code == 1 and not (site / "site").exists()


def test_a_linked_folder_out_of_the_project_is_an_error(
    site: Path, secret: Path, run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    (site / "static" / "shared").symlink_to(secret.parent, target_is_directory=True)
    result = run_cli(["build", "--source", str(site), "--now", NOW])
    assert result.error_lines == [
        f"{site}/static/shared:1: {message(secret.parent)}",
        "build failed: 1 error; the site was not changed",
    ]


def test_links_that_stay_inside_the_project_are_followed(
    site: Path, build: Callable[..., Path], tmp_path: Path
) -> None:
    (site / "docs").mkdir()
    (site / "docs" / "terms.txt").write_text("our terms\n", "utf-8")
    (site / "static" / "terms.txt").symlink_to(Path("..") / "docs" / "terms.txt")
    (site / "drafts").mkdir()
    (site / "drafts" / "db.md").write_text(INCIDENT.replace("Slow API", "Slow database"), "utf-8")
    (site / "content" / "incidents" / "slow-db.md").symlink_to(site / "drafts" / "db.md")
    output = build(site)
    assert (output / "terms.txt").read_text("utf-8") == "our terms\n"
    assert "Slow database" in (output / "incidents" / "slow-db" / "index.html").read_text("utf-8")


def test_the_watchers_incremental_builds_check_links_too(site: Path, secret: Path) -> None:
    builder = Builder(site, site / "site")
    now = datetime.fromisoformat("2026-11-26T12:00:00+00:00")
    builder.build(now)
    before = published(site / "site")
    link = site / "static" / "x.txt"
    link.symlink_to(secret)
    with pytest.raises(BuildError) as caught:
        builder.build(now, [str(link)])
    assert [str(p) for p in caught.value.problems] == [f"{site}/static/x.txt:1: {message(secret)}"]
    assert published(site / "site") == before and SECRET not in before
    # a content file swapped for a link, as an editor's "save" might
    content = site / "content" / "incidents" / "slow-api.md"
    content.unlink()
    content.symlink_to(secret)
    link.unlink()
    with pytest.raises(BuildError) as caught:
        builder.build(now, [str(link), str(content)])
    assert [str(p) for p in caught.value.problems] == [f"{site}/content/incidents/slow-api.md:1: {message(secret)}"]
    content.unlink()
    content.write_text(INCIDENT, "utf-8")
    builder.build(now, [str(content)])
    assert SECRET not in published(site / "site")


def test_a_second_build_in_a_new_process_does_not_trust_its_ledger_over_a_new_link(
    site: Path, secret: Path, run_cli: Callable[..., Any]
) -> None:
    first = run_cli(["build", "--source", str(site), "--now", NOW])
    assert first.exit_code == 0
    (site / "static" / "ok.txt").unlink()
    (site / "static" / "ok.txt").symlink_to(secret)
    second = run_cli(["build", "--source", str(site), "--now", NOW])
    assert second.exit_code == 1
    assert second.error_lines[0] == f"{site}/static/ok.txt:1: {message(secret)}"
    assert SECRET not in published(site / "site")


# -- file names that are not UTF-8 ------------------------------------------------------------------------

needs_byte_names = pytest.mark.skipif(sys.platform != "linux", reason="only Linux keeps any bytes as a file name")


@needs_byte_names
def test_a_file_name_that_is_not_utf8_is_named_in_an_error(site: Path, run_inloop: Callable[..., Any]) -> None:
    (site / "content" / "incidents" / os.fsdecode(b"caf\xe9.md")).write_text(INCIDENT, "utf-8")
    (site / "static" / os.fsdecode(b"logo\xff.png")).write_bytes(b"png")
    result = run_inloop(["build", "--source", ".", "--now", NOW], cwd=site)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "content/incidents/caf\\udce9.md:1: the file name is not UTF-8 (byte 0xe9, shown as \\udce9): "
        "rename it using UTF-8 characters only",
        "static/logo\\udcff.png:1: the file name is not UTF-8 (byte 0xff, shown as \\udcff): "
        "rename it using UTF-8 characters only",
        "build failed: 2 errors; the site was not changed",
    ]
    assert not (site / "site").exists()


@needs_byte_names
def test_a_name_that_is_not_utf8_saved_while_watching_is_an_error(site: Path) -> None:
    builder = Builder(site, site / "site", shown_source=".")
    now = datetime.fromisoformat("2026-11-26T12:00:00+00:00")
    builder.build(now)
    added = site / "templates" / os.fsdecode(b"\xe9.html")
    added.parent.mkdir(exist_ok=True)
    added.write_text("{{ nothing }}", "utf-8")
    with pytest.raises(BuildError) as caught:
        builder.build(now, [str(added)])
    assert [str(p) for p in caught.value.problems] == [
        "templates/\\udce9.html:1: the file name is not UTF-8 (byte 0xe9, shown as \\udce9): "
        "rename it using UTF-8 characters only"
    ]
    added.unlink()
    builder.build(now, [str(added)])
