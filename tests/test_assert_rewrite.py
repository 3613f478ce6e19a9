"""The tests' helper modules get pytest's assertion rewriting, so their failures show a diff.

pytest rewrites the asserts of test modules and conftest.py files only; a helper module's
plain ``assert a == b`` fails with a bare ``AssertionError`` unless tests/conftest.py
registers it with ``pytest.register_assert_rewrite``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
#: Folders of data, not of code.
DATA = {"fixtures", "sites", "schemas", "artifacts"}


def helper_modules() -> list[tuple[str, Path]]:
    """Every module under tests/ that is neither a test nor a conftest, by the name pytest gives it."""
    found: list[tuple[str, Path]] = []
    for path in sorted(TESTS.rglob("*.py")):
        parts = path.relative_to(TESTS).parts
        if DATA & set(parts) or path.name.startswith("test_") or path.name in ("conftest.py", "__init__.py"):
            continue
        # pytest's "prepend" import mode: a folder with __init__.py is a package whose root is
        # the first folder above it without one; any other module is imported by its bare name.
        package: list[str] = []
        folder = path.parent
        while (folder / "__init__.py").is_file():
            package.insert(0, folder.name)
            folder = folder.parent
        found.append((".".join([*package, path.stem]), folder))
    return found


HELPERS = helper_modules()


def test_the_tests_have_helper_modules() -> None:
    names = [name for name, _ in HELPERS]
    assert "bench_support" in names
    assert "watch.support" in names


@pytest.mark.parametrize(("name", "root"), HELPERS, ids=[name for name, _ in HELPERS])
def test_every_helper_module_is_rewritten(name: str, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if name not in sys.modules:
        monkeypatch.syspath_prepend(str(root))
    module = importlib.import_module(name)
    assert Path(module.__file__ or "").resolve() == (root / Path(*name.split("."))).with_suffix(".py").resolve()
    # The rewriter puts these two names at the top of every module it rewrites.
    assert "@py_builtins" in vars(module) and "@pytest_ar" in vars(module), (
        f"{name} is not rewritten: add it to HELPER_MODULES in tests/conftest.py"
    )


def test_a_failing_assert_in_a_helper_shows_the_difference(
    tmp_path: Path, make_site: Callable[..., Path], build: Callable[..., Path]
) -> None:
    from watch.support import assert_same_site

    source = make_site(tmp_path / "source")
    site = build(source, tmp_path / "site")
    (site / "robots.txt").write_text("changed by hand\n", encoding="utf-8")
    with pytest.raises(AssertionError) as failure:
        assert_same_site(site, source)
    message = str(failure.value)
    assert "the watched site differs from a fresh build" in message
    # Rewritten, the message also shows both sides and where they differ.
    assert "assert ([], [], ['robots.txt']) == ([], [], [])" in message
    assert "At index 2 diff: ['robots.txt'] != []" in message
