"""Alert webhooks as plain data: Alertmanager (version 4), Grafana (unified alerting) and generic JSON.

Each parser checks what it uses and says what is wrong (:class:`PayloadError`,
answered with 400); anything else in a payload is ignored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

KINDS = ("alertmanager", "grafana", "generic")
STATUSES = ("firing", "resolved")


class PayloadError(ValueError):
    """The payload cannot be used; the message says why (sent to the client)."""


@dataclass(frozen=True, slots=True)
class Alert:
    status: str  # "firing" or "resolved"
    labels: dict[str, str]
    annotations: dict[str, str]
    fingerprint: str
    starts_at: str = ""

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "") or "alert"

    @property
    def summary(self) -> str:
        """What the alert says, for people: its summary annotation, else a fallback."""
        for key in ("summary", "title", "message", "description"):
            text = self.annotations.get(key, "").strip()
            if text:
                return text
        return self.labels.get("alertname", "") or "an alert fired"


@dataclass(frozen=True, slots=True)
class Batch:
    kind: str
    alerts: tuple[Alert, ...]
    group_key: str | None = None


def fingerprint(labels: dict[str, str]) -> str:
    """A stable id of an alert from its labels, when the sender gives none."""
    return hashlib.sha256(json.dumps(sorted(labels.items())).encode("utf-8")).hexdigest()[:16]


def parse(kind: str, body: bytes) -> Batch:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError("the body is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PayloadError(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise PayloadError("malformed JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise PayloadError(f"expected a JSON object, found {_json_type(data)}")
    if kind == "generic":
        group = data.get("group")
        if group is not None and not isinstance(group, str):
            raise PayloadError(f"'group' must be a string, found {_json_type(group)}")
        return Batch(kind, (_alert(data, ""),), group or None)
    if kind == "alertmanager" and str(data.get("version", "4")) != "4":
        raise PayloadError(f"unsupported Alertmanager webhook version {data.get('version')!r}: inloop reads version 4")
    alerts = data.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadError(f"'alerts' must be a list, found {_json_type(alerts)}")
    group_key = data.get("groupKey")
    if group_key is not None and not isinstance(group_key, str):
        raise PayloadError(f"'groupKey' must be a string, found {_json_type(group_key)}")
    return Batch(kind, tuple(_alert(a, f"alerts[{i}].") for i, a in enumerate(alerts)), group_key or None)


def _alert(data: Any, where: str) -> Alert:
    if not isinstance(data, dict):
        raise PayloadError(f"{where.rstrip('.') or 'the alert'} must be an object, found {_json_type(data)}")
    status = data.get("status")
    if status not in STATUSES:
        raise PayloadError(f'\'{where}status\' must be "firing" or "resolved", found {json.dumps(status)[:80]}')
    labels = _strings(data.get("labels"), f"{where}labels", required=True)
    annotations = _strings(data.get("annotations", {}), f"{where}annotations", required=False)
    print_ = data.get("fingerprint")
    if print_ is not None and not isinstance(print_, str):
        raise PayloadError(f"'{where}fingerprint' must be a string, found {_json_type(print_)}")
    starts = data.get("startsAt", "")
    return Alert(
        str(status), labels, annotations, print_ or fingerprint(labels), starts if isinstance(starts, str) else ""
    )


def _strings(value: Any, where: str, *, required: bool) -> dict[str, str]:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"'{where}' must be an object of strings, found {_json_type(value)}")
    for key, item in value.items():
        if not isinstance(item, str):
            raise PayloadError(f"'{where}.{key[:80]}' must be a string, found {_json_type(item)}")
    return dict(value)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )
