"""When the garbage collector runs during a build: the whole policy, in one place.

A build makes millions of objects and few reference cycles, so the collector
is off while it runs and what it keeps is frozen (the collector never walks
it again).  Jinja leaves a cycle behind every page it renders, so rendering
collects, but only what rendering makes.  A forked worker collects its own
garbage and never looks at what it inherited: walking it would copy the
parent's memory pages into the child.

Every call of :mod:`gc` in inloop is here.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

#: Every this many builds of one builder, the collector looks at everything once,
#: so that no cycle outlives a long watch session.
FULL_COLLECTION_EVERY = 25


@contextlib.contextmanager
def quiet_build(builds: int) -> Iterator[None]:
    """One build, the ``builds``-th of its builder, with the collector off; what survives it is frozen."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
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


def keep_made() -> None:
    """What was made so far stays for the whole build (a run of parsed files): never walk it again."""
    gc.freeze()


def before_fork() -> None:
    """What exists now is shared with the children about to be forked: no collection may touch it."""
    gc.freeze()


def in_child() -> None:
    """A forked worker collects what it makes (it inherited the frozen rest)."""
    gc.enable()
