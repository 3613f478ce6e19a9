"""Where a site goes: a folder, or a bucket and prefix in an S3-compatible store.

A :class:`Store` knows four things: read an object, write one with its headers,
delete one, and say where it is.  Keys are relative to the destination (the
folder, or the prefix); a store adds its own root.  Every failure leaves a
store as a :class:`PublishError` with a message meant for the user.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from ..errors import UsageError
from .plan import valid_key
from .redact import redact_userinfo
from .settings import PublishSettings

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")
#: A folder publish's temporary file: ``.inloop-<pid>-<random>.tmp`` (no pid: an older inloop's).
_TEMPORARY = re.compile(r"^\.inloop-(?:(?P<pid>\d+)-)?[A-Za-z0-9_]+\.tmp$")


class PublishError(UsageError):
    """A destination that cannot be used, or a publish that could not finish."""


@dataclass(frozen=True, slots=True)
class Stored:
    """An object as the store holds it; ``None`` headers if the store keeps none."""

    body: bytes
    content_type: str | None
    cache_control: str | None


class Store(Protocol):
    """What publishing needs from a destination."""

    @property
    def description(self) -> str:
        """Where this is, as the user would type it (``s3://bucket/prefix``)."""
        ...

    def read(self, key: str) -> Stored | None:
        """The object, or ``None`` if there is none."""
        ...

    def write(self, key: str, body: bytes, *, content_type: str, cache_control: str, sha256: str) -> None:
        """Create or replace the object, whole (never half-written)."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; no error if it is already gone."""
        ...


class LocalStore:
    """A folder on this machine (a web server's document root, a mounted share).

    Files are written to a temporary name and renamed, so a reader never sees
    half a file.  Folders do not keep headers: the web server picks them.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def description(self) -> str:
        return str(self.root)

    def _path(self, key: str) -> Path:
        if not valid_key(key):
            raise PublishError(f"refusing the key {key!r}: not a plain relative path")
        return self.root.joinpath(*key.split("/"))

    def read(self, key: str) -> Stored | None:
        path = self._path(key)
        try:
            return Stored(path.read_bytes(), None, None)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except OSError as exc:
            raise PublishError(f"cannot read {path}: {exc.strerror or exc}") from None

    def write(self, key: str, body: bytes, *, content_type: str, cache_control: str, sha256: str) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".inloop-{os.getpid()}-", suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(body)
                os.chmod(temp, 0o644)
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise PublishError(f"cannot write {path}: {exc.strerror or exc}") from None

    def remove_stale_temporary(self) -> int:
        """Remove the temporary files of publishes that were killed mid-write; how many.

        A file is stale when the process named in it is gone (or is this one,
        which calls this only when none of its writes is in flight), or when
        it names none.  A publish still running elsewhere keeps its files.
        """
        if not self.root.is_dir():
            return 0
        removed = 0
        for folder, _, names in os.walk(self.root):
            for name in names:
                found = _TEMPORARY.match(name)
                if found is None or _running(found.group("pid")):
                    continue
                path = Path(folder, name)
                try:
                    path.unlink()
                    removed += 1
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    raise PublishError(f"cannot remove the stale file {path}: {exc.strerror or exc}") from None
        return removed

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise PublishError(f"cannot delete {path}: {exc.strerror or exc}") from None
        # Remove the folders the deletion emptied, up to the root.
        parent = path.parent
        while parent != self.root and self.root in parent.parents:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent


def _running(pid: str | None) -> bool:
    """Whether another process with this id is alive (and so may still be writing)."""
    if pid is None or int(pid) == os.getpid() or int(pid) <= 0:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    except (OverflowError, ValueError):  # not a process id at all
        return False
    return True


class S3Store:
    """A bucket and prefix in AWS S3, Cloudflare R2, Backblaze B2, MinIO, SeaweedFS...

    Each object gets its ``Content-Type`` and ``Cache-Control``, its SHA-256 as
    ``x-amz-meta-sha256`` (for people and tools looking at the bucket; publish
    itself trusts only the manifest, or the bytes with ``--full``) and a
    ``Content-MD5`` so that the store refuses a body damaged on the way.
    """

    def __init__(self, bucket: str, prefix: str, client: Any) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.client = client

    @property
    def description(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    @property
    def endpoint(self) -> str:
        """The endpoint as shown in messages: never its ``user:pass@``."""
        return redact_userinfo(self._endpoint_url or "AWS S3")

    @property
    def _endpoint_url(self) -> str:
        return str(getattr(self.client.meta, "endpoint_url", "") or "")

    def read(self, key: str) -> Stored | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
            body = answer["Body"].read()
        except Exception as exc:
            if _error_code(exc) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise self._error(exc, "read", key) from None
        return Stored(body, answer.get("ContentType"), answer.get("CacheControl"))

    def write(self, key: str, body: bytes, *, content_type: str, cache_control: str, sha256: str) -> None:
        md5 = hashlib.md5(body, usedforsecurity=False).digest()
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.prefix + key,
                Body=body,
                ContentType=content_type,
                CacheControl=cache_control,
                ContentMD5=base64.b64encode(md5).decode("ascii"),
                Metadata={"sha256": sha256},
            )
        except Exception as exc:
            raise self._error(exc, "upload", key) from None

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)
        except Exception as exc:
            if _error_code(exc) in ("NoSuchKey", "404", "NotFound"):
                return
            raise self._error(exc, "delete", key) from None

    def _error(self, exc: Exception, action: str, key: str) -> PublishError:
        """A message for what went wrong, naming the store and what to check (never a password)."""
        error = self._explain(exc, action, key)
        return PublishError(redact_userinfo(str(error), self._endpoint_url, os.environ.get("AWS_ENDPOINT_URL")))

    def _explain(self, exc: Exception, action: str, key: str) -> PublishError:
        where = f"{self.description} at {self.endpoint}"
        name = type(exc).__name__
        code = _error_code(exc)
        if name in ("NoCredentialsError", "PartialCredentialsError"):
            return PublishError(
                f"no credentials for {where}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                "(or AWS_PROFILE) in the environment"
            )
        if code == "NoSuchBucket":
            return PublishError(f"the bucket {self.bucket!r} does not exist at {self.endpoint}")
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"):
            return PublishError(
                f"{where} refused the credentials ({code}): check AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, and endpoint_url and region in [publish]"
            )
        if code in ("AccessDenied", "403", "Forbidden"):
            return PublishError(
                f"access denied to {action} {key} in {where}: the credentials need "
                "s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on it"
            )
        if name in (
            "EndpointConnectionError",
            "ConnectTimeoutError",
            "ReadTimeoutError",
            "ConnectionClosedError",
            "ProxyConnectionError",
            "SSLError",
            "ResponseStreamingError",
        ):
            return PublishError(f"cannot reach {where} ({action} {key}): {exc}")
        if code:
            message = _error_message(exc)
            return PublishError(f"could not {action} {key} in {where}: {code}: {message}")
        return PublishError(f"could not {action} {key} in {where}: {name}: {exc}")


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error")
        if isinstance(error, dict):
            return str(error.get("Code", ""))
    return ""


def _error_message(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and isinstance(response.get("Error"), dict):
        return str(response["Error"].get("Message", "")) or str(exc)
    return str(exc)


def make_s3_client(settings: PublishSettings) -> Any:
    """A boto3 S3 client; credentials come from the environment, as boto3 reads them."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise PublishError("publishing to s3:// needs boto3: pip install 'inloop[s3]'") from None
    options: dict[str, Any] = {
        "retries": {"max_attempts": settings.max_attempts, "mode": "standard"},
        "connect_timeout": settings.connect_timeout,
        "read_timeout": settings.read_timeout,
        "max_pool_connections": max(10, settings.concurrency),
        "s3": {"addressing_style": settings.addressing_style},
    }
    try:
        # Since botocore 1.36, every upload carries a CRC32 checksum by default,
        # which several S3-compatible stores reject; Content-MD5 does that job.
        config = Config(
            **options,
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
    except TypeError:
        config = Config(**options)
    try:
        session = boto3.session.Session()
        return session.client(
            "s3",
            endpoint_url=settings.endpoint_url,
            region_name=settings.region,
            config=config,
        )
    except Exception as exc:  # botocore's configuration errors: bad region, bad profile
        message = redact_userinfo(str(exc), settings.endpoint_url, os.environ.get("AWS_ENDPOINT_URL"))
        raise PublishError(f"cannot set up the S3 client: {message}") from None


def parse_s3(dest: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` → ``("bucket", "some/prefix/")``."""
    rest = dest[len("s3://") :]
    bucket, _, prefix = rest.partition("/")
    if not _BUCKET.match(bucket):
        raise PublishError(
            f"bad destination {dest!r}: {bucket!r} is not a bucket name "
            "(3 to 63 lowercase letters, digits, dots and hyphens); write s3://bucket/prefix"
        )
    prefix = prefix.strip("/")
    if prefix and not valid_key(prefix):
        raise PublishError(f"bad destination {dest!r}: the prefix {prefix!r} has an empty, '.' or '..' part")
    return bucket, prefix + "/" if prefix else ""


def open_store(dest: str, settings: PublishSettings, output_dir: Path, client: Any = None) -> Store:
    """The store a destination names: a folder path, ``file://``, or ``s3://``.

    ``client`` replaces the boto3 client (tests).  A folder must not be the
    output folder, nor lie inside it or around it.
    """
    text = dest.strip()
    if not text:
        raise PublishError("no destination: give a folder or s3://bucket/prefix")
    match = _SCHEME.match(text)
    if match and match.group(1).lower() == "s3":
        bucket, prefix = parse_s3(text)
        return S3Store(bucket, prefix, client if client is not None else make_s3_client(settings))
    if match and match.group(1).lower() != "file":
        raise PublishError(
            f"cannot publish to {dest!r}: the destination is a folder or s3://bucket/prefix "
            "(for R2, B2, MinIO and other S3-compatible stores, use s3:// and set "
            "endpoint_url in [publish] or AWS_ENDPOINT_URL)"
        )
    if match:
        parts = urlsplit(text)
        if parts.netloc not in ("", "localhost"):
            raise PublishError(f"cannot publish to {dest!r}: file:// URLs name this machine only")
        text = unquote(parts.path)
    root = Path(text).expanduser().resolve()
    output = output_dir.resolve()
    if root == output or output in root.parents:
        raise PublishError(f"cannot publish {output_dir} into itself ({dest})")
    if root in output.parents:
        raise PublishError(f"cannot publish {output_dir} into {dest}, the folder that holds it")
    if root.exists() and not root.is_dir():
        raise PublishError(f"cannot publish to {dest}: it is a file, not a folder")
    return LocalStore(root)
