"""One update to every database subscriber it concerns: pages in, the SMTP pool out, the journal in batches.

At least once, never skipped: a subscriber is written to ``notify_sent``
only after the server accepted its message, in batches of
:data:`BATCH` (or every :data:`FLUSH_SECONDS`), so a crash, even SIGKILL,
repeats at most the batch not yet written, with the same delivery ids.
Each update is finished (every acknowledgement written) before the next
starts, so a subscriber gets an incident's updates in their order.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError

from inloop.read.config import CONFIG_NAME, TomlLines

from .. import i18n
from ..errors import BuildError, Problem
from ..model import SiteConfig
from ..subscriptions.mail import mask
from ..subscriptions.settings import SubscriptionSettings, read_subscription_settings
from .bulkmail import BulkTemplate, Outgoing, Personal
from .channels import Message, NotBuilt, delivery_id
from .database import DatabaseSubscriber, SubscriberDatabase
from .pool import CHUNK, Outcome, SmtpPool
from .settings import NotifySettings, Smtp

#: Acknowledged messages written to the journal at once, at the latest.
BATCH = 500
FLUSH_SECONDS = 1.0
#: Failed subscribers listed by name per update; the rest are counted.
SHOWN_FAILURES = 20


@dataclass(slots=True)
class Tally:
    """What one update's run to the database subscribers did."""

    sent: int = 0
    failed: list[str] = field(default_factory=list)
    failed_count: int = 0
    not_built: int = 0
    would_send: int = 0
    problems: list[Problem] = field(default_factory=list)
    #: Set when the SMTP server could not be reached: the rest stays pending.
    stopped: str | None = None

    @property
    def complete(self) -> bool:
        return not self.failed_count and not self.not_built and self.stopped is None


