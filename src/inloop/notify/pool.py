"""A pool of SMTP connections: several senders, each with its own connection, fed by a bounded queue.

smtplib blocks, so each sender is a thread that owns one connection and
sends message after message over it (``messages_per_connection``, then a
fresh one).  A refused message leaves the connection usable (smtplib sends
RSET); a dropped connection is reopened.  A message is retried with growing
pauses on a temporary failure (4xx, a lost connection), and not retried on a
permanent one (5xx): it stays pending for the next run either way.  When no
connection can be opened at all, the pool is *broken*: the senders stop
trying, and every message still queued comes back with that error, so a
run against a server that is down ends in seconds, not hours.

Messages are handed over in chunks of :data:`CHUNK`, and the queue holds
at most a few chunks per connection, so memory stays flat however many
subscribers there are; outcomes come back through
:meth:`SmtpPool.finished` in the order the server acknowledged them.
"""

from __future__ import annotations

import queue
import smtplib
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from .bulkmail import Outgoing
from .channels import DeliveryError, open_connection
from .settings import Smtp

#: Messages handed to a sender at once: one queue operation (two locks) per chunk, not per message.
CHUNK = 16
#: Chunks waiting for a sender, per connection.
QUEUE_PER_CONNECTION = 4


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one message: ``error`` None means the server accepted it."""

    item: Outgoing
    error: str | None


class _Sender:
    """One connection, used by one thread only."""

    def __init__(self, pool: SmtpPool) -> None:
        self.pool = pool
        self.client: smtplib.SMTP | None = None
        self.sent_here = 0

    def connect(self) -> smtplib.SMTP:
        if self.client is None:
            self.client = open_connection(self.pool.smtp)
            self.sent_here = 0
            self.pool.count_connection()
        return self.client

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (smtplib.SMTPException, OSError):
                self.client.close()
            self.client = None

    def drop(self) -> None:
        """Forget a connection that failed, without a polite QUIT."""
        if self.client is not None:
            self.client.close()
            self.client = None

    def deliver(self, item: Outgoing) -> str | None:
        """Send one message with retries; None, or the last error."""
        pool = self.pool
        error = "not sent"
        for attempt in range(pool.attempts):
            if pool.broken is not None:
                return pool.broken
            if attempt:
                time.sleep(pool.retry_seconds * (2 ** (attempt - 1)))
            fresh = self.client is None
            try:
                client = self.connect()
            except DeliveryError as exc:
                error = str(exc)
                pool.connect_failed(error)
                continue
            if fresh:
                pool.connect_worked()
            options = ("SMTPUTF8", "BODY=8BITMIME") if item.international else ()
            try:
                client.sendmail(pool.envelope_sender, [item.to], item.data, options)
            except smtplib.SMTPRecipientsRefused as exc:
                code, said = next(iter(exc.recipients.values()), (0, b""))
                error, permanent = _answer(code, said)
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                error, permanent = _answer(exc.smtp_code, exc.smtp_error)
            except smtplib.SMTPNotSupportedError as exc:  # SMTPUTF8 for a non-ASCII address
                error, permanent = f"SMTP: {exc}", True
            except (smtplib.SMTPException, OSError, ValueError) as exc:
                self.drop()
                error, permanent = f"SMTP: {exc}", False
            else:
                self.sent_here += 1
                if self.sent_here >= pool.smtp.messages_per_connection:
                    self.close()
                return None
            if self.client is not None and self.client.sock is None:  # smtplib closed it (421)
                self.client = None
            if permanent:
                return error
        return error


def _answer(code: int, said: bytes | str) -> tuple[str, bool]:
    text = said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)
    return f"SMTP {code} {' '.join(text.split())}", 500 <= code < 600


class SmtpPool:
    """``smtp.connections`` sender threads; :meth:`submit` blocks while the queue is full."""

    def __init__(self, smtp: Smtp, envelope_sender: str, *, attempts: int = 3, retry_seconds: float = 1.0) -> None:
        self.smtp = smtp
        self.envelope_sender = envelope_sender
        self.attempts = max(1, attempts)
        self.retry_seconds = retry_seconds
        self.size = max(1, smtp.connections)
        #: Why no connection can be opened (after ``attempts`` failures in a row), or None.
        self.broken: str | None = None
        self.connections_opened = 0
        self._connect_failures = 0
        self._lock = threading.Lock()
        self._jobs: queue.Queue[list[Outgoing] | None] = queue.Queue(maxsize=self.size * QUEUE_PER_CONNECTION)
        self._done: queue.SimpleQueue[list[Outcome]] = queue.SimpleQueue()
        self._chunk: list[Outgoing] = []
        self._executor = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="inloop-smtp")
        self._workers: list[Future[None]] = [self._executor.submit(self._work) for _ in range(self.size)]
        self._closed = False

    # -- called by the senders ---------------------------------------------------------------

    def count_connection(self) -> None:
        with self._lock:
            self.connections_opened += 1

    def connect_failed(self, error: str) -> None:
        with self._lock:
            self._connect_failures += 1
            # never connected and each try failed, or every sender failed its tries since the last success
            never = self.connections_opened == 0 and self._connect_failures >= self.attempts
            if never or self._connect_failures >= self.attempts * self.size:
                self.broken = error

    def connect_worked(self) -> None:
        with self._lock:
            self._connect_failures = 0

    def _work(self) -> None:
        sender = _Sender(self)
        try:
            while True:
                chunk = self._jobs.get()
                try:
                    if chunk is None:
                        return
                    outcomes = []
                    for item in chunk:
                        try:
                            error = sender.deliver(item)
                        except Exception as exc:  # never lose a message to a bug: it is reported and stays pending
                            sender.drop()
                            error = f"{type(exc).__name__}: {exc}"
                        outcomes.append(Outcome(item, error))
                    self._done.put(outcomes)
                finally:
                    self._jobs.task_done()
        finally:
            sender.close()

    # -- called by the run ------------------------------------------------------------------------

    def submit(self, item: Outgoing) -> None:
        """Queue one message (handed over by the chunk); blocks while every sender is busy and the queue is full."""
        self._chunk.append(item)
        if len(self._chunk) >= CHUNK:
            self._hand_over()

    def _hand_over(self) -> None:
        chunk, self._chunk = self._chunk, []
        if not chunk:
            return
        while True:
            try:
                self._jobs.put(chunk, timeout=0.5)
                return
            except queue.Full:
                if all(worker.done() for worker in self._workers):
                    raise RuntimeError("every SMTP sender thread stopped") from None

    def finished(self) -> list[Outcome]:
        """The outcomes that came back since the last call, without waiting."""
        found: list[Outcome] = []
        while True:
            try:
                found += self._done.get_nowait()
            except queue.Empty:
                return found

    def wait(self) -> list[Outcome]:
        """Wait until every queued message has an outcome; the outcomes not yet taken."""
        self._hand_over()
        self._jobs.join()
        return self.finished()

    def close(self) -> None:
        """Let the senders finish what is queued, say QUIT, and stop."""
        if self._closed:
            return
        self._closed = True
        self._chunk = []  # never handed over: neither sent nor recorded, so still pending
        for _ in self._workers:
            self._jobs.put(None)
        self._executor.shutdown(wait=True)
        for worker in self._workers:
            worker.result()
