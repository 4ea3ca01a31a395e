# mypy: allow-untyped-defs, allow-incomplete-defs
"""JSON columns read back as typed records; rows stored before the records existed (plain dicts, as the code before
issue 10 wrote them) still load, with missing fields at their defaults and unknown keys kept."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import service_fixtures
from service_fixtures import OLD_PLANS, insert_old_rows
from sqlalchemy import select

from runtime.store import journal, plans
from runtime.store.records import (
    EventDetails,
    FallbackReason,
    ForecastRunSummary,
    PlanInputsSummary,
    PlanSlotIn,
    SlackEntry,
)

any_store = service_fixtures.any_store
T0 = dt.datetime(2024, 6, 10, 3, 0, tzinfo=dt.UTC)  # 12:00 JST, as in service_fixtures.insert_old_rows


def _old_plans(store):
    """The two old plans (optimal v1, shifted v2) read back through the store."""
    insert_old_rows(store)
    shifted, optimal = plans.list_plans(store)
    return optimal, shifted


def test_old_plan_rows_load_as_typed_records(any_store):
    optimal, shifted = _old_plans(any_store)
    summary = optimal.inputs_summary
    assert isinstance(summary, PlanInputsSummary)
    assert (summary.facilities, summary.slots, summary.rung, summary.notes) == (3, 96, "solve", ["JEPX chugoku"])
    assert summary.battery_soc == {"centre/bat1": 0.8}
    assert summary.base_plan_id is None  # a field the old row never had takes its default
    assert summary.fallback_reasons == []
    assert optimal.slack_report[0] == SlackEntry(
        kind="shelter_reserve",
        subject="centre",
        slot=pd.Timestamp("2024-06-10 12:00", tz="Asia/Tokyo").to_pydatetime(),
        shortfall=1.5,
        unit="kWh",
        penalty_jpy=1050.0,
        reason="battery at its floor",
    )
    assert optimal.slack_report[1].slot is None
    assert optimal.slack_report[1].reason == ""  # missing in the old row
    assert optimal.cost_breakdown == {"energy": 100.0, "penalty_reserve": 23.0}
    assert optimal.setpoints == {"centre": {"bat1": [1.0, -2.0]}}
    assert shifted.inputs_summary.fallback_reasons[1] == FallbackReason(rung="lp_relaxation", reason="no binaries")
    assert shifted.inputs_summary.base_version == 1
    assert shifted.inputs_summary.model_extra == {"legacy_key": "kept as stored"}


def test_old_event_and_forecast_rows_load_as_typed_records(any_store):
    insert_old_rows(any_store)
    newest, oldest = journal.list_events(any_store)
    assert newest.details == EventDetails(device="bat1", quality="error")
    assert oldest.details == EventDetails()
    run, _ = journal.latest_forecast(any_store)
    assert run is not None
    assert run.summary == ForecastRunSummary(
        start=dt.datetime(2024, 6, 10, 3, 0, tzinfo=dt.UTC),
        slots=96,
        facilities=3,
        pv_inputs={"clear_sky": 2, "none": 1},
    )


def test_a_stored_record_keeps_unknown_keys_on_a_round_trip(any_store):
    """Re-storing a loaded record (as the shifted rung copies a plan's slack report) loses nothing of an old row."""
    _, old = _old_plans(any_store)
    copy = plans.save_plan(
        any_store,
        plans.PlanIn(
            old.horizon_start, old.horizon_end, "shifted", [PlanSlotIn(T0)], inputs_summary=old.inputs_summary
        ),
    )
    with any_store.engine.connect() as conn:
        raw = conn.execute(select(OLD_PLANS.c.inputs_summary).where(OLD_PLANS.c.id == copy.id)).scalar_one()
    assert raw["legacy_key"] == "kept as stored"
    assert raw["fallback_reasons"][0] == {"rung": "solve", "reason": "HiGHS found no solution (TimeLimit)"}
    assert "prices_known" not in raw  # fields at their defaults are not written


def test_a_record_of_the_wrong_type_is_refused_naming_the_field():
    with pytest.raises(ValueError, match="base_plan_id"):
        PlanInputsSummary.model_validate({"base_plan_id": "not a plan"})
