"""``[publish]`` in ``inloop.toml``: where the store is, never how to log in.

Credentials come only from the environment (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_PROFILE``), which boto3
reads itself; so do ``AWS_ENDPOINT_URL`` and ``AWS_REGION`` when the settings
leave them out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast

AddressingStyle = Literal["auto", "path", "virtual"]

_SECRET_WORDS = ("secret", "access_key", "password", "token", "credential")


class SettingError(ValueError):
    """A bad value in ``[publish]``; ``key`` says which, so the caller can add its line."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"[publish] {key}: {message}")


@dataclass(frozen=True, slots=True)
class PublishSettings:
    """How to reach the store.  Every field has a default that works for AWS."""

    #: ``https://<account>.r2.cloudflarestorage.com``, ``http://127.0.0.1:8333``;
    #: ``None`` for AWS itself (or ``AWS_ENDPOINT_URL`` from the environment).
    endpoint_url: str | None = None
    #: ``us-east-1``, ``auto`` for R2; ``None`` for the environment's.
    region: str | None = None
    #: ``path`` for stores without bucket subdomains (MinIO, SeaweedFS by name).
    addressing_style: AddressingStyle = "auto"
    #: How many files go up at once.
    concurrency: int = 16
    #: Attempts per request, the first included (botocore's "standard" retries).
    max_attempts: int = 3
    #: Seconds to wait for a connection, and then for an answer.
    connect_timeout: float = 10.0
    read_timeout: float = 60.0

    def __post_init__(self) -> None:
        if self.endpoint_url is not None and not self.endpoint_url.startswith(("http://", "https://")):
            raise SettingError("endpoint_url", "must start with http:// or https://")
        if self.addressing_style not in ("auto", "path", "virtual"):
            raise SettingError("addressing_style", 'must be "auto", "path" or "virtual"')
        if not 1 <= self.concurrency <= 256:
            raise SettingError("concurrency", "must be between 1 and 256")
        if not 1 <= self.max_attempts <= 20:
            raise SettingError("max_attempts", "must be between 1 and 20")
        for name in ("connect_timeout", "read_timeout"):
            if not getattr(self, name) > 0:
                raise SettingError(name, "must be more than 0 seconds")

    @classmethod
    def from_mapping(cls, table: Mapping[str, object]) -> PublishSettings:
        """Settings from the ``[publish]`` table; :class:`SettingError` for a bad key."""
        values: dict[str, object] = {}
        for key, value in table.items():
            if any(word in key.lower() for word in _SECRET_WORDS):
                raise SettingError(
                    key,
                    "credentials are read only from the environment "
                    "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), never from inloop.toml",
                )
            if key in ("endpoint_url", "region", "addressing_style"):
                if not isinstance(value, str) or not value:
                    raise SettingError(key, "must be a non-empty string")
            elif key in ("concurrency", "max_attempts"):
                if not isinstance(value, int) or isinstance(value, bool):
                    raise SettingError(key, "must be a whole number")
            elif key in ("connect_timeout", "read_timeout"):
                if not isinstance(value, int | float) or isinstance(value, bool):
                    raise SettingError(key, "must be a number of seconds")
                value = float(value)
            else:
                known = "endpoint_url, region, addressing_style, concurrency, max_attempts, "
                raise SettingError(key, f"unknown setting (known: {known}connect_timeout, read_timeout)")
            values[key] = value
        return cls(
            endpoint_url=cast("str | None", values.get("endpoint_url")),
            region=cast("str | None", values.get("region")),
            addressing_style=cast(AddressingStyle, values.get("addressing_style", "auto")),
            concurrency=cast(int, values.get("concurrency", 16)),
            max_attempts=cast(int, values.get("max_attempts", 3)),
            connect_timeout=cast(float, values.get("connect_timeout", 10.0)),
            read_timeout=cast(float, values.get("read_timeout", 60.0)),
        )
