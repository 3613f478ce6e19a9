"""tests/constraints/lowest.txt pins every dependency to the lower bound pyproject.toml gives it.

CI runs the quick suite on those pins (``scripts/test --lowest --quick``) and everything on the
newest versions, so a bound that no longer works fails there; this keeps the two files in step.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent
LOWEST = REPO / "tests" / "constraints" / "lowest.txt"

#: Stub packages follow the library they describe; they need no bound of their own.
UNBOUNDED = {"types-pyyaml", "types-markdown"}


def requirements() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    found = [Requirement(text) for text in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        found += [Requirement(text) for text in extra]
    return found


def lower_bounds() -> dict[str, Version]:
    bounds: dict[str, Version] = {}
    for requirement in requirements():
        name = canonicalize_name(requirement.name)
        lower = [Version(spec.version) for spec in requirement.specifier if spec.operator == ">="]
        if name in UNBOUNDED:
            continue
        assert len(lower) == 1, f"{requirement} needs one lower bound ('>=')"
        assert bounds.get(name, lower[0]) == lower[0], f"{name} has two lower bounds"
        bounds[name] = lower[0]
    return bounds


def pins() -> dict[str, Version]:
    found: dict[str, Version] = {}
    for line in LOWEST.read_text("utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if text:
            name, _, version = text.partition("==")
            assert version, f"lowest.txt: '{text}' is not a pin (name==version)"
            found[canonicalize_name(name)] = Version(version.strip())
    return found


def test_every_lower_bound_is_pinned_in_lowest_txt() -> None:
    assert pins() == lower_bounds()
