# mypy: allow-untyped-defs, allow-incomplete-defs
"""What waited for storage is written exactly once: a crash between storing spooled audit records and emptying
the spool (or a write whose commit succeeded though the client saw an error) adds no duplicate row, and a spool
left by a stopped service is drained at the next start's first store call, even with storage healthy."""

from __future__ import annotations

import service_fixtures
from service_fixtures import TEST_NOW
from sqlalchemy import func, select

from runtime.store import journal, readings
from runtime.store.models import Reading, SetpointAudit
from runtime.store.outbox import Outbox
from runtime.store.readings import ReadingIn
from runtime.store.records import SetpointAuditIn

any_store = service_fixtures.any_store
ENTRIES = [
    SetpointAuditIn("centre", "bat1", "setpoint_kw", 5.0, None, "plan"),
    SetpointAuditIn("centre", "bat2", "setpoint_kw", -3.0, None, "plan"),
]


def _count(store, model) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _spooled(tmp_path) -> Outbox:
    outbox = Outbox(tmp_path / "spool")
    ticket = ["a" * 32, "b" * 32]
    outbox.spool.intents(ticket, ENTRIES, TEST_NOW)
    outbox.spool.outcomes(ticket, [SetpointAuditIn(**{**e.__dict__, "applied": e.requested}) for e in ENTRIES])
    return outbox


def test_a_drain_repeated_after_a_crash_stores_each_audit_record_once(any_store, tmp_path):
    outbox = _spooled(tmp_path)
    # the crash: the records reached the database, the spool file was not removed
    assert journal.record_stamped_audit(any_store, outbox.spool._read()) == 2
    restarted = Outbox(tmp_path / "spool")  # the next start finds the same spool
    assert restarted.pending()["audit"] == 2
    journal.mark_job(any_store, "x", TEST_NOW, True)  # storage is healthy: nothing is failing
    assert restarted.flush(any_store, TEST_NOW)
    assert _count(any_store, SetpointAudit) == 2
    assert restarted.pending()["audit"] == 0
    assert not restarted.spool.path.exists()
    applied = sorted(a.applied or 0.0 for a in journal.list_audit(any_store))
    assert applied == [-3.0, 5.0]  # the outcomes survived, once


def test_buffered_readings_already_stored_are_not_stored_twice(any_store):
    rows = [ReadingIn(TEST_NOW, "centre", "m1", "power_kw", 4.0), ReadingIn(TEST_NOW, "office", "m1", "power_kw", 2.0)]
    readings.write_readings(any_store, rows[:1])  # committed, yet the caller kept them all buffered
    assert readings.write_buffered_readings(any_store, rows) == 1
    assert readings.write_buffered_readings(any_store, rows) == 0
    assert _count(any_store, Reading) == 2
