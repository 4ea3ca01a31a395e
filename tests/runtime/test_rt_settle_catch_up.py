# mypy: allow-untyped-defs, allow-incomplete-defs
"""Every slot missed while the service was stopped is settled after a restart (kWh and JPY by hand)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import service_fixtures
from service_fixtures import make_service

from runtime.loop.scheduler import LoopScheduler
from runtime.loop.settle import missed_slots, settle, settle_missed
from runtime.store import journal, plans, readings
from runtime.store.readings import ReadingIn
from runtime.store.records import PlanSlotIn

any_store = service_fixtures.any_store
T0 = pd.Timestamp("2024-06-10 12:00", tz="Asia/Tokyo")
SLOTS = [(T0 + i * pd.Timedelta("30min")).to_pydatetime() for i in range(4)]


def _seed(svc) -> None:
    """A plan of 30 kW per slot made 2 h before, and meters at 15 + 25 kW through four slots."""
    plans.save_plan(
        svc.store,
        plans.PlanIn(
            SLOTS[0],
            SLOTS[-1] + dt.timedelta(minutes=30),
            "optimal",
            [PlanSlotIn(t, plant_kw=30.0, price_jpy_per_kwh=10.0) for t in SLOTS],
            status="approved",
            created_at=SLOTS[0] - dt.timedelta(hours=2),
        ),
    )
    rows = [
        ReadingIn(t + dt.timedelta(minutes=m), f, "m1", "power_kw", kw)
        for t in SLOTS
        for m in (0, 10, 20)
        for f, kw in (("centre", 15.0), ("office", 25.0))
    ]
    readings.write_readings(svc.store, rows)


def test_a_restart_settles_every_slot_missed_while_stopped(any_store):
    svc = make_service(any_store)
    _seed(svc)
    first_run = SLOTS[1] + dt.timedelta(minutes=1)
    assert settle(svc, SLOTS[0]) is not None  # the service settled slot 0 at 12:31, then stopped
    journal.mark_job(any_store, "settle", first_run, True)
    restart = SLOTS[3] + dt.timedelta(minutes=35)  # back at 14:05: slots 1, 2 and 3 were never settled
    assert missed_slots(svc, restart) == SLOTS[1:]
    done = settle_missed(svc, restart)
    assert [i.slot_start for i in done] == SLOTS[1:]
    # 40 kW metered vs 30 kW planned for 0.5 h: +5 kWh short, paid at min(10 + 5 spread, cap 200) JPY/kWh
    assert {(i.planned_kwh, i.actual_kwh, i.imbalance_kwh) for i in done} == {(15.0, 20.0, 5.0)}
    assert [i.cost_jpy for i in done] == pytest.approx([5.0 * 15.0] * 3)
    assert missed_slots(svc, restart) == []  # nothing settled twice
    stored = journal.list_imbalances(any_store, SLOTS[0], restart)
    assert [i.slot_start for i in stored] == SLOTS


async def test_the_scheduler_start_catches_up_settlement(sqlite_store):
    svc = make_service(sqlite_store)
    scheduler = LoopScheduler(svc)
    scheduler.start()
    try:
        ids = {j.id for j in scheduler.scheduler.get_jobs()}
        assert "catch_up_settle" in ids
    finally:
        scheduler.shutdown()


sqlite_store = service_fixtures.sqlite_store
