"""The supply plant: its own facility's load served behind the meter, ramp limits, planned and forced outages
(hand-solved; prices JPY/kWh, 30-min slots, wheeling 4, sale fee 0.5)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from opt_helpers import solved

from optimizer.dayahead.from_scenario import Overrides, build_inputs
from optimizer.dayahead.inputs import FacilityInput, InputError, PlanInputs, PlantInput
from optimizer.dayahead.plant_profile import plant_profile
from optimizer.dayahead.solve import baseline
from scenarios.loader import builtin_data, parse_scenario
from scenarios.model import AvailabilityWindow, SupplyPlant

JST = dt.timezone(dt.timedelta(hours=9))


def index(n: int) -> pd.DatetimeIndex:
    return pd.date_range("2024-08-01 00:00", periods=n, freq="30min", tz="Asia/Tokyo")


def site(load: list[float]) -> FacilityInput:
    return FacilityInput(
        id="plant-site",
        pv_kw=np.zeros(len(load)),
        load_kw=np.array(load),
        contract_kw=1000.0,
        peak_so_far_kw=0.0,
        has_pv=False,
    )


def plan(prices: list[float], load: list[float], plant: PlantInput) -> PlanInputs:
    n = len(prices)
    return PlanInputs(
        index=index(n),
        hours=np.full(n, 0.5),
        price_jpy_per_kwh=np.array(prices),
        wheeling_jpy_per_kwh=4.0,
        sale_discount_jpy_per_kwh=0.5,
        facilities=(site(load),),
        plant=plant,
    )


def flat_plant(n: int, kw: float, minimum: float, **kw_args: object) -> PlantInput:
    return PlantInput(
        id="wte",
        forecast_kw=np.full(n, kw),
        min_kw=np.full(n, minimum),
        available_kw=np.full(n, kw),
        curtailment_cost_jpy_per_kwh=3.0,
        **kw_args,  # type: ignore[arg-type]
    )


def test_plant_serves_its_own_facility_behind_the_meter_without_wheeling() -> None:
    # The plant runs at its must-run 100 kW; its facility uses 30 kW. Behind the meter the 30 kW never touch the
    # grid: 70 kW are sold, 35 kWh x (10 - 0.5) = 332.5 JPY earned, no wheeling. Were the plant's output taken to
    # the grid first, the facility would import 30 kW and pay 15 kWh x 4 = 60 JPY wheeling (-272.5 JPY).
    case = plan([10.0], [30.0], flat_plant(1, 100.0, 100.0, facility="plant-site"))
    result = solved(case)
    d = result.dispatch
    assert d.plant_self_kw[0] == pytest.approx(30.0)
    assert d.import_kw[0, 0] == pytest.approx(0.0, abs=1e-9)
    assert d.sell_kw[0] == pytest.approx(70.0)
    assert result.objective_jpy == pytest.approx(-332.5)
    assert result.breakdown["wheeling"] == pytest.approx(0.0, abs=1e-9)
    assert baseline(case).objective_jpy == pytest.approx(-332.5)  # the baseline uses it behind the meter too
    elsewhere = solved(plan([10.0], [30.0], flat_plant(1, 100.0, 100.0)))
    assert elsewhere.objective_jpy == pytest.approx(-272.5)


def test_ramp_limit_holds_the_plant_up_through_a_cheap_slot() -> None:
    # Plant forecast 100 kW, no must-run, no curtailment cost, ramp 20 kW per slot, 100 kW before the horizon.
    # Slot 1's price 0.1 is below the 0.5 fee: each kWh sold there loses 0.4 JPY, so the plant turns down as far
    # as it may (80 kW) and back up for slot 2. Sales: 50 x 9.5 - 40 x 0.4 + 50 x 9.5 = 934 JPY earned.
    # Without the ramp it would stop for slot 1: 950 JPY.
    ramp = {"ramp_up_kw": np.full(3, 20.0), "ramp_down_kw": np.full(3, 20.0), "initial_kw": 100.0}
    plant = replace(flat_plant(3, 100.0, 0.0, **ramp), curtailment_cost_jpy_per_kwh=0.0)
    result = solved(plan([10.0, 0.1, 10.0], [0.0] * 3, plant))
    assert result.dispatch.plant_kw.tolist() == pytest.approx([100.0, 80.0, 100.0])
    assert result.objective_jpy == pytest.approx(-934.0)
    free = replace(flat_plant(3, 100.0, 0.0), curtailment_cost_jpy_per_kwh=0.0)
    assert solved(plan([10.0, 0.1, 10.0], [0.0] * 3, free)).objective_jpy == pytest.approx(-950.0)


def test_forecast_faster_than_the_ramp_is_refused_naming_the_field() -> None:
    plant = PlantInput(
        id="wte",
        forecast_kw=np.array([100.0, 200.0]),
        min_kw=np.zeros(2),
        available_kw=np.full(2, 200.0),
        curtailment_cost_jpy_per_kwh=3.0,
        ramp_up_kw=np.full(2, 50.0),
        ramp_down_kw=np.full(2, 50.0),
        initial_kw=100.0,
    )
    with pytest.raises(InputError, match=r"plant\[wte\]\.forecast_kw: changes by \+100\.0 kW into slot 1"):
        plan([10.0, 10.0], [0.0, 0.0], plant)


def plant_with(ramp: float | None, windows: list[AvailabilityWindow]) -> SupplyPlant:
    return SupplyPlant(
        id="wte",
        name_ja="ごみ発電",
        name_en="WtE",
        capacity_kw=2600,
        must_run_min_kw=900,
        typical_output_kw=1800,
        availability=windows,
        ramp_kw_per_slot=ramp,
    )


def window(start_slot: int, end_slot: int, kw: float) -> AvailabilityWindow:
    t0 = dt.datetime(2024, 8, 1, tzinfo=JST)
    return AvailabilityWindow(
        start=t0 + dt.timedelta(minutes=30 * start_slot), end=t0 + dt.timedelta(minutes=30 * end_slot), available_kw=kw
    )


def test_planned_window_is_ramped_into_ahead_and_out_of_after() -> None:
    # Typical 1800 kW, ramp 300 kW per slot, one line down (1200 kW) in slots 4..7: the plant must already be at
    # 1500 in slot 3 to reach 1200 in slot 4, and comes back 1500, 1800 in slots 8, 9.
    profile = plant_profile(plant_with(300.0, [window(4, 8, 1200)]), index(12))
    expected = [1800, 1800, 1800, 1500, 1200, 1200, 1200, 1200, 1500, 1800, 1800, 1800]
    assert profile.forecast_kw.tolist() == expected
    assert profile.initial_kw == 1800
    assert profile.ramp_up_kw is not None
    assert profile.ramp_down_kw is not None
    assert profile.ramp_down_kw.tolist() == [300.0] * 12
    unramped = plant_profile(plant_with(None, [window(4, 8, 1200)]), index(12))
    assert unramped.forecast_kw.tolist() == [1800] * 4 + [1200] * 4 + [1800] * 4
    assert unramped.ramp_up_kw is None


def test_forced_outage_drops_at_once_and_ramps_back() -> None:
    # A trip in slot 4 for two slots (0 kW): no ramp-down ahead (it was not foreseen), the drop is allowed in
    # slot 4 (its ramp-down limit is the capacity), then 300 kW per slot back up: 300, 600, ..., 1800 by slot 11.
    profile = plant_profile(plant_with(300.0, []), index(12), forced=[window(4, 6, 0)])
    assert profile.forecast_kw.tolist() == [1800] * 4 + [0, 0, 300, 600, 900, 1200, 1500, 1800]
    assert profile.ramp_down_kw is not None
    assert profile.ramp_down_kw[4] == 2600
    assert profile.ramp_down_kw[5] == 300


def test_forced_outage_override_reaches_the_plan_inputs() -> None:
    # tiny's plant (typical 60 kW, must-run 20) with a 20 kW ramp, tripped from 01:00 to 02:00: forecast and
    # must-run are 0 there, then it ramps 20, 40, 60.
    data = builtin_data("tiny")
    data["plant"]["ramp_kw_per_slot"] = 20.0
    scenario = parse_scenario(data)
    idx = index(8)
    flat = {f.id: pd.Series(5.0, index=idx) for f in scenario.facilities}
    pv = {f.id: pd.Series(0.0, index=idx) for f in scenario.facilities if f.pv_arrays}
    forced = (window(2, 4, 0),)
    inputs = build_inputs(
        scenario, idx, pv, flat, pd.Series(10.0, index=idx), overrides=Overrides(plant_forced_outages=forced)
    )
    assert inputs.plant is not None
    assert inputs.plant.forecast_kw.tolist() == [60, 60, 0, 0, 20, 40, 60, 60]
    assert inputs.plant.min_kw.tolist() == [20, 20, 0, 0, 20, 20, 20, 20]
    result = solved(inputs)
    assert result.dispatch.plant_kw[2:4].tolist() == pytest.approx([0.0, 0.0], abs=1e-9)
    measured = build_inputs(
        scenario, idx, pv, flat, pd.Series(10.0, index=idx), overrides=Overrides(plant_output_kw=30.0)
    )
    assert measured.plant is not None
    assert measured.plant.forecast_kw[:3].tolist() == [50, 60, 60]  # ramps up from the measured 30 kW
