"""The notify run: which events are new, who gets them, and the state after each send.

Order of work, for at-least-once delivery: for each event, oldest first, for
each recipient not yet recorded: send (with retries), then record and save
the state.  A crash between the send and the save repeats that one message;
nothing is ever recorded before it was sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from typing import Any

from inloop.build.builder import Builder
from inloop.render.feeds import FeedIndex, Source, sources_of
from inloop.render.formatting import Formatter

from .. import i18n
from ..errors import BuildError, Problem, UsageError
from ..model import Content, Incident, Maintenance, SiteConfig
from ..times import utc_stamp
from .bulk import DatabaseRun, Tally, open_database_run, service_settings
from .channels import DeliveryError, EmailSender, EventType, Message, NotBuilt, WebhookSender, delivery_id, webhook_body
from .database import must_exist
from .settings import NotifySettings, Subscriber, Webhook, read_settings
from .state import NotifyState, StateStore, open_store

Recipient = Webhook | Subscriber


@dataclass(slots=True)
class NotifyReport:
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    #: Messages that could not be built, as ``path:line: message`` (one per row or update and recipient).
    problems: list[Problem] = field(default_factory=list)
    #: Messages not sent because they could not be built (each stays pending).
    skipped: int = 0
    recorded: int = 0
    first_run: bool = False
    dry_run: bool = False
    would_send: list[str] = field(default_factory=list)
    #: Database subscribers: messages a ``would_send`` line stands for beyond the first, and failures not listed.
    more_would_send: int = 0
    more_failed: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.problems

    def lines(self) -> list[str]:
        """What the run did, in words that are true of a dry run too."""
        if self.first_run:
            if self.dry_run:
                return [
                    f"first run: would record {_updates(self.recorded)} as the starting point; "
                    "nothing sent, nothing recorded (dry run)"
                ]
            return [f"first run: recorded {_updates(self.recorded)} as the starting point; nothing sent"]
        out = [str(problem) for problem in sorted(set(self.problems))]
        out += [f"would send: {line}" for line in self.would_send]
        out += [f"sent: {line}" for line in self.sent]
        out += [f"failed: {line}" for line in self.failed]
        if self.more_failed:
            more = _messages(self.more_failed)
            out.append(f"failed: {more} more (each is in the table notify_failed of the subscriber database)")
        if self.recorded:
            verb = "would record" if self.dry_run else "recorded"
            out.append(f"{verb} without sending: {self.recorded} (older than max_age or before --since)")
        if self.dry_run:
            count = len(self.would_send) + self.more_would_send
            wanted = f"would send {_messages(count)}" if self.would_send else "nothing new to send"
            out.append(f"{wanted}; nothing sent, nothing recorded (dry run)")
        elif not self.sent and not self.failed and not self.problems:
            out.append("nothing new to send")
        unsent = len(self.failed) + self.more_failed + self.skipped
        if unsent and not self.dry_run:
            out.append(f"{unsent} deliveries failed; they stay pending for the next run")
        elif unsent:
            out.append(f"{_messages(unsent)} could not be built; they would stay pending")
        return out


def _updates(count: int) -> str:
    return f"{count} update{'' if count == 1 else 's'}"


def _messages(count: int) -> str:
    return f"{count} message{'' if count == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class Event:
    source: Source
    type: EventType

    @property
    def id(self) -> str:
        return self.source.id

    @property
    def time(self) -> datetime:
        return self.source.time

    @property
    def components(self) -> tuple[str, ...]:
        return self.source.item.component_ids


def collect_events(content: Content, now: datetime) -> list[Event]:
    events: list[Event] = []
    items: list[Incident | Maintenance] = [*content.incidents, *content.maintenance]
    for item in items:
        for source in sources_of(item, now):
            kind: EventType
            if source.step is not None:
                kind = "follow_up"
            else:
                kind = "incident_update" if item.kind == "incident" else "maintenance_update"
            events.append(Event(source, kind))
    events.sort(key=lambda e: (e.time, e.id))
    return events


class Wording:
    """Messages in each subscriber's language (falling back to the site's)."""

    def __init__(self, config: SiteConfig, content: Content, now: datetime, source: Path | None = None) -> None:
        self.config, self.content, self.now, self.source = config, content, now, source
        self._indexes: dict[str, FeedIndex] = {}

    def message(self, event: Event, language: str | None) -> Message:
        language = language or self.config.language
        if language not in self._indexes:
            translations = i18n.translations(language, self.source)  # the site's own catalogs first
            fmt = Formatter(self.config.zone, language, translations)
            self._indexes[language] = FeedIndex(self.config, self.content, fmt, translations, self.now)
        entry = self._indexes[language].entry(event.source)
        item = event.source.item
        item_status = item.status if isinstance(item, Incident) else item.state(self.now)
        return Message(
            event.id,
            event.type,
            event.time,
            item,
            entry.status,
            entry.title,
            entry.text,
            entry.html,
            entry.link,
            self.config.title,
            item_status,
        )


def wants(recipient: Recipient, event: Event) -> bool:
    """Every component chosen, an update about no component, or one about a chosen component."""
    return not recipient.components or not event.components or any(c in recipient.components for c in event.components)


def notify(
    source: Path,
    *,
    now: datetime,
    shown_source: str = ".",
    since: datetime | None = None,
    state: str | None = None,
    dry_run: bool = False,
    after_step: Callable[[str], None] | None = None,
) -> NotifyReport:
    """Send what is new; ``after_step`` is called after each send and save (for crash tests)."""
    builder = Builder(source, source / "site", shown_source=shown_source, cache_dir=None)
    loaded = builder.load(now)
    config = loaded.config.config
    if loaded.problems or config is None:
        raise BuildError(loaded.problems)
    raw = dict(config.raw_tables).get("notify")
    if not isinstance(raw, dict):
        raise UsageError("no [notify] table in inloop.toml: see the README's 'Notifications' section")
    settings = read_settings(raw, source, loaded.config.path, config.component_ids)
    publish = dict(config.raw_tables).get("publish")
    endpoint = publish.get("endpoint_url") if isinstance(publish, dict) else None
    region = publish.get("region") if isinstance(publish, dict) else None
    open_database: Callable[[], DatabaseRun] | None = None
    if settings.subscribers_database is not None:
        service = service_settings(config, source, loaded.config.path)
        must_exist(settings.subscribers_database, source)
        open_database = partial(open_database_run, settings, service, config, source, dry_run)
    store = open_store(state or settings.state, source, endpoint, region)
    report = NotifyReport(dry_run=dry_run)
    events = collect_events(loaded.content, now)
    if not dry_run:
        store.lock()
    try:
        content = loaded.content
        _run(store, settings, config, content, events, now, since, dry_run, report, after_step, open_database, source)
    finally:
        if not dry_run:
            store.unlock()
    return report


def _run(
    store: StateStore,
    settings: NotifySettings,
    config: SiteConfig,
    content: Content,
    events: list[Event],
    now: datetime,
    since: datetime | None,
    dry_run: bool,
    report: NotifyReport,
    after_step: Callable[[str], None] | None,
    open_database: Callable[[], DatabaseRun] | None = None,
    source: Path | None = None,
) -> None:
    saved = store.load()
    if saved is None:
        start = since or now
        saved = NotifyState(utc_stamp(start))
        for event in events:
            if event.time <= start:
                saved.events[event.id] = {"done": True, "recorded": "before the first run"}
                report.recorded += 1
        if since is None:
            report.first_run = True
            if not dry_run:
                store.save(saved)
            return
        report.recorded = 0
    state = saved
    recipients: list[Recipient] = [*settings.webhooks, *settings.subscribers]
    if settings.subscribers and settings.smtp is None:
        raise UsageError("[notify] has subscribers but no [notify.smtp] table to send them with")
    if open_database is not None and settings.smtp is None:
        raise UsageError("[notify] has subscribers but no [notify.smtp] table to send them with")
    wording = Wording(config, content, now, source)
    hooks = WebhookSender()
    mail = EmailSender(settings.smtp, config.base_url) if settings.smtp else None
    oldest = now - timedelta(hours=settings.max_age_hours)

    def save() -> None:
        if not dry_run:
            store.save(state)

    database = open_database() if open_database is not None else None
    try:
        if database is not None and not dry_run:
            database.database.tidy(lambda event_id: bool(state.events.get(event_id, {}).get("done")))
        for event in events:
            record: dict[str, Any] | None = state.events.get(event.id)
            if record is not None and record.get("done"):
                continue
            if record is None and (event.time < oldest or (since is not None and event.time < since)):
                state.events[event.id] = {"done": True, "recorded": "older than max_age or before --since"}
                report.recorded += 1
                save()
                continue
            if record is None and database is not None:
                record = state.events[event.id] = {"sent": {}}
                save()  # pending from now on: a rerun after a crash finishes it, however old it gets
            record = state.events.setdefault(event.id, {"sent": {}})
            sent: dict[str, str] = record.setdefault("sent", {})
            complete = True
            for recipient in recipients:
                if recipient.recipient in sent or any(key in sent for key in recipient.old_recipients):
                    continue
                if isinstance(recipient, Subscriber) and recipient.problem is not None:
                    # A row that cannot be written to fails on its own; the next run tries it again.
                    report.problems.append(recipient.problem)
                    report.skipped += 1
                    _mark_failed(record, recipient, recipient.problem.message)
                    complete = False
                    save()
                    continue
                if not wants(recipient, event):
                    continue
                label = f"{event.id} to {recipient.shown}"
                delivery = delivery_id(event.id, recipient.delivery_key)
                try:
                    prepared = _prepare(wording, hooks, mail, recipient, event, delivery)
                except NotBuilt as exc:
                    path, line = where(event)
                    report.problems.append(Problem(path, line, f"cannot send {label}: {exc}; skipped"))
                    report.skipped += 1
                    _mark_failed(record, recipient, str(exc))
                    complete = False
                    save()
                    continue
                if dry_run:
                    report.would_send.append(label)
                    continue
                error = _deliver(hooks, mail, recipient, prepared, delivery, settings)
                if error is not None:
                    report.failed.append(f"{label}: {error}")
                    _mark_failed(record, recipient, error)
                    complete = False
                    save()
                    continue
                if after_step:
                    after_step("sent")
                sent[recipient.recipient] = delivery
                _clear_failed(record, recipient)
                report.sent.append(label)
                save()
                if after_step:
                    after_step("saved")
            if database is not None:
                tally = database.send(event.id, event.components, partial(wording.message, event), where(event), sent)
                _count(report, tally, event.id, database.database.shown)
                complete = complete and tally.complete
            if complete and not dry_run:
                record["done"] = True
                save()
                if database is not None:
                    database.database.finish(event.id)
    finally:
        if mail is not None:
            mail.close()
        if database is not None:
            database.close()


def _count(report: NotifyReport, tally: Tally, event_id: str, shown: str) -> None:
    """One update's run to the database subscribers, in the report: counts, not a line per subscriber."""
    if tally.sent:
        report.sent.append(f"{event_id} to {tally.sent} subscriber{'' if tally.sent == 1 else 's'} of {shown}")
    if tally.would_send:
        plural = "" if tally.would_send == 1 else "s"
        report.would_send.append(f"{event_id} to {tally.would_send} subscriber{plural} of {shown}")
        report.more_would_send += tally.would_send - 1
    report.failed += tally.failed
    report.more_failed += tally.failed_count - len(tally.failed)
    report.problems += tally.problems
    report.skipped += tally.not_built
    if tally.stopped is not None:
        report.failed.append(f"{event_id} to the subscribers of {shown}: {tally.stopped}; the rest stay pending")


