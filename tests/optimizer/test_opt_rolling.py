"""Rolling re-plans: a data-only change updates Params of the kept model and re-solves with the persistent
HiGHS solver; the result equals a fresh build on the same changed data."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from opt_helpers import planned, solved

from optimizer.dayahead.from_scenario import Overrides, build_inputs
from optimizer.dayahead.result import SolveOptions
from optimizer.dayahead.rolling import RollingPlanner
from scenarios.loader import builtin_data, parse_scenario

JST = ZoneInfo("Asia/Tokyo")

EXACT = SolveOptions(mip_rel_gap=0.0, mip_abs_gap_jpy=0.0)


def inputs_at(start: dt.datetime, price_scale: float, soc: float, load_kw: float):  # type: ignore[no-untyped-def]
    data = builtin_data("tiny")
    data["facilities"][1]["ev_chargers"][0]["min_power_kw"] = 1.4  # one binary per slot for ev1
    s = parse_scenario(data)
    idx = pd.date_range(pd.Timestamp(start), periods=48, freq="30min")
    hours = (idx.hour + idx.minute / 60).to_numpy()
    sun = np.clip(np.sin(np.pi * (hours - 6) / 13), 0, None)
    pv = {"centre": pd.Series(12 * sun, index=idx), "school": pd.Series(16 * sun, index=idx)}
    load = {f.id: pd.Series(load_kw + 4 * (hours > 8) * (hours < 18), index=idx) for f in s.facilities}
    price = pd.Series(price_scale * (10 + 8 * (hours > 16) * (hours < 21)), index=idx, dtype=float)
    return build_inputs(s, idx, pv, load, price, overrides=Overrides(battery_soc={"centre/bat1": soc}))


def test_replan_after_data_change_equals_fresh_build() -> None:
    planner = RollingPlanner(EXACT)
    first = planned(planner, inputs_at(dt.datetime(2024, 8, 1, 0, 0, tzinfo=JST), 1.0, 0.5, 8.0))
    changed = inputs_at(dt.datetime(2024, 8, 1, 0, 30, tzinfo=JST), 1.3, 0.8, 11.0)
    again = planned(planner, changed)
    assert planner.rebuilds == 1  # the second plan only rewrote Params
    fresh = solved(changed, EXACT)
    assert again.status == fresh.status == "optimal"
    assert again.objective_jpy == pytest.approx(fresh.objective_jpy, abs=1e-4)
    assert again.objective_jpy != pytest.approx(first.objective_jpy)
    np.testing.assert_allclose(again.dispatch.bat_soc_kwh, fresh.dispatch.bat_soc_kwh, atol=1e-4)
    assert again.dispatch.bat_soc_kwh[0, 0] >= 0.8 * 16.4 - 5 * 0.5 / 0.95 - 1e-6  # starts from the new SoC


def test_structure_change_rebuilds() -> None:
    planner = RollingPlanner(EXACT)
    base = inputs_at(dt.datetime(2024, 8, 1, tzinfo=JST), 1.0, 0.5, 8.0)
    planned(planner, base)
    shorter = dataclasses.replace(
        base,
        index=base.index[:24],
        hours=base.hours[:24],
        price_jpy_per_kwh=base.price_jpy_per_kwh[:24],
        facilities=tuple(dataclasses.replace(f, pv_kw=f.pv_kw[:24], load_kw=f.load_kw[:24]) for f in base.facilities),
        evs=tuple(
            dataclasses.replace(e, plugged=e.plugged[:24], target_kwh=e.target_kwh[:24], trip_kwh=e.trip_kwh[:24])
            for e in base.evs
        ),
        plant=dataclasses.replace(
            base.plant,
            forecast_kw=base.plant.forecast_kw[:24],
            min_kw=base.plant.min_kw[:24],
            available_kw=base.plant.available_kw[:24],
        ),
    )
    result = planned(planner, shorter)
    assert planner.rebuilds == 2
    assert result.inputs.n_slots == 24
    assert result.objective_jpy == pytest.approx(solved(shorter, EXACT).objective_jpy, abs=1e-4)


def test_runtime_replan_keeps_the_model_across_slots() -> None:
    from runtime.facades.dayahead_planning import replan
    from scenarios.loader import load_builtin

    scenario = load_builtin("tiny")
    planner = RollingPlanner()
    now = pd.Timestamp("2024-08-01 10:10", tz="Asia/Tokyo")
    first = replan(planner, scenario, now.to_pydatetime(), {"centre/bat1": 0.6}, max_slots=24)
    assert first.inputs.hours[0] == pytest.approx(0.5 * 20 / 30)
    assert first.inputs.index[0] == pd.Timestamp("2024-08-01 10:00", tz="Asia/Tokyo")
    second = replan(
        planner, scenario, (now + pd.Timedelta(minutes=30)).to_pydatetime(), {"centre/bat1": 0.55}, max_slots=24
    )
    assert planner.rebuilds == 1
    assert second.fallback_used is None
    assert second.inputs.batteries[0].initial_kwh == pytest.approx(0.55 * 16.4)
    assert second.objective_jpy == pytest.approx(solved(second.inputs).objective_jpy, abs=1.0)


def test_peak_rows_only_where_a_peak_is_possible_and_key_tracks_it() -> None:
    base = inputs_at(dt.datetime(2024, 8, 1, tzinfo=JST), 1.0, 0.5, 8.0)
    assert base.peak_facilities() == []  # 12 kW load + charging stays far below 30-60 kW contracts
    heavy = inputs_at(dt.datetime(2024, 8, 1, tzinfo=JST), 1.0, 0.5, 40.0)
    assert "office" in heavy.peak_facilities()
    assert heavy.structure_key() != base.structure_key()  # a rolling planner rebuilds for it


def rich_inputs(start: dt.datetime, price_scale: float, soc: float, metered: float):  # type: ignore[no-untyped-def]
    """tiny with every family that has Params: the plant behind the school's meter with a ramp, a lossy
    charged link, a capped V2H car, a capacity season and a partial first slot with metered energy."""
    data = builtin_data("tiny")
    data["plant"].update(facility_id="school", ramp_kw_per_slot=15.0)
    data["links"] = [
        {"id": "feeder", "from_facility": "centre", "to_facility": "school", "limit_kw": 10.0, "loss_fraction": 0.03}
    ]
    data["evs"][0]["v2h_max_kwh_per_24h"] = 5.0
    data["facilities"][0]["export_limit_kw"] = 2.0
    data["market"] = {"capacity": {"summer_peak_so_far_kw": 5.0}}
    s = parse_scenario(data)
    idx = pd.date_range(pd.Timestamp(start).floor("30min"), periods=48, freq="30min")
    hours = (idx.hour + idx.minute / 60).to_numpy()
    sun = np.clip(np.sin(np.pi * (hours - 6) / 13), 0, None)
    pv = {"centre": pd.Series(12 * sun, index=idx), "school": pd.Series(16 * sun, index=idx)}
    load = {f.id: pd.Series(9.0 + 4 * (hours > 8) * (hours < 18), index=idx) for f in s.facilities}
    price = pd.Series(price_scale * (10 + 8 * (hours > 16) * (hours < 21)), index=idx, dtype=float)
    ov = Overrides(battery_soc={"centre/bat1": soc}, metered_kwh_first_slot={"office": metered}, plant_output_kw=50.0)
    return build_inputs(s, idx, pv, load, price, first_slot_fraction=0.5, overrides=ov)


def test_replan_with_every_cost_family_equals_fresh_build() -> None:
    planner = RollingPlanner(EXACT)
    first = rich_inputs(dt.datetime(2024, 8, 1, 0, 15, tzinfo=JST), 1.0, 0.6, 2.0)
    assert first.capacity_slots
    assert first.plant is not None
    assert first.plant.facility == "school"
    assert first.plant.ramp_up_kw is not None
    assert first.capped_evs == ["ev1"]
    planned(planner, first)
    changed = rich_inputs(dt.datetime(2024, 8, 1, 0, 45, tzinfo=JST), 1.4, 0.8, 3.5)
    again = planned(planner, changed)
    assert planner.rebuilds == 1  # every new family's data are Params
    fresh = solved(changed, EXACT)
    assert again.objective_jpy == pytest.approx(fresh.objective_jpy, abs=1e-4)
    np.testing.assert_allclose(again.dispatch.plant_kw, fresh.dispatch.plant_kw, atol=1e-4)
