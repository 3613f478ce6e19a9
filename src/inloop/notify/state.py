"""What was sent to whom: the notifier's memory, on disk or in an object store.

The state is written after every delivery, so a crash repeats at most the one
message that was in flight, and never skips one.  A lock (a file created
exclusively, or an object written with a conditional PUT) keeps two runs
from sending at once; a lock older than ten minutes belongs to a crashed run
and is taken over, and so is a lock file whose process, on this host, is gone.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from ..errors import UsageError
from ..publish.redact import redact_userinfo

LOCK_SECONDS = 600
VERSION = 1


@dataclass(slots=True)
class NotifyState:
    """``start``: events before it were never sent; ``events``: id -> record."""

    start: str
    events: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> bytes:
        data = {"version": VERSION, "start": self.start, "events": self.events}
        return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes, where: str) -> NotifyState:
        try:
            parsed = json.loads(data)
            if not isinstance(parsed, dict) or parsed.get("version") != VERSION:
                raise ValueError("not an inloop notify state")
            return cls(str(parsed["start"]), dict(parsed.get("events", {})))
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"the notify state {where} is damaged ({exc}): fix or remove it") from None


class StateStore(Protocol):
    where: str

    def load(self) -> NotifyState | None: ...
    def save(self, state: NotifyState) -> None: ...
    def lock(self) -> None: ...
    def unlock(self) -> None: ...


class FileStore:
    """The state as a JSON file, replaced atomically on every save."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)
        self._lock_path = path.with_name(path.name + ".lock")
        self._locked = False

    def load(self) -> NotifyState | None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        return NotifyState.from_json(data, self.where)

    def save(self, state: NotifyState) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".notify-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(state.to_json())
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def lock(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                descriptor = os.open(self._lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                try:
                    age = time.time() - self._lock_path.stat().st_mtime
                except FileNotFoundError:
                    continue
                if age > LOCK_SECONDS or _holder_is_gone(self._lock_path):
                    self._lock_path.unlink(missing_ok=True)  # a crashed run's lock
                    continue
                raise UsageError(
                    f"another 'inloop notify' is running (lock {self._lock_path}, {int(age)} s old); "
                    f"a lock older than {LOCK_SECONDS // 60} minutes is taken over"
                ) from None
            with os.fdopen(descriptor, "w") as stream:
                stream.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "time": time.time()}))
            self._locked = True
            return
        raise UsageError(f"cannot take the notify lock {self._lock_path}")

    def unlock(self) -> None:
        if self._locked:
            self._lock_path.unlink(missing_ok=True)
            self._locked = False


def _holder_is_gone(lock: Path) -> bool:
    """The lock was taken on this host by a process that no longer runs (killed, even with SIGKILL)."""
    try:
        holder = json.loads(lock.read_text("utf-8"))
        pid, host = int(holder["pid"]), str(holder["host"])
    except (OSError, ValueError, KeyError, TypeError):
        return False  # an older or foreign lock: only its age counts
    if host != socket.gethostname() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it runs, as another user
        return False
    return False


class S3Store:
    """The state as a private object; the lock an object written with ``If-None-Match: *``."""

    def __init__(self, url: str, endpoint_url: str | None = None, region: str | None = None) -> None:
        parts = urlsplit(url)
        if not parts.netloc or not parts.path.strip("/"):
            raise UsageError(f"the notify state must be s3://bucket/key, found '{url}'")
        self.where = url
        self.bucket = parts.netloc
        self.key = parts.path.lstrip("/")
        self.lock_key = self.key + ".lock"
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise UsageError("an s3:// notify state needs boto3: pip install 'inloop[s3]'") from None
        self._endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        try:
            # A session of its own, as publish makes: boto3's default session keeps the credentials of
            # the environment it first saw, which a long-lived process (or the next test) may have changed.
            self._client = boto3.session.Session().client(
                "s3",
                endpoint_url=self._endpoint,
                region_name=region,
                config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=30),
            )
        except Exception as exc:  # botocore's configuration errors: a bad endpoint, region or profile
            raise self._error(exc) from None
        self._token: str | None = None

    def _error(self, exc: Exception) -> UsageError:
        """The message never shows the ``user:pass@`` of the endpoint."""
        return UsageError(redact_userinfo(f"cannot use the notify state {self.where}: {exc}", self._endpoint))

    def load(self) -> NotifyState | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=self.key)
            return NotifyState.from_json(answer["Body"].read(), self.where)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise self._error(exc) from None
        except BotoCoreError as exc:
            raise self._error(exc) from None

    def save(self, state: NotifyState) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.put_object(
                Bucket=self.bucket, Key=self.key, Body=state.to_json(), ContentType="application/json", ACL="private"
            )
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc) from None

    def lock(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        token = f"{os.getpid()}-{time.time()}"
        body = json.dumps({"token": token, "time": time.time()}).encode()
        for _ in range(2):
            try:
                self._client.put_object(Bucket=self.bucket, Key=self.lock_key, Body=body, IfNoneMatch="*")
                self._token = token
                return
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code not in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                    raise self._error(exc) from None
            except BotoCoreError as exc:
                raise self._error(exc) from None
            try:
                current = json.loads(self._client.get_object(Bucket=self.bucket, Key=self.lock_key)["Body"].read())
                age = time.time() - float(current.get("time", 0))
            except (ClientError, BotoCoreError, ValueError):
                age = LOCK_SECONDS + 1
            if age <= LOCK_SECONDS:
                raise UsageError(f"another 'inloop notify' holds the lock {self.where}.lock ({int(age)} s old)")
            try:
                self._client.delete_object(Bucket=self.bucket, Key=self.lock_key)  # a crashed run's lock
            except (ClientError, BotoCoreError) as exc:
                raise self._error(exc) from None
        raise UsageError(f"cannot take the notify lock {self.where}.lock")

    def unlock(self) -> None:
        if self._token is not None:
            try:
                self._client.delete_object(Bucket=self.bucket, Key=self.lock_key)
            except Exception:  # the lock expires by itself
                pass
            self._token = None


def open_store(where: str, source: Path, endpoint_url: str | None = None, region: str | None = None) -> StateStore:
    if where.startswith("s3://"):
        return S3Store(where, endpoint_url, region)
    path = Path(where)
    return FileStore(path if path.is_absolute() else source / path)