def where(event: Event) -> tuple[str, int]:
    """The file and line of the update (or prevention step) an event is about."""
    source = event.source
    if source.update is not None:
        return source.item.path, source.update.line
    if source.step is not None:
        return source.item.path, source.step.line
    return source.item.path, source.item.meta.line_of("title")


def _prepare(
    wording: Wording,
    hooks: WebhookSender,
    mail: EmailSender | None,
    recipient: Recipient,
    event: Event,
    delivery: str,
) -> bytes | EmailMessage:
    """The bytes or email for one recipient; :class:`NotBuilt` when it cannot be made.

    Anything the wording or the email package raises for one update's text
    is caught here, so that one bad update never stops the messages of the others.
    """
    language = recipient.language if isinstance(recipient, Subscriber) else None
    try:
        message = wording.message(event, language)
        if isinstance(recipient, Webhook):
            return webhook_body(message, recipient, delivery)
        assert mail is not None
        return mail.build(message, recipient, delivery)
    except NotBuilt:
        raise
    except Exception as exc:  # one unbuildable message must not wedge the run
        raise NotBuilt(f"cannot build the message: {type(exc).__name__}: {exc}") from None


def _mark_failed(record: dict[str, Any], recipient: Recipient, error: str) -> None:
    record.setdefault("failed", {})[recipient.recipient] = error  # as printed: webhook URLs already redacted


def _clear_failed(record: dict[str, Any], recipient: Recipient) -> None:
    failed = record.get("failed")
    if isinstance(failed, dict):
        failed.pop(recipient.recipient, None)
        if not failed:
            del record["failed"]


def _deliver(
    hooks: WebhookSender,
    mail: EmailSender | None,
    recipient: Recipient,
    prepared: bytes | EmailMessage,
    delivery: str,
    settings: NotifySettings,
) -> str | None:
    """Send with a few retries and growing pauses; the last error, or None."""
    error = "not sent"
    for attempt in range(max(1, settings.retries)):
        if attempt:
            time.sleep(settings.retry_seconds * (2 ** (attempt - 1)))
        try:
            if isinstance(recipient, Webhook):
                assert isinstance(prepared, bytes)
                hooks.send(prepared, recipient, delivery)
            else:
                assert mail is not None and isinstance(prepared, EmailMessage)
                mail.send(prepared)
            return None
        except DeliveryError as exc:
            error = str(exc)
    return error
