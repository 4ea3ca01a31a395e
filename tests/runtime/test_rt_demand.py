# mypy: allow-untyped-defs, allow-incomplete-defs
"""The loop passes the measured demand to the optimiser: 30-min peaks this month and over 12 months from the
stored meter aggregates (JST months), the group's capacity-season peak, and the energy already metered in a
partial first slot (SQLite and PostgreSQL; hand-computed)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import service_fixtures
from service_fixtures import make_service

from optimizer.dayahead.inputs import PlanInputs
from runtime.loop.demand import measured_demand, season_start
from runtime.loop.optimiser_planner import request_inputs
from runtime.loop.service import PlanRequest
from runtime.store import readings
from runtime.store.readings import ReadingIn
from scenarios.loader import load_builtin

any_store = service_fixtures.any_store


def jst(text: str) -> dt.datetime:
    return pd.Timestamp(text, tz="Asia/Tokyo").to_pydatetime()


def meter(store, when: str, kw: dict[str, float]) -> None:
    """One grid-meter reading per facility at `when` (JST), aggregated into its 30-min slot."""
    ts = jst(when)
    readings.write_readings(store, [ReadingIn(ts, fid, "m1", "power_kw", v) for fid, v in kw.items()])
    start = pd.Timestamp(ts).floor("30min").to_pydatetime()
    readings.aggregate_slots(store, start, start + dt.timedelta(minutes=30))


def test_month_and_twelve_month_peaks_and_the_metered_first_slot(any_store):
    # office: 90 kW 13 months ago (outside the 12 months), 55 kW in May, 70 kW at 23:40 JST on 31 May (14:40
    # UTC: a May slot in Japan), 40 kW on 3 June; centre: 12 kW in May only. So June's peak: office 40, centre 0;
    # the 12 months (Jul 2023 - Jun 2024): office 70, centre 12. The plan starts inside the 12:00 slot at 12:10
    # with office readings 30 kW at 12:00 and 36 kW at 12:05: 30 x 5/60 + 36 x 5/60 = 5.5 kWh already imported;
    # centre's meter shows -4 kW (export): 0 kWh.
    svc = make_service(any_store)
    meter(any_store, "2023-05-15 10:00", {"office": 90.0})
    meter(any_store, "2024-05-20 10:00", {"office": 55.0, "centre": 12.0})
    meter(any_store, "2024-05-31 23:40", {"office": 70.0})
    meter(any_store, "2024-06-03 14:00", {"office": 40.0})
    readings.write_readings(
        any_store,
        [
            ReadingIn(jst("2024-06-10 12:00"), "office", "m1", "power_kw", 30.0),
            ReadingIn(jst("2024-06-10 12:05"), "office", "m1", "power_kw", 36.0),
            ReadingIn(jst("2024-06-10 12:00"), "centre", "m1", "power_kw", -4.0),
        ],
    )
    got = measured_demand(svc, jst("2024-06-10 12:10"), jst("2024-06-10 12:00"), partial=True)
    assert got.peak_this_month_kw == {"centre": 0.0, "office": 40.0, "school": 0.0}
    assert got.peak_12_months_kw == {"centre": 12.0, "office": 70.0, "school": 0.0}
    assert got.metered_kwh_first_slot == {"office": pytest.approx(5.5), "centre": 0.0}
    assert got.capacity_peak_kw is None  # June is in no capacity season
    whole = measured_demand(svc, jst("2024-06-10 12:00"), jst("2024-06-10 12:00"), partial=False)
    assert whole.metered_kwh_first_slot == {}


def test_capacity_season_peak_sums_the_facilities_demands(any_store):
    # 2 July 10:00: office 40 + centre 12 kW, school exporting 20 kW (counts 0): the group's demand is 52 kW. On
    # 30 June (before the summer season) office 80 kW does not count. From 5 July the season peak so far is 52.
    svc = make_service(any_store)
    meter(any_store, "2024-06-30 10:00", {"office": 80.0})
    meter(any_store, "2024-07-02 10:00", {"office": 40.0, "centre": 12.0, "school": -20.0})
    got = measured_demand(svc, jst("2024-07-05 09:00"), jst("2024-07-05 09:00"), partial=False)
    assert got.capacity_peak_kw == pytest.approx(52.0)
    assert got.peak_this_month_kw["office"] == 40.0


def test_winter_season_starts_in_december_of_the_year_before() -> None:
    scenario = load_builtin("tiny")
    assert season_start(scenario, pd.Timestamp("2025-02-10 08:00", tz="Asia/Tokyo")) == pd.Timestamp(
        "2024-12-01", tz="Asia/Tokyo"
    )
    assert season_start(scenario, pd.Timestamp("2024-09-30 23:30", tz="Asia/Tokyo")) == pd.Timestamp(
        "2024-07-01", tz="Asia/Tokyo"
    )
    assert season_start(scenario, pd.Timestamp("2024-10-01", tz="Asia/Tokyo")) is None


def test_the_request_carries_the_measured_demand_into_the_plan_inputs() -> None:
    scenario = load_builtin("tiny")
    index = pd.date_range(jst("2024-07-05 09:00"), periods=4, freq="30min")
    flat = {f.id: pd.Series(5.0, index=index) for f in scenario.supplied}
    pv = {f.id: pd.Series(0.0, index=index) for f in scenario.supplied if f.pv_arrays}
    request = PlanRequest(
        scenario,
        index,
        0.5,
        pv,
        flat,
        pd.Series(10.0, index=index),
        {},
        peak_this_month_kw={"office": 40.0},
        peak_12_months_kw={"office": 70.0},
        metered_kwh_first_slot={"office": 2.0},
        capacity_peak_kw=52.0,
    )
    inputs: PlanInputs = request_inputs(request)
    office = next(f for f in inputs.facilities if f.id == "office")
    assert office.peak_so_far_kw == 40.0
    assert office.peak_12_months_kw == 70.0
    assert office.demand_ratchet  # tiny's office has a 60 kW contract: high-voltage 実量制
    assert office.peak_reference_kw == 70.0
    assert office.metered_kwh_first_slot == 2.0
    assert inputs.capacity_peak_so_far_kw == 52.0
    assert inputs.capacity_slots == (0, 1, 2, 3)
