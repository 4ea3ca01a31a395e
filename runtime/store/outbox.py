"""Storage faults survived: what the loop could not store is kept and written once the database returns.

While the database fails (``runtime.store.db.STORAGE_ERRORS``), readings are buffered in memory (bounded by
``buffer_max_rows`` rows and ``buffer_max_s`` seconds; what falls out is counted and reported), events and job
marks are kept in memory, and set-point audit records go to the durable spool (``runtime.store.spool``) before
the write they record. Every later store call first tries to flush; on success a 'storage_recovered' event
says how long it failed and what was written. Times tz-aware UTC.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from runtime.store import journal, readings
from runtime.store.db import STORAGE_ERRORS, Store
from runtime.store.readings import ReadingIn
from runtime.store.records import EventDetails, SetpointAuditIn
from runtime.store.spool import AuditSpool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingEvent:
    """An event to record once storage returns."""

    kind: str
    message: str
    severity: str
    facility_id: str | None
    details: EventDetails | None
    ts: dt.datetime


@dataclass
class AuditTicket:
    """Where the audit records of one batch of writes went: row ids in the database, or spool uids."""

    ids: list[int] = field(default_factory=list)
    uids: list[str] = field(default_factory=list)


class Outbox:
    """The service's storage state and what waits for storage (thread-safe)."""

    def __init__(self, spool_dir: Path, max_rows: int = 200_000, max_age_s: float = 6 * 3600.0) -> None:
        self.spool = AuditSpool(spool_dir)
        self.max_rows, self.max_age = max_rows, dt.timedelta(seconds=max_age_s)
        self.readings: deque[ReadingIn] = deque()
        self.events: deque[PendingEvent] = deque()  # appended without the lock too (keep_event)
        self.completions: list[tuple[list[int], list[SetpointAuditIn]]] = []
        self.jobs: dict[str, tuple[dt.datetime, bool, str]] = {}
        self.failing_since: dt.datetime | None = None
        self.last_error = ""
        self.dropped = 0
        self._lock = threading.RLock()
        self._probe_lock = threading.Lock()
        self._probed_at: float | None = None  # time.monotonic() of the last probe
        self.probe_every_s = 1.0
        """Seconds between storage probes of /health (a write each)."""

    @property
    def failing(self) -> bool:
        """True while the last store call failed."""
        return self.failing_since is not None

    def fail(self, exc: Exception, now: dt.datetime) -> None:
        """Note a storage failure at `now` (the first one of a spell queues a 'storage_failed' alarm)."""
        with self._lock:
            self.last_error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            if self.failing_since is None:
                self.failing_since = now
                log.error("storage failed: %s", self.last_error)
                text = f"storage failed ({self.last_error}); the loop runs from memory and buffers what it stores"
                self.events.append(PendingEvent("storage_failed", text, "alarm", None, None, now))

    def probe_due(self) -> bool:
        """True if :meth:`check` would write a probe now (else it answers from the last one)."""
        tick = time.monotonic()
        return self.failing or self._probed_at is None or tick - self._probed_at >= self.probe_every_s

    def status(self) -> str | None:
        """The storage error as last seen (None: working), without touching the database."""
        return (self.last_error or "storage failing") if self.failing else None

    def probe_age_s(self) -> float | None:
        """Seconds since the last storage probe (None: never probed)."""
        return None if self._probed_at is None else time.monotonic() - self._probed_at

    def check(self, store: Store, now: dt.datetime) -> str | None:
        """Is storage writable? Flushes what waits and writes a probe mark (job 'health_probe'), at most every
        ``probe_every_s`` seconds (cached in between, and while another thread probes); the error text, or None."""
        if not self._probe_lock.acquire(blocking=False):
            return self.last_error or None
        try:
            tick = time.monotonic()
            if self._probed_at is None or tick - self._probed_at >= self.probe_every_s or self.failing:
                self._probed_at = tick
                self.mark_job(store, "health_probe", now, True, f"storage probe {tick:.6f}")  # always a write
            return (self.last_error or "storage failing") if self.failing else None
        finally:
            self._probe_lock.release()

    def pending(self) -> dict[str, int]:
        """What waits for storage: readings, events, audit records (spooled), audit outcomes. Counts read without
        the outbox's lock (a flush may hold it for a while), so /health never waits for the database."""
        return {
            "readings": len(self.readings),
            "events": len(self.events),
            "audit": self.spool.pending(),
            "audit_outcomes": len(self.completions),
        }

    def flush(self, store: Store, now: dt.datetime) -> bool:
        """Write what waits (spooled audit, outcomes, events, readings, job marks); True if storage works."""
        with self._lock:
            idle = not (self.readings or self.events or self.completions or self.jobs or self.spool.pending())
            if not self.failing and idle:  # (a spool left by a stopped service is drained at the first call)
                return True
            try:
                return self._flush(store, now)
            except STORAGE_ERRORS as exc:
                self.fail(exc, now)
                return False

    def _flush(self, store: Store, now: dt.datetime) -> bool:
        audit = self.spool.drain(lambda records: journal.record_stamped_audit(store, records))
        while self.completions:
            journal.complete_audit(store, *self.completions[0])
            self.completions.pop(0)
        while self.events:
            e = self.events[0]
            journal.raise_event(store, e.kind, e.message, e.severity, e.facility_id, e.details, e.ts)
            self.events.popleft()
        rows = len(self.readings)
        if self.readings:  # idempotent: rows a failed-looking write did store are not stored twice
            readings.write_buffered_readings(store, list(self.readings))
            self.readings.clear()
        for job, (when, ok, message) in list(self.jobs.items()):
            journal.mark_job(store, job, when, ok, message)
            del self.jobs[job]
        if self.failing_since is not None:
            lost = f", {self.dropped} readings dropped beyond the buffer's bounds" if self.dropped else ""
            text = (
                f"storage back after {(now - self.failing_since).total_seconds():.0f} s; wrote {rows} buffered "
                f"readings and {audit} spooled audit records{lost}"
            )
            journal.raise_event(store, "storage_recovered", text, "warning" if self.dropped else "info", ts=now)
            log.warning(text)
            self.failing_since, self.last_error, self.dropped = None, "", 0
        return True

    def write_readings(self, store: Store, rows: list[ReadingIn], now: dt.datetime) -> int:
        """Store `rows` (after what waits), else buffer them; returns the rows stored now."""
        with self._lock:
            if self.flush(store, now):
                try:
                    return readings.write_readings(store, rows)
                except STORAGE_ERRORS as exc:
                    self.fail(exc, now)
            self.readings.extend(rows)
            self._bound(now)
            return 0

    def _bound(self, now: dt.datetime) -> None:
        oldest = now - self.max_age
        while self.readings and (len(self.readings) > self.max_rows or self.readings[0].ts < oldest):
            self.readings.popleft()
            self.dropped += 1

    def event(
        self,
        store: Store,
        kind: str,
        message: str,
        severity: str = "warning",
        facility_id: str | None = None,
        details: EventDetails | None = None,
        ts: dt.datetime | None = None,
    ) -> None:
        """Record an event now, or once storage returns."""
        when = ts or dt.datetime.now(dt.UTC)
        with self._lock:
            if self.flush(store, when):
                try:
                    journal.raise_event(store, kind, message, severity, facility_id, details, when)
                    return
                except STORAGE_ERRORS as exc:
                    self.fail(exc, when)
            self.events.append(PendingEvent(kind, message, severity, facility_id, details, when))

    def keep_event(self, kind: str, message: str, severity: str, facility_id: str | None, ts: dt.datetime) -> None:
        """Keep an event for the next flush without touching the database or waiting for the outbox's lock (for
        the event loop, e.g. a request refused because storage fails)."""
        self.events.append(PendingEvent(kind, message, severity, facility_id, None, ts))

    def mark_job(self, store: Store, job: str, when: dt.datetime, ok: bool, message: str = "") -> None:
        """Record a job run now, or its latest run once storage returns."""
        with self._lock:
            if self.flush(store, when):
                try:
                    journal.mark_job(store, job, when, ok, message)
                    return
                except STORAGE_ERRORS as exc:
                    self.fail(exc, when)
            self.jobs[job] = (when, ok, message)

    def audit_before(self, store: Store, entries: list[SetpointAuditIn], ts: dt.datetime) -> AuditTicket | None:
        """Store the audit records of writes about to be made, else spool them durably; None if neither worked
        (then the writes must not be made)."""
        with self._lock:
            if self.flush(store, ts):
                try:
                    return AuditTicket(ids=journal.record_audit_ids(store, entries, ts))
                except STORAGE_ERRORS as exc:
                    self.fail(exc, ts)
            uids = [uuid.uuid4().hex for _ in entries]
            try:
                self.spool.intents(uids, entries, ts)
            except OSError:
                log.exception("audit spool %s unwritable: set-points held", self.spool.path)
                return None
            return AuditTicket(uids=uids)

    def audit_after(self, store: Store, ticket: AuditTicket, entries: list[SetpointAuditIn], now: dt.datetime) -> None:
        """Record the outcomes of the writes of `ticket` (in the database, the spool, or later)."""
        with self._lock:
            if ticket.uids:
                try:
                    self.spool.outcomes(ticket.uids, entries)
                except OSError:
                    log.exception("audit spool %s: outcomes not recorded", self.spool.path)
                return
            try:
                journal.complete_audit(store, ticket.ids, entries)
            except STORAGE_ERRORS as exc:
                self.fail(exc, now)
                self.completions.append((ticket.ids, entries))
