"""The shape of the code: a layout by stage, classes a reader can hold in mind, frozen objects that stay
frozen, one GC policy, a command line without import cycles."""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent.parent / "src" / "inloop"
#: The longest a class may be, in lines from ``class`` to its last line.
MAX_CLASS_LINES = 300
#: The most modules the top of ``src/inloop`` may hold: the rest live in the package of their stage.
MAX_TOP_MODULES = 15


@functools.cache  # parsed once for the tests below, which only read the trees
def modules() -> list[tuple[str, ast.Module]]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        found.append((path.relative_to(SOURCE.parent).as_posix(), ast.parse(path.read_text(), str(path))))
    return found


def long_classes() -> dict[str, int]:
    """``"<module>: class <name>"`` of every class over :data:`MAX_CLASS_LINES`, with its length."""
    return {
        f"{name}: class {node.name}": node.end_lineno - node.lineno + 1
        for name, tree in modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and node.end_lineno is not None
        if node.end_lineno - node.lineno + 1 > MAX_CLASS_LINES
    }


def test_no_class_is_longer_than_300_lines() -> None:
    long = [f"{name} is {lines} lines" for name, lines in long_classes().items()]
    assert long == [], "\n".join(long)


def test_the_walk_finds_every_module_and_would_name_a_long_class() -> None:
    names = [name for name, _ in modules()]
    assert "inloop/build/builder.py" in names and "inloop/build/rendering.py" in names
    assert any(name.startswith("inloop/authoring/") for name in names)  # packages too
    tree = ast.parse("class Long:\n" + "    x = 1\n" * MAX_CLASS_LINES)
    node = tree.body[0]
    assert isinstance(node, ast.ClassDef) and node.end_lineno == MAX_CLASS_LINES + 1


def _calls(tree: ast.Module, owner: str, *attributes: str) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in attributes
        and isinstance(node.value, ast.Name)
        and node.value.id == owner
    ]


def test_frozen_objects_are_written_only_where_the_model_constructs_them() -> None:
    """``object.__setattr__`` only in model.py (``__post_init__`` and unpickling): nothing writes a model later."""
    found = [
        f"{name}:{line}"
        for name, tree in modules()
        if name != "inloop/model.py"
        for line in _calls(tree, "object", "__setattr__")
    ]
    assert found == []


def test_the_garbage_collector_is_switched_in_one_module() -> None:
    found = [
        f"{name}:{line}"
        for name, tree in modules()
        if name != "inloop/build/gc_policy.py"
        for line in _calls(tree, "gc", "enable", "disable", "freeze", "unfreeze", "collect", "set_threshold")
    ]
    assert found == []


def test_the_top_of_the_package_holds_at_most_15_modules() -> None:
    top = sorted(path.name for path in SOURCE.glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, f"{len(top)} modules at the top of src/inloop: {', '.join(top)}"


def test_the_pipeline_stages_are_packages() -> None:
    """read -> render -> build, the command line and the dev loop each in a package of its own."""
    for stage in ("read", "render", "build", "cli", "dev"):
        assert (SOURCE / stage / "__init__.py").is_file(), stage


CLI_MODULES = sorted(path.stem for path in (SOURCE / "cli").glob("*.py") if path.stem != "__init__")


@pytest.mark.parametrize("module", CLI_MODULES)
def test_each_command_module_imports_on_its_own(module: str) -> None:
    """No import cycle: each module of the command line can be the first one imported."""
    done = subprocess.run(
        [sys.executable, "-c", f"import inloop.cli.{module}"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
