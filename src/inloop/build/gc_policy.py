"""When the garbage collector runs during a build: the whole policy, in one place.

A build makes millions of objects and few reference cycles, so the collector
is off while it runs and what it keeps is frozen (the collector never walks
it again).  Parsing makes next to no cycles (Python-Markdown leaves a few
small objects for each document it converts): it runs with the collector
off.  Some pages leave cycles behind (a template's own macros, the JSON and
XML writers' nested functions), so rendering collects, but only what
rendering makes, and only every :data:`BUILD_THRESHOLD` objects: a
collection walks the objects made since the last one, and with Python's
default of 700 most of those are a page's objects still in use, walked
again and again.  A forked worker collects its own garbage and never looks
at what it inherited: walking it would copy the parent's memory pages into
the child.

Every call of :mod:`gc` in inloop is here.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

#: Every this many builds of one builder, the collector looks at everything once,
#: so that no cycle outlives a long watch session.
FULL_COLLECTION_EVERY = 25

#: Objects made (and not yet freed) between two collections while a build renders; Python's default is 700.
BUILD_THRESHOLD = 20_000


@contextlib.contextmanager
def quiet_build(builds: int) -> Iterator[None]:
    """One build, the ``builds``-th of its builder, with the collector off; what survives it is frozen."""
    collecting, thresholds = gc.isenabled(), gc.get_threshold()
    gc.disable()
    gc.set_threshold(BUILD_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if collecting:
            gc.enable()
        # What survives a build (parsed content, rendered pages) lives until the next:
        # keep the collector from walking it again and again.
        if builds % FULL_COLLECTION_EVERY == 0:
            gc.unfreeze()
            gc.collect()
        gc.freeze()


@contextlib.contextmanager
def collecting_cycles() -> Iterator[None]:
    """Collect garbage while rendering: what exists before is frozen, so only what rendering makes is walked."""
    collecting = gc.isenabled()
    gc.freeze()
    gc.enable()
    try:
        yield
    finally:
        if not collecting:
            gc.disable()


@contextlib.contextmanager
def making_no_cycles() -> Iterator[None]:
    """Parse with the collector off: what parsing makes stays (see :func:`keep_made`) and holds no cycle.

    tests/test_gc_policy.py checks that no object of inloop's is left in a cycle.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def keep_made() -> None:
    """What was made so far stays for the whole build (a run of parsed files): never walk it again."""
    gc.freeze()


def before_fork() -> None:
    """What exists now is shared with the children about to be forked: no collection may touch it."""
    gc.freeze()


def in_child() -> None:
    """A forked worker collects what it makes (it inherited the frozen rest)."""
    gc.enable()
