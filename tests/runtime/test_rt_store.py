# mypy: allow-untyped-defs, allow-incomplete-defs
"""Storage on SQLite and PostgreSQL: readings, latest values, aggregates, retention, plans, journal, restart."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import service_fixtures
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from runtime.store import journal, plans, readings
from runtime.store.db import open_store
from runtime.store.models import Base
from runtime.store.readings import ReadingIn
from runtime.store.records import ForecastRunSummary, PlanInputsSummary, PlanSlotIn, SetpointAuditIn, SlackEntry

any_store = service_fixtures.any_store
T0 = dt.datetime(2025, 6, 2, 0, 0, tzinfo=dt.UTC)


def _series(n: int, start: dt.datetime = T0, step_s: int = 60) -> list[ReadingIn]:
    return [ReadingIn(start + dt.timedelta(seconds=step_s * i), "centre", "bat1", "p_kw", float(i)) for i in range(n)]


def test_migration_matches_models(any_store):
    with any_store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_batched_insert_and_latest_values(any_store):
    n = readings.write_readings(any_store, _series(95), batch=10)
    assert n == 95
    assert readings.count_readings(any_store) == 95
    latest = readings.latest_values(any_store, "centre")
    assert len(latest) == 1
    assert latest[0].value == 94.0
    assert latest[0].ts == T0 + dt.timedelta(minutes=94)
    assert latest[0].ts.tzinfo is not None
    # an older reading arriving late does not replace the newest value
    readings.write_readings(any_store, [ReadingIn(T0, "centre", "bat1", "p_kw", -5.0)])
    assert readings.latest_values(any_store, "centre")[0].value == 94.0


def test_naive_timestamp_refused(any_store):
    with pytest.raises(ValueError, match="timezone"):
        readings.write_readings(any_store, [ReadingIn(dt.datetime(2025, 1, 1), "a", "b", "p_kw", 1.0)])  # noqa: DTZ001 - the naive time is the input under test


def test_aggregates_per_slot(any_store):
    readings.write_readings(any_store, _series(60))  # minutes 0..59 -> two slots: 0..29, 30..59
    count = readings.aggregate_slots(any_store, T0, T0 + dt.timedelta(hours=1))
    aggs = readings.aggregates_between(any_store, T0, T0 + dt.timedelta(hours=1))
    assert count == 2
    assert [(a.mean, a.minimum, a.maximum, a.count) for a in aggs] == [(14.5, 0, 29, 30), (44.5, 30, 59, 30)]


def test_retention_deletes_old_raw_but_keeps_aggregates(any_store):
    old = _series(30, start=T0 - dt.timedelta(days=40))
    new = _series(5, start=T0)
    readings.write_readings(any_store, old + new)
    deleted = readings.apply_retention(any_store, now=T0, days=30)
    assert deleted == 30
    assert readings.count_readings(any_store) == 5
    aggs = readings.aggregates_between(any_store, T0 - dt.timedelta(days=41), T0)
    assert len(aggs) == 1
    assert aggs[0].count == 30
    assert aggs[0].mean == 14.5


def _plan(kind: str = "optimal") -> plans.PlanIn:
    idx = pd.date_range("2025-06-02 09:00", periods=2, freq="30min", tz="Asia/Tokyo")
    end = (idx[-1] + pd.Timedelta("30min")).to_pydatetime()
    return plans.PlanIn(
        horizon_start=idx[0].to_pydatetime(),
        horizon_end=end,
        kind=kind,
        slots=[PlanSlotIn(t.to_pydatetime(), plant_kw=50.0, jepx_buy_kw=10.0) for t in idx],
        setpoints={"centre": {"bat1": [1.0, -2.0]}},
        cost_breakdown={"energy_jpy": 123.0},
        slack_report=[SlackEntry(kind="shelter_reserve", subject="centre", shortfall=0.5, unit="kWh")],
        inputs_summary=PlanInputsSummary(facilities=3),
    )


def test_plans_are_versioned_and_approval_supersedes(any_store):
    p1 = plans.save_plan(any_store, _plan())
    p2 = plans.save_plan(any_store, _plan())
    plans.save_plan(any_store, _plan("whatif"))
    assert (p1.version, p2.version) == (1, 2)
    latest = plans.latest_plan(any_store)
    assert latest is not None
    assert latest.id == p2.id
    when = dt.datetime(2025, 6, 2, 0, 10, tzinfo=dt.UTC)  # inside the plans' horizon
    plans.decide_plan(any_store, p1.id, "approved", "op", when)
    plans.decide_plan(any_store, p2.id, "approved", "op", when)
    old, got = plans.get_plan(any_store, p1.id), plans.get_plan(any_store, p2.id)
    assert old is not None
    assert got is not None
    assert old.status == "superseded"
    assert got.status == "approved"
    assert got.cost_breakdown == {"energy_jpy": 123.0}
    assert got.slack_report[0].shortfall == 0.5
    assert got.setpoints["centre"]["bat1"] == [1.0, -2.0]
    slots = plans.plan_slots(any_store, p2.id)
    assert [s.plant_kw for s in slots] == [50.0, 50.0]
    assert slots[0].slot_start == dt.datetime(2025, 6, 2, 0, 0, tzinfo=dt.UTC)


def test_journal_events_audit_forecast(any_store):
    journal.raise_event(any_store, "stale_readings", "bat1 silent", facility_id="centre")
    journal.record_audit(
        any_store,
        [SetpointAuditIn("centre", "bat1", "p_kw", requested=9.0, applied=5.0, source="plan")],
    )
    idx = pd.date_range("2025-06-02 09:00", periods=3, freq="30min", tz="Asia/Tokyo")
    frame = pd.DataFrame({"pv": [1.0, 2.0, 3.0], "load": [4.0, 5.0, 6.0]}, index=idx)
    journal.save_forecast(any_store, "test", {"centre": frame}, ForecastRunSummary(slots=3))
    assert journal.list_events(any_store)[0].kind == "stale_readings"
    assert journal.list_audit(any_store, facility_id="centre")[0].applied == 5.0
    _run, got = journal.latest_forecast(any_store)
    assert list(got["centre"]["pv"]) == [1.0, 2.0, 3.0]
    assert got["centre"].index[0] == idx[0]


def test_restart_loses_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'ems.db'}"
    store = open_store(url)
    readings.write_readings(store, _series(10))
    plans.save_plan(store, _plan())
    journal.mark_job(store, "poll", T0, True)
    store.dispose()
    again = open_store(url)  # migrating again is a no-op
    assert readings.count_readings(again) == 10
    latest = plans.latest_plan(again)
    assert latest is not None
    assert latest.version == 1
    assert journal.job_runs(again)["poll"].last_run == T0
    assert plans.save_plan(again, _plan()).version == 2
