# mypy: allow-untyped-defs, allow-incomplete-defs
"""Storage faults seen and survived, on real failures (SQLite made unwritable, PostgreSQL refusing connections):
the loop keeps polling and dispatching from memory, buffers readings, events and audit records and writes them
all once storage returns; no set-point reaches a device before its audit record is stored or spooled."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import service_fixtures
from service_fixtures import PG_URL, TEST_NOW, FakeTelemetry, make_service
from sqlalchemy import func, select
from storage_faults import postgres_down, sqlite_unwritable

from runtime.loop.dispatch import dispatch
from runtime.loop.optimise import optimise
from runtime.loop.poll import poll
from runtime.store import journal, readings
from runtime.store.models import SetpointAudit
from runtime.store.outbox import Outbox

any_store = service_fixtures.any_store
STEP = dt.timedelta(seconds=10)


def _down(store, tmp_path: Path):
    if store.backend == "sqlite":
        return sqlite_unwritable(Path(store.engine.url.database or ""))
    assert PG_URL
    return postgres_down(PG_URL)


def _audit_rows(store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(SetpointAudit)) or 0)


class AuditWitness:
    """Fake devices (FakeTelemetry) that check, at each write, that its audit record is already in the database
    or the spool."""

    def __init__(self, svc_ref: list[Any]) -> None:
        self.devices = FakeTelemetry()
        self.writes = self.devices.writes
        self.svc_ref = svc_ref
        self.unaudited: list[tuple[str, str]] = []

    async def poll(self, now):
        return await self.devices.poll(now)

    async def write(self, facility_id, device_id, kind, value_kw, actor, dry_run):
        svc = self.svc_ref[0]
        spooled = svc.outbox.spool.path.exists() and device_id in svc.outbox.spool.path.read_text()
        stored = (
            any(
                (a.facility_id, a.device_id, a.requested) == (facility_id, device_id, value_kw)
                for a in journal.list_audit(svc.store, limit=50)
            )
            if not svc.outbox.failing
            else False
        )
        if not (spooled or stored):
            self.unaudited.append((facility_id, device_id))
        return await self.devices.write(facility_id, device_id, kind, value_kw, actor, dry_run)


@pytest.fixture
def svc(any_store, tmp_path):
    ref: list[Any] = []
    service = make_service(any_store, telemetry=AuditWitness(ref))
    ref.append(service)
    spool = tmp_path / "spool"
    spool.mkdir()  # beside the database's folder, created before the fault (the fault freezes the folder)
    service.outbox = Outbox(spool, max_rows=1000, max_age_s=3600)
    return service


async def test_the_loop_survives_storage_failing_and_loses_nothing(svc, tmp_path):
    store = svc.store
    await poll(svc, TEST_NOW)
    optimise(svc, TEST_NOW)
    sent_ok = await dispatch(svc, TEST_NOW)
    planned = {(a.facility_id, a.device_id): a.requested for a in sent_ok}
    rows_before, audit_before = readings.count_readings(store), _audit_rows(store)
    per_poll = rows_before
    with _down(store, tmp_path):
        for i in range(1, 4):
            assert await poll(svc, TEST_NOW + i * STEP) == per_poll  # polled, not stored
        svc.telemetry.writes.clear()
        during = await dispatch(svc, TEST_NOW + 4 * STEP)
        assert svc.outbox.failing
        assert svc.outbox.check(store, TEST_NOW + 4 * STEP) is not None
        waiting = svc.outbox.pending()
        assert waiting["readings"] == 3 * per_poll
        assert waiting["audit"] == len(during)
    # the plan in force, from memory: the same set-points reached the devices, audited in the spool first
    assert {(a.facility_id, a.device_id): a.requested for a in during} == planned
    assert svc.telemetry.writes == planned
    assert all(a.ok for a in during)
    # storage is back: the next poll writes everything that waited, nothing lost
    await poll(svc, TEST_NOW + 5 * STEP)
    assert not svc.outbox.failing
    assert svc.outbox.pending() == {"readings": 0, "events": 0, "audit": 0, "audit_outcomes": 0}
    assert readings.count_readings(store) == rows_before + 4 * per_poll
    assert _audit_rows(store) == audit_before + len(during)
    recovered = journal.list_audit(store, limit=len(during))
    assert all(r.ok and "outcome unknown" not in r.message for r in recovered)
    assert all(r.ts == TEST_NOW + 4 * STEP for r in recovered)
    kinds = [e.kind for e in journal.list_events(store)]
    assert "storage_failed" in kinds
    assert "storage_recovered" in kinds
    assert svc.outbox.check(store, TEST_NOW + 5 * STEP) is None
    assert svc.telemetry.unaudited == []


async def test_no_set_point_without_its_audit_record(svc, tmp_path):
    """Database and spool both unwritable: nothing is written to the devices, and an alarm waits."""
    await poll(svc, TEST_NOW)
    optimise(svc, TEST_NOW)
    spool_dir = svc.outbox.spool.path.parent
    with _down(svc.store, tmp_path), sqlite_unwritable(spool_dir / "none"):
        assert await dispatch(svc, TEST_NOW + STEP) == []
        assert svc.telemetry.writes == {}
    kinds = [e.kind for e in svc.outbox.events]
    assert "dispatch_held" in kinds


async def test_each_write_is_audited_before_it_is_made(svc):
    await poll(svc, TEST_NOW)
    optimise(svc, TEST_NOW)
    audit = await dispatch(svc, TEST_NOW)
    assert audit
    assert svc.telemetry.unaudited == []  # on main the audit was written after every write
    stored = journal.list_audit(svc.store, limit=len(audit))
    assert all(r.ok for r in stored)  # the outcome completed the record stored before the write
