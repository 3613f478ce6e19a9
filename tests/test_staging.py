"""A first build writes the whole site beside the output folder and moves it in with one rename.

So a fresh clone or a CI runner pays no temporary file per page, the workers
write their pages on their own cores, and no reader ever sees part of a
site.  Anything but a missing or empty output folder is written file by
file, as before; either way the bytes are the same.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bench_support import generated_site, tree

import inloop.build.builder
import inloop.build.parallel
import inloop.build.parsing
import inloop.build.writer
from inloop.build.builder import Builder
from inloop.build.rendering import Renderer
from inloop.build.writer import RECORD_NAME, staging_folder
from inloop.errors import BuildError

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_site(tmp_path_factory, 120, 5, NOW)


def file_by_file(site: Path, tmp_path: Path) -> dict[str, bytes]:
    """The site as a build into a folder that already holds something writes it."""
    output = tmp_path / "file-by-file"
    output.mkdir()
    (output / "keep.txt").write_text("not inloop's\n")
    Builder(site, output, cache_dir=None).build(NOW)
    files = tree(output)
    assert files.pop("keep.txt") == b"not inloop's\n"
    return files


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if "inloop" in p.name and p.name.startswith("."))


@pytest.mark.slow
@pytest.mark.parametrize("existing", ["missing", "empty folder"])
def test_a_first_build_is_staged_and_moved_in_whole(
    existing: str, generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "site-out"
    if existing == "empty folder":
        output.mkdir()
    staged: list[Path] = []
    real = inloop.build.builder.staging_folder

    def spy(folder: Path) -> Path | None:
        staged.append(found := real(folder))  # type: ignore[arg-type]
        return found

    monkeypatch.setattr(inloop.build.builder, "staging_folder", spy)
    report = Builder(generated, output, cache_dir=None).build(NOW)
    assert staged == [tmp_path / f".site-out.inloop-staging-{os.getpid()}"]
    assert tree(output) == file_by_file(generated, tmp_path)
    assert sorted(report.written) == sorted(set(tree(output)) - {RECORD_NAME})  # as any fresh build reports them
    assert leftovers(tmp_path) == []
    assert not list(output.rglob("*.inloop-tmp"))


def test_a_failed_first_build_leaves_no_output_and_no_staging(generated: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "inloop.toml").symlink_to(generated / "inloop.toml")  # (templates/ would be a link out of the project)
    assert not (generated / "templates").exists()
    (site / "content" / "incidents").mkdir(parents=True)
    for number, path in enumerate(sorted((generated / "content" / "incidents").glob("*.md"))):
        text = path.read_text()
        broken = text.replace("impact:", "impakt:") if number == 90 else text
        (site / "content" / "incidents" / path.name).write_text(broken)
    with pytest.raises(BuildError):
        Builder(site, tmp_path / "out", cache_dir=None).build(NOW)  # the workers wrote pages before the problem
    assert not (tmp_path / "out").exists()
    assert leftovers(tmp_path) == []


@pytest.mark.slow
@pytest.mark.parametrize("once", [False, True], ids=["build", "inloop build"])
def test_a_folder_that_fills_while_building_is_written_file_by_file(
    once: bool, generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """inloop build, which keeps the pages it staged only on disk, reads them back from the staging folder."""
    output = tmp_path / "out"
    real = Renderer.render

    def someone_writes_meanwhile(self: Renderer, *args: object) -> object:
        output.mkdir(exist_ok=True)
        (output / "keep.txt").write_text("not inloop's\n")
        return real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Renderer, "render", someone_writes_meanwhile)
    builder = Builder(generated, output, cache_dir=tmp_path / "cache")
    if once:
        builder.build_once(NOW)
    else:
        builder.build(NOW)
    monkeypatch.undo()
    files = tree(output)
    assert files.pop("keep.txt") == b"not inloop's\n"
    assert files == file_by_file(generated, tmp_path)
    assert leftovers(tmp_path) == []


def test_the_staging_folder_is_only_for_a_missing_or_empty_real_folder(tmp_path: Path) -> None:
    assert staging_folder(tmp_path / "missing") == tmp_path / f".missing.inloop-staging-{os.getpid()}"
    (tmp_path / "empty").mkdir()
    assert staging_folder(tmp_path / "empty") == tmp_path / f".empty.inloop-staging-{os.getpid()}"
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "index.html").write_text("a site\n")
    assert staging_folder(tmp_path / "full") is None
    (tmp_path / "link").symlink_to(tmp_path / "empty")
    assert staging_folder(tmp_path / "link") is None
    (tmp_path / "file").write_text("not a folder\n")
    assert staging_folder(tmp_path / "file") is None
    assert staging_folder(tmp_path / "no-parent" / "out") is None  # nothing is made above the output


def test_staging_folders_left_by_killed_builds_are_removed(tmp_path: Path) -> None:
    """Each process stages in a folder of its own; those of processes that are gone are removed."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    left = [tmp_path / ".out.inloop-staging", tmp_path / f".out.inloop-staging-{int(dead.stdout)}"]
    for folder in left:
        (folder / "incidents" / "old").mkdir(parents=True)
        (folder / "incidents" / "old" / "index.html").write_text("half a site\n")
    with subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE) as alive:
        theirs = tmp_path / f".out.inloop-staging-{alive.pid}"  # another build, still running
        theirs.mkdir()
        staging = staging_folder(tmp_path / "out")
        assert staging == tmp_path / f".out.inloop-staging-{os.getpid()}" and list(staging.iterdir()) == []
        assert sorted(tmp_path.iterdir()) == sorted([staging, theirs])
        assert alive.stdin is not None
        alive.stdin.close()


def test_write_new_refuses_to_follow_or_replace_anything(tmp_path: Path) -> None:
    inloop.build.writer.write_new(tmp_path, "incidents/a/index.html", b"<p>a</p>\n")
    assert (tmp_path / "incidents" / "a" / "index.html").read_bytes() == b"<p>a</p>\n"
    with pytest.raises(FileExistsError):
        inloop.build.writer.write_new(tmp_path, "incidents/a/index.html", b"again\n")
    assert os.listdir(tmp_path / "incidents" / "a") == ["index.html"]


@pytest.mark.slow
def test_inloop_build_keeps_staged_pages_on_disk_and_in_the_cache_not_in_memory(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A one-shot first build: the process that renders a page stores it too, and drops it."""
    from inloop.build.packed import Staged

    cache = tmp_path / "cache"
    once = Builder(generated, tmp_path / "once", cache_dir=cache)
    once.build_once(NOW)
    assert once._last_files is not None
    staged = [path for path, data in once._last_files.items() if isinstance(data, Staged)]
    items = {path for path in once._last_files if path.startswith(("incidents/", "maintenance/")) and "/" in path}
    if inloop.build.parallel.will_fork(132):
        assert items <= set(staged)  # every item page, which the workers wrote; the list pages too
        assert not [path for path in staged if path.startswith("style.")]  # not a file no page renders
    assert tree(tmp_path / "once") == file_by_file(generated, tmp_path)
    assert all(once._last_files[path].unpack() == (tmp_path / "once" / path).read_bytes() for path in staged)

    # the cache kept every page after the build pruned it: a build from it renders nothing
    monkeypatch.setattr(inloop.build.parsing, "parse_incident", None)
    monkeypatch.setattr(inloop.build.parsing, "parse_maintenance", None)
    warm = Builder(generated, tmp_path / "warm", cache_dir=cache).build(NOW)
    assert warm.rendered == 0
    assert tree(tmp_path / "warm") == tree(tmp_path / "once")
