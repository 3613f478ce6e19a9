"""The ledger in use: restoring an output folder from it, and recording a finished build in it.

:mod:`.ledger` says what a ledger is (its key, its entries, how inputs and
outputs are scanned); this module reads the cache into the output folder when
the ledger knows the inputs, and writes the ledger of a build that finished.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from inloop.build import ledger
from inloop.build.cache import Cache
from inloop.build.packed import FileBytes, Packed, raw
from inloop.build.page_cache import KIND as PAGE_KIND
from inloop.build.writer import RECORD_NAME, move_in, read_record, record_bytes, staging_folder, write_files, write_new

#: Files the ledger restores per cache query and write.
LEDGER_BATCH = 1000


class _NotRestored(Exception):
    """The cache or the folder is not what the ledger says: build for real."""


def restore(cache: Cache, inputs: ledger.Inputs, output: Path) -> tuple[list[str], int] | None:
    """Make ``output`` what the ledger of ``inputs`` says: the files written and the number of files.

    Only files missing or changed since the ledger saw them are restored (all
    of them into a new folder, staged and moved in whole).  None when a real
    build must do it: no ledger, files of another build to remove, the cache
    pruned, the folder filled meanwhile.
    """
    blob = cache.get_many(ledger.KIND, [inputs.digest]).get(inputs.digest)
    entries = ledger.load(blob) if blob is not None else None
    if entries is None:
        return None
    where = ledger.output_key(inputs, output)
    known = ledger.load_stats(cache.get_many(ledger.OUTPUT_KIND, [where]).get(where))
    stale = [entry for entry in entries if _stale(output, entry, known)]
    if any(entry.path == RECORD_NAME for entry in stale):
        if set(read_record(output)) - {entry.path for entry in entries}:
            return None  # files of another build to remove: a real build knows which
    try:
        written = _restore_files(cache, output, stale)
    except _NotRestored:
        return None
    if stale and not note_output(cache, inputs, output, entries):
        return None  # a file went away as it was written: build for real
    return written, len(entries)


def _stale(output: Path, entry: ledger.Entry, known: dict[str, ledger.Stat]) -> bool:
    stat = ledger.output_stat(output / entry.path)
    return stat is None or stat != known.get(entry.path)


def _restore_files(cache: Cache, output: Path, stale: list[ledger.Entry]) -> list[str]:
    written: list[str] = []
    staging = staging_folder(output) if stale else None  # a new folder: restored whole, then moved in
    try:
        if staging is None:
            output.mkdir(parents=True, exist_ok=True)
        for start in range(0, len(stale), LEDGER_BATCH):  # in batches: never all the bytes in memory
            batch = stale[start : start + LEDGER_BATCH]
            found = _cached_files(cache, batch)
            names = [entry.path for entry in batch]
            if staging is None:
                written += write_files(output, found, names)
                continue
            for name in names:
                write_new(staging, name, raw(found[name]))
            written += names
        if staging is not None and not move_in(staging, output):
            raise _NotRestored  # filled meanwhile
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return written


def _cached_files(cache: Cache, batch: list[ledger.Entry]) -> dict[str, FileBytes]:
    found: dict[str, FileBytes] = {}
    for kind in sorted({entry.kind for entry in batch}):
        stored = cache.get_many(kind, [entry.key for entry in batch if entry.kind == kind])
        for entry in batch:
            if entry.kind == kind and entry.key in stored:
                value = stored[entry.key]
                found[entry.path] = Packed(value) if kind == PAGE_KIND else value
    if len(found) < len(batch):
        raise _NotRestored  # pruned or corrupt
    return found


def note_output(cache: Cache, inputs: ledger.Inputs, output: Path, entries: list[ledger.Entry]) -> bool:
    """Keep how this output folder's files look now, for the next build's ``stat`` check."""
    stats: dict[str, ledger.Stat] = {}
    folder = f"{output}{os.sep}"  # joined as text: a site has thousands of files
    for entry in entries:
        stat = ledger.output_stat(folder + entry.path)
        if stat is None:
            return False
        stats[entry.path] = stat
    cache.put_many(ledger.OUTPUT_KIND, {ledger.output_key(inputs, output): ledger.dump_stats(stats)})
    return True


def record(
    cache: Cache, inputs: ledger.Inputs, output: Path, files: dict[str, FileBytes], page_keys: dict[str, str]
) -> None:
    """Note where the last build's files live in the cache and how they look on disk."""
    entries: list[ledger.Entry] = []
    blobs: dict[str, bytes] = {}
    everything = {**files, RECORD_NAME: record_bytes(list(files))}
    for path, data in everything.items():
        kind, key = PAGE_KIND, page_keys.get(path)
        if key is None:  # not a page: a static file, the stylesheet, the record
            blob = raw(data)
            kind, key = ledger.BLOB_KIND, hashlib.sha256(blob).hexdigest()
            blobs[key] = blob
        entries.append(ledger.Entry(path, kind, key))
    if not note_output(cache, inputs, output, entries):
        return  # gone already: nothing to vouch for
    cache.put_many(ledger.BLOB_KIND, blobs)
    cache.put_many(ledger.KIND, {inputs.digest: ledger.dump(entries)})