class _Journal:
    """Acknowledgements on their way to ``notify_sent`` and ``notify_failed``."""

    def __init__(self, database: SubscriberDatabase, event_id: str, clear: bool, tally: Tally, label: str) -> None:
        self.database, self.event_id, self.clear, self.tally, self.label = database, event_id, clear, tally, label
        self.sent: list[tuple[str, str]] = []
        self.failed: list[tuple[str, str]] = []
        self.flushed = time.monotonic()

    def fail(self, key: str, address: str, error: str) -> None:
        self.failed.append((key, error))
        self.tally.failed_count += 1
        if len(self.tally.failed) < SHOWN_FAILURES:
            self.tally.failed.append(f"{self.label} to {mask(address)} (subscriber {key}): {error}")

    def take(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            item = outcome.item
            if outcome.error is None:
                self.sent.append((item.key, item.delivery))
                self.tally.sent += 1
            else:
                self.fail(item.key, item.to, outcome.error)
        if len(self.sent) + len(self.failed) >= BATCH or time.monotonic() - self.flushed >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        self.database.record(self.event_id, self.sent, self.failed, int(time.time()), self.clear)
        self.sent, self.failed = [], []
        self.flushed = time.monotonic()


class DatabaseRun:
    """The database subscribers of one ``inloop notify`` run: one pool and one template per (update, language)."""

    def __init__(
        self,
        database: SubscriberDatabase,
        settings: NotifySettings,
        smtp: Smtp,
        service_url: str,
        base_url: str,
        site_language: str,
        source: Path,
        dry_run: bool,
    ) -> None:
        from ..subscriptions.app import links_of

        self.database = database
        self.smtp = smtp
        self.service_url = service_url
        self.base_host = urlsplit(base_url).hostname or "inloop.invalid"
        self.site_language = site_language
        self.source = source
        self.dry_run = dry_run
        self.links_of = links_of
        self.pool: SmtpPool | None = None
        if not dry_run:
            envelope = BulkTemplate.envelope_of(smtp)
            self.pool = SmtpPool(smtp, envelope, attempts=settings.retries, retry_seconds=settings.retry_seconds)

    def close(self) -> None:
        try:
            if self.pool is not None:
                self.pool.close()
        finally:
            self.database.close()

    def send(
        self,
        event_id: str,
        components: tuple[str, ...],
        message_in: Callable[[str], Message],
        where: tuple[str, int],
        already: Collection[str] = (),
    ) -> Tally:
        """Send one update; ``message_in(language)`` words it, ``already`` holds delivery keys the state has as sent."""
        tally = Tally()
        pool = self.pool
        if pool is not None and pool.broken is not None:
            tally.stopped = pool.broken
            return tally
        journal = _Journal(self.database, event_id, self.database.has_failures(event_id), tally, event_id)
        templates: dict[str, BulkTemplate | None] = {}
        submitted = 0
        now = int(time.time())
        for page in self.database.pages(event_id, now):
            for subscriber in page:
                if not _wants(subscriber, components) or subscriber.delivery_key in already:
                    continue
                template = self._template(subscriber.language, templates, message_in, tally, event_id, where)
                if template is None:
                    tally.not_built += 1
                    continue
                delivery = delivery_id(event_id, subscriber.delivery_key)
                manage, unsubscribe = self.links_of(
                    self.service_url, self.database.secret, subscriber.id, subscriber.secret
                )
                try:
                    item = template.render(subscriber.id, Personal(subscriber.email, delivery, manage, unsubscribe))
                except NotBuilt as exc:
                    if not self.dry_run:
                        journal.fail(subscriber.id, subscriber.email, str(exc))
                    else:
                        tally.not_built += 1
                    continue
                if pool is None:
                    tally.would_send += 1
                    continue
                if pool.broken is not None:
                    break
                pool.submit(item)
                submitted += 1
                if submitted % CHUNK == 0:
                    journal.take(pool.finished())
            if pool is not None and pool.broken is not None:
                break
        if pool is not None:
            journal.take(pool.wait())
            journal.flush()
            if pool.broken is not None:
                tally.stopped = pool.broken
        return tally

    def _template(
        self,
        language: str,
        templates: dict[str, BulkTemplate | None],
        message_in: Callable[[str], Message],
        tally: Tally,
        event_id: str,
        where: tuple[str, int],
    ) -> BulkTemplate | None:
        if language not in templates and language != self.site_language and not _known(language):
            # a tag no locale exists for (the service offers none, but a row may have been edited): the site's
            templates[language] = self._template(self.site_language, templates, message_in, tally, event_id, where)
        language = language or self.site_language
        if language not in templates:
            try:
                message = message_in(language)
                translations = i18n.translations(language, self.source)
                templates[language] = BulkTemplate(message, self.smtp, self.base_host, translations)
            except Exception as exc:  # one unbuildable update must not wedge the run
                reason = (
                    str(exc) if isinstance(exc, NotBuilt) else f"cannot build the message: {type(exc).__name__}: {exc}"
                )
                templates[language] = None
                tally.problems.append(
                    Problem(
                        where[0],
                        where[1],
                        f"cannot send {event_id} to the subscribers in '{language}': {reason}; skipped",
                    )
                )
        return templates[language]


def _known(language: str) -> bool:
    """A language tag Babel has a locale for (``de``, ``pt-BR``), so that dates and numbers can be worded in it."""
    try:
        Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True


def service_settings(config: SiteConfig, source: Path, shown_config: str) -> SubscriptionSettings:
    """``[subscriptions]``, which must give the service's ``url``: every email links to it."""
    text = (source / CONFIG_NAME).read_text("utf-8")
    raw = dict(config.raw_tables).get("subscriptions")
    settings = read_subscription_settings(raw, shown_config, text, config.language, source)
    if settings.url is None:
        line = TomlLines(text).line("notify", "subscribers")
        message = (
            "[notify] subscribers is the subscription service's database, whose emails carry each subscriber's "
            "manage and one-click unsubscribe links: set [subscriptions] url to the address the service is reached at"
        )
        raise BuildError([Problem(shown_config, line, message)])
    return settings


def open_database_run(
    settings: NotifySettings, service: SubscriptionSettings, config: SiteConfig, source: Path, dry_run: bool
) -> DatabaseRun:
    """The database and the pool of one run (the database is upgraded to the current schema first)."""
    assert settings.subscribers_database is not None and settings.smtp is not None and service.url is not None
    database = SubscriberDatabase(settings.subscribers_database, source, service, os.environ)
    try:
        return DatabaseRun(
            database, settings, settings.smtp, service.url, config.base_url, config.language, source, dry_run
        )
    except BaseException:
        database.close()
        raise


def _wants(subscriber: DatabaseSubscriber, components: tuple[str, ...]) -> bool:
    """Every component chosen, an update about no component, or one the subscriber chose."""
    return not subscriber.components or not components or any(c in subscriber.components for c in components)


__all__ = ["BATCH", "DatabaseRun", "Outgoing", "Tally"]
