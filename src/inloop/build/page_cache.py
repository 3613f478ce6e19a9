"""The pages a builder made, in memory between builds and in the persistent cache across processes.

A page is rendered again only when its key changed: the builder keeps each
page's key and bytes (compressed, see :mod:`.packed`) for the next build, and
the cache keeps the bytes under a hash of the key for the next process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from inloop import code_digest
from inloop.build.state import KeptPage, StoredPage
from inloop.build.cache import Cache
from inloop.render.pages import Page

#: The cache kind of rendered pages.
KIND = "page"


def page_key(page: Page) -> str:
    """The persistent cache key of a page: its path too, so two pages can never swap bytes."""
    return hashlib.sha256(repr((code_digest(), page.path, page.key)).encode()).hexdigest()


@dataclass(slots=True)
class Wanted:
    """The pages of a plan that the last build did not make with the same key, and their cache keys."""

    kept: dict[str, KeptPage]  # the pages the last build made with the same key, by path
    missing: list[Page]
    keys: dict[str, str]  # each missing page's cache key, by path


class PageCache:
    """Each page's key and bytes as the last build made them, and the persistent cache of page bytes."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self._kept: dict[str, KeptPage] = {}

    def wanted(self, pages: Iterable[Page]) -> Wanted:
        """Which of ``pages`` must be found in the cache or rendered."""
        kept: dict[str, KeptPage] = {}
        missing: list[Page] = []
        for page in pages:
            found = self._kept.get(page.path)
            if found is not None and found.key == page.key:
                kept[page.path] = found
            else:
                missing.append(page)
        return Wanted(kept, missing, {page.path: page_key(page) for page in missing})

    def stored(self, keys: Iterable[str]) -> dict[str, bytes]:
        """The compressed bytes the persistent cache holds for ``keys``."""
        return self.cache.get_many(KIND, keys)

    def store(self, rendered: Mapping[str, bytes | StoredPage]) -> None:
        """Keep fresh pages' bytes in the cache; pages a worker stored itself are only marked as used."""
        self.cache.put_many(KIND, {key: data for key, data in rendered.items() if isinstance(data, bytes)})
        self.cache.keep(KIND, [key for key, data in rendered.items() if isinstance(data, StoredPage)])

    def remember(self, pages: dict[str, KeptPage], *, partial: bool) -> None:
        """What this build made, for the next; ``partial``: only these pages changed, the others stay."""
        if partial:
            self._kept.update(pages)
        else:
            self._kept = pages
