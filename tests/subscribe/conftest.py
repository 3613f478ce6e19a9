"""Fixtures of the subscribe tests; the sites themselves are in subscribe_sites.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from subscribe_sites import BASE, MADEUP_INCIDENTS, MADEUP_MAINTENANCE, NOW, Site, run_build, write_site


@pytest.fixture(scope="session")
def example(example_site: Path) -> Site:
    """The repo's example site built at NOW (by the shared fixture)."""
    return Site(example_site, "https://status.acme.example/")


@pytest.fixture(scope="session")
def madeup(tmp_path_factory: pytest.TempPathFactory) -> Site:
    source = write_site(tmp_path_factory.mktemp("madeup-source"), MADEUP_INCIDENTS, MADEUP_MAINTENANCE)
    return Site(run_build(source, tmp_path_factory.mktemp("madeup-site")), BASE)


@pytest.fixture
def site_factory(tmp_path: Path) -> Callable[..., Site]:
    """``site_factory(incidents, maintenance, now=..., feed_items=..., name=...)`` → a built site."""
    count = iter(range(1000))

    def make(
        incidents: Mapping[str, str] = MADEUP_INCIDENTS,
        maintenance: Mapping[str, str] = MADEUP_MAINTENANCE,
        *,
        now: str = NOW,
        feed_items: int = 50,
        source: Path | None = None,
    ) -> Site:
        number = next(count)
        source = source or tmp_path / f"source-{number}"
        write_site(source, incidents, maintenance, feed_items=feed_items)
        return Site(run_build(source, tmp_path / f"site-{number}", now), BASE)

    return make
