"""Carry a plan out: phase after phase, many files at once, then clean up.

The order makes an interrupted publish harmless and a rerun complete:

1. read the manifest (the last complete publish) and the pending record (what
   an interrupted run had started to touch);
2. write a new pending record naming every key this run will upload or
   delete, before touching any of them;
3. upload, phase by phase (:class:`~inloop.publish.plan.Phase`): a phase
   starts only when every file of the one before is up, and a page that links
   to an object the store does not have yet waits for it
   (:meth:`~inloop.publish.plan.Plan.upload_waves`), so a page never links to
   an object that is not there;
4. delete the stale objects, pages before assets;
5. write the manifest, then remove the pending record.

A crash anywhere leaves the old manifest (every entry still true of the store,
except for keys in the pending record) and the pending record, so the next run
uploads again everything that might be half-published, and deletes what it
should have deleted.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO, TypeVar

from ..errors import UsageError
from .links import is_page, page_links
from .plan import (
    MANIFEST_KEY,
    NO_CACHE,
    PENDING_KEY,
    Found,
    ManifestError,
    ObjectInfo,
    Plan,
    Upload,
    decode_manifest,
    decode_pending,
    describe,
    encode_manifest,
    encode_pending,
    make_plan,
)
from .report import PublishReport
from .settings import PublishSettings
from .stores import PublishError, Store, open_store

#: The build's own record in the output folder: never published.
BUILD_RECORD = ".inloop-build.json"
#: Local state folder in the output: never published.
STATE_DIR = ".inloop"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LocalFile:
    path: Path
    info: ObjectInfo


def scan_output(output_dir: Path) -> dict[str, LocalFile]:
    """Every file of the built site by key, with its SHA-256 and size."""
    if not output_dir.is_dir():
        raise UsageError(f"{output_dir} is not a folder: build the site first")
    files: dict[str, LocalFile] = {}
    try:
        for folder, dirs, names in os.walk(output_dir):
            here = Path(folder)
            if here == output_dir:
                dirs[:] = [d for d in dirs if d != STATE_DIR]
                names = [n for n in names if n != BUILD_RECORD]
            dirs.sort()
            for name in sorted(names):
                path = here / name
                if not path.is_file():
                    continue
                key = path.relative_to(output_dir).as_posix()
                data = path.read_bytes()
                info = describe(key, hashlib.sha256(data).hexdigest(), len(data))
                files[key] = LocalFile(path, info)
    except OSError as exc:
        raise UsageError(f"cannot read the built site in {output_dir}: {exc}") from None
    return files


class Progress:
    """A progress bar on a terminal; one line per step elsewhere (CI logs)."""

    WIDTH = 28

    def __init__(self, stream: TextIO, *, tty: bool | None = None) -> None:
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self._lock = threading.Lock()
        self._label = ""
        self._total = 0
        self._done = 0
        self._drawn = ""

    def start(self, label: str, total: int) -> None:
        with self._lock:
            self._label, self._total, self._done, self._drawn = label, total, 0, ""
            self._draw()

    def advance(self) -> None:
        with self._lock:
            self._done += 1
            self._draw()

    def finish(self) -> None:
        with self._lock:
            if self.tty:
                self.stream.write("\n")
            else:
                self.stream.write(f"{self._label}: {self._done}/{self._total}\n")
            self.stream.flush()

    def _draw(self) -> None:
        if not self.tty:
            return
        filled = self.WIDTH * self._done // max(self._total, 1)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        line = f"\r{self._label:<44} [{bar}] {self._done}/{self._total}"
        if line != self._drawn:
            self._drawn = line
            self.stream.write(line)
            self.stream.flush()


def _each(
    items: Sequence[T],
    work: Callable[[T], object],
    *,
    concurrency: int,
    progress: Progress | None,
    label: str,
) -> None:
    """Run ``work`` on every item, ``concurrency`` at a time; stop at the first error.

    Items not yet started are cancelled; those in flight finish (or fail)
    before the first error is raised again.
    """
    if not items:
        return
    if progress:
        progress.start(label, len(items))
    pool = ThreadPoolExecutor(max_workers=min(concurrency, len(items)), thread_name_prefix="publish")
    try:
        futures: list[Future[object]] = [pool.submit(work, item) for item in items]
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                error = future.exception()
                if error is not None:
                    raise error
                if progress:
                    progress.advance()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if progress:
            progress.finish()


def _read_record(store: Store, key: str) -> bytes | None:
    stored = store.read(key)
    return None if stored is None else stored.body


def _interrupted(store: Store, step: str, exc: UsageError, uploaded: int, total: int) -> PublishError:
    return PublishError(
        f"{exc}\npublish to {store.description} stopped while {step} "
        f"({uploaded} of {total} files uploaded); the manifest was not updated, so running "
        "the same command again finishes the job."
    )


def publish_to_store(
    output_dir: Path,
    store: Store,
    *,
    full: bool = False,
    dry_run: bool = False,
    concurrency: int = 16,
    progress: Progress | None = None,
) -> PublishReport:
    """Publish the built site in ``output_dir`` to ``store`` (see the module doc)."""
    local = scan_output(output_dir)
    if not local:
        raise UsageError(f"nothing to publish: {output_dir} holds no files")
    wanted = {key: file.info for key, file in local.items()}
    warnings: list[str] = []

    old_manifest = _read_record(store, MANIFEST_KEY)
    published: dict[str, ObjectInfo] = {}
    if old_manifest is not None:
        try:
            published = decode_manifest(old_manifest)
        except ManifestError as exc:
            warnings.append(
                f"the manifest {MANIFEST_KEY} in {store.description} is unreadable ({exc}): "
                "uploading every file; objects the site no longer has stay in place"
            )
    unfinished: set[str] = set()
    old_pending = _read_record(store, PENDING_KEY)
    if old_pending is not None:
        try:
            unfinished = decode_pending(old_pending)
        except ManifestError as exc:
            # Without the list we cannot tell which objects are half-published.
            warnings.append(
                f"the record of an interrupted publish ({PENDING_KEY}) is unreadable ({exc}): checking every object"
            )
            full = True
        else:
            if unfinished:
                warnings.append(
                    f"an earlier publish to {store.description} was interrupted: finishing its {len(unfinished)} files"
                )

    found: dict[str, Found | None] | None = None
    if full:
        found = _check(store, list(wanted.values()), concurrency, progress)

    plan = make_plan(wanted, published, unfinished, found)
    report = PublishReport(
        destination=store.description,
        uploaded=tuple(u.key for u in plan.uploads),
        deleted=plan.deletes,
        unchanged=plan.unchanged,
        reasons={u.key: u.reason for u in plan.uploads},
        dry_run=dry_run,
        full=full,
        warnings=tuple(warnings),
    )
    if dry_run:
        return report
    removed = _remove_stale_temporary(store)
    if removed:
        report = replace(report, warnings=(*report.warnings, _stale_warning(removed)))
    try:
        _carry_out(store, local, plan, old_manifest, old_pending, concurrency, progress)
    except BaseException:
        with contextlib.suppress(Exception):  # the first error is the one to report
            _remove_stale_temporary(store)  # a write cut short by an error in another thread, or Ctrl-C
        raise
    return report


def _remove_stale_temporary(store: Store) -> int:
    """What a killed folder publish left behind (only folders have temporary files)."""
    remove = getattr(store, "remove_stale_temporary", None)
    if not callable(remove):
        return 0
    count = remove()
    return count if isinstance(count, int) else 0


def _stale_warning(count: int) -> str:
    files = "file" if count == 1 else "files"
    return f"removed {count} temporary {files} left by an interrupted publish"


def _carry_out(
    store: Store,
    local: Mapping[str, LocalFile],
    plan: Plan,
    old_manifest: bytes | None,
    old_pending: bytes | None,
    concurrency: int,
    progress: Progress | None,
) -> None:
    """Steps 2 to 5 of the module doc: pending record, uploads, deletions, manifest."""
    new_manifest = encode_manifest(plan.manifest)
    if not plan.touched and old_pending is None and new_manifest == old_manifest:
        return

    if plan.touched:
        _write_record(store, PENDING_KEY, encode_pending(plan.touched))

    uploaded = 0
    total = len(plan.uploads)
    count_lock = threading.Lock()

    def upload(item: Upload) -> None:
        nonlocal uploaded
        file = local[item.key]
        try:
            data = file.path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {file.path}: {exc.strerror or exc}") from None
        if hashlib.sha256(data).hexdigest() != item.info.sha256:
            raise UsageError(f"{file.path} changed while publishing: build again and rerun")
        store.write(
            item.key,
            data,
            content_type=item.info.content_type,
            cache_control=item.info.cache_control,
            sha256=item.info.sha256,
        )
        with count_lock:
            uploaded += 1

    for wave in plan.upload_waves(_links(local, plan.uploads)):
        try:
            _each(
                wave.uploads,
                upload,
                concurrency=concurrency,
                progress=progress,
                label=f"uploading {wave.label}",
            )
        except UsageError as exc:
            raise _interrupted(store, f"uploading {wave.label}", exc, uploaded, total) from None
    for phase, keys in plan.delete_phases():
        try:
            _each(
                keys,
                store.delete,
                concurrency=concurrency,
                progress=progress,
                label=f"deleting stale {phase.label}",
            )
        except UsageError as exc:
            raise _interrupted(store, "deleting stale files", exc, uploaded, total) from None
    try:
        _write_record(store, MANIFEST_KEY, new_manifest)
        if plan.touched or old_pending is not None:
            store.delete(PENDING_KEY)
    except UsageError as exc:
        raise _interrupted(store, "writing the manifest", exc, uploaded, total) from None


def _links(local: Mapping[str, LocalFile], uploads: Iterable[Upload]) -> dict[str, set[str]]:
    """What each page about to go up links to."""
    links: dict[str, set[str]] = {}
    for item in uploads:
        if is_page(item.key):
            try:
                links[item.key] = page_links(item.key, local[item.key].path.read_bytes())
            except OSError as exc:
                raise UsageError(f"cannot read {local[item.key].path}: {exc}") from None
    return links


def _write_record(store: Store, key: str, data: bytes) -> None:
    store.write(
        key,
        data,
        content_type="application/json",
        cache_control=NO_CACHE,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _check(
    store: Store, infos: Iterable[ObjectInfo], concurrency: int, progress: Progress | None
) -> dict[str, Found | None]:
    """Read every object back and hash it (``--full``)."""
    found: dict[str, Found | None] = {}

    def check(info: ObjectInfo) -> None:
        stored = store.read(info.key)
        found[info.key] = (
            None
            if stored is None
            else Found(
                hashlib.sha256(stored.body).hexdigest(),
                len(stored.body),
                stored.content_type,
                stored.cache_control,
            )
        )

    _each(list(infos), check, concurrency=concurrency, progress=progress, label="checking")
    return found


def publish_site(
    output_dir: Path,
    dest: str,
    *,
    full: bool = False,
    dry_run: bool = False,
    settings: PublishSettings,
    progress: bool = True,
) -> PublishReport:
    """Publish a built site to a folder or ``s3://bucket/prefix``.

    Uploads what changed since the last publish (by the manifest), or, with
    ``full``, whatever differs from the local file in the store.  ``dry_run``
    reports without writing.  The progress bar goes to stderr.  Raises
    :class:`~inloop.errors.UsageError` (a :class:`PublishError` for the store)
    with a message for the user; a rerun after any failure finishes the job.
    """
    store = open_store(dest, settings, output_dir)
    return publish_to_store(
        output_dir,
        store,
        full=full,
        dry_run=dry_run,
        concurrency=settings.concurrency,
        progress=Progress(sys.stderr) if progress else None,
    )
