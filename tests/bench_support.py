"""The benchmark's scripts and the sites they generate, for tests: bench/ is not a package."""

from __future__ import annotations

import importlib.util
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType

import pytest

GENERATOR = Path(__file__).resolve().parent.parent / "bench" / "generate.py"


def load_generator() -> ModuleType:
    """``bench/generate.py`` as a module (once per test run)."""
    if "bench_generate" in sys.modules:
        return sys.modules["bench_generate"]
    spec = importlib.util.spec_from_file_location("bench_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def generated_site(factory: pytest.TempPathFactory, incidents: int, seed: int, now: datetime) -> Path:
    """A site ``bench/generate.py`` makes, in a fresh temporary folder."""
    site = factory.mktemp("generated") / "site"
    load_generator().generate_site(site, incidents, seed=seed, now=now)
    return site


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` and its bytes, by relative path."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
