# mypy: allow-untyped-defs, allow-incomplete-defs
"""The loop passes the V2H energy of the last 24 h to the optimiser, so a car owner's V2H limit holds across
rolling re-plans (SQLite and PostgreSQL; hand-computed kWh, hand-solved plan)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import service_fixtures
from service_fixtures import make_service

from optimizer.dayahead.from_scenario import Overrides, build_inputs
from optimizer.dayahead.inputs import InputError
from optimizer.dayahead.result import PlanResult
from optimizer.dayahead.solve import solve
from runtime.loop.optimise import measured_ev_soc
from runtime.loop.optimiser_planner import request_inputs
from runtime.loop.service import PlanRequest
from runtime.loop.v2h import v2h_kwh_24h
from runtime.store import readings
from runtime.store.readings import ReadingIn
from scenarios.loader import builtin_data, parse_scenario

any_store = service_fixtures.any_store


def jst(text: str) -> dt.datetime:
    return pd.Timestamp(text, tz="Asia/Tokyo").to_pydatetime()


def slot(store, when: str, device: str, kw: float) -> None:
    """One reading of `device` at office at `when` (JST), aggregated into its 30-min slot."""
    ts = jst(when)
    readings.write_readings(store, [ReadingIn(ts, "office", device, "power_kw", kw)])
    start = pd.Timestamp(ts).floor("30min").to_pydatetime()
    readings.aggregate_slots(store, start, start + dt.timedelta(minutes=30))


def test_v2h_energy_of_the_last_24_hours_from_stored_charger_power(any_store):
    # Office's bidirectional charger v2h1 (+ = charging the car, - = V2H): -4 kW in the 09:00 slot (2 kWh),
    # +5 kW in the 10:00 slot (charging: 0), -6 kW in the 11:30 slot of the day before (25 h ago: outside the
    # window); the grid meter m1 at -3 kW (export, not a car: ignored). In the slot under way (12:00) the charger
    # reads -3 kW at 12:00 and 0 kW at 12:10; now 12:20: 3 x 10/60 = 0.5 kWh. Total 2.5 kWh.
    svc = make_service(any_store)
    slot(any_store, "2024-06-10 09:05", "v2h1", -4.0)
    slot(any_store, "2024-06-10 10:05", "v2h1", 5.0)
    slot(any_store, "2024-06-09 11:35", "v2h1", -6.0)
    slot(any_store, "2024-06-10 09:05", "m1", -3.0)
    readings.write_readings(
        any_store,
        [
            ReadingIn(jst("2024-06-10 12:00"), "office", "v2h1", "power_kw", -3.0),
            ReadingIn(jst("2024-06-10 12:10"), "office", "v2h1", "power_kw", 0.0),
        ],
    )
    got = v2h_kwh_24h(svc, jst("2024-06-10 12:20"))
    assert got == {"office/v2h1": pytest.approx(2.5)}
    assert v2h_kwh_24h(svc, jst("2024-06-12 12:00")) == {}


def capped_tiny(limit: float):  # type: ignore[no-untyped-def]
    data = builtin_data("tiny")
    data["evs"][0]["v2h_max_kwh_per_24h"] = limit
    data["evs"][0]["v2h_wear_jpy_per_kwh"] = 0.0
    return parse_scenario(data)


def test_the_request_carries_it_to_the_car_at_that_charger_and_the_plan_keeps_the_limit() -> None:
    # tiny's ev1 (40 kWh, 6 kW V2H, at 50 %) sits at office's v2h1 from 18:00; its owner allows 6 kWh of V2H in
    # any 24 h and 4 kWh went out in the 24 h before. Load 20 kW at 40 JPY/kWh over a 4-slot horizon at 18:00,
    # stored energy worth nothing at the end: each V2H kWh saves 44 JPY, so the car gives what the window leaves,
    # 6 - 4 = 2 kWh (88 JPY less than buying), not the 6 kWh a fresh allowance would give.
    scenario = capped_tiny(6.0)
    index = pd.date_range(jst("2024-06-10 18:00"), periods=4, freq="30min")
    load = {f.id: pd.Series(20.0 if f.id == "office" else 0.0, index=index) for f in scenario.supplied}
    pv = {f.id: pd.Series(0.0, index=index) for f in scenario.supplied if f.pv_arrays}
    price = pd.Series(40.0, index=index)
    request = PlanRequest(scenario, index, 1.0, pv, load, price, {}, v2h_kwh_24h={"office/v2h1": 4.0})
    car = request_inputs(request).evs[0]
    assert (car.id, car.charger, car.v2h_prior_kwh, car.v2h_max_kwh_per_24h) == ("ev1", "v2h1", 4.0, 6.0)

    def v2h_kwh(used: dict[str, float]) -> float:
        overrides = Overrides(v2h_kwh_24h=used, terminal_price_jpy_per_kwh=0.0)
        result = solve(build_inputs(scenario, index, pv, load, price, overrides=overrides))
        assert isinstance(result, PlanResult), result
        return float(np.sum(result.dispatch.ev_discharge_kw) * 0.5)

    assert v2h_kwh({}) == pytest.approx(6.0, abs=1e-6)
    assert v2h_kwh({"office/v2h1": 4.0}) == pytest.approx(2.0, abs=1e-6)
    assert v2h_kwh({"office/v2h1": 7.0}) == pytest.approx(0.0, abs=1e-6)


def test_an_unknown_charger_or_a_negative_energy_is_refused_naming_the_field() -> None:
    scenario = capped_tiny(6.0)
    index = pd.date_range(jst("2024-06-10 18:00"), periods=2, freq="30min")
    load = {f.id: pd.Series(1.0, index=index) for f in scenario.supplied}
    pv = {f.id: pd.Series(0.0, index=index) for f in scenario.supplied if f.pv_arrays}
    price = pd.Series(10.0, index=index)
    with pytest.raises(InputError, match=r"overrides\.v2h_kwh_24h: unknown EV charger 'office/nope'"):
        build_inputs(scenario, index, pv, load, price, overrides=Overrides(v2h_kwh_24h={"office/nope": 1.0}))
    with pytest.raises(InputError, match=r"overrides\.v2h_kwh_24h\[office/v2h1\]"):
        build_inputs(scenario, index, pv, load, price, overrides=Overrides(v2h_kwh_24h={"office/v2h1": -1.0}))


def test_the_soc_a_connected_car_reports_is_where_the_plan_starts_it(any_store):
    # tiny's ev1 (40 kWh, scenario initial SoC 0.5) is planned at office's v2h1. The charger reports a car
    # connected at 30 %: the plan starts the car at 0.3 x 40 = 12 kWh, not the scenario's 20 kWh. Once the
    # charger says no car is connected, its stale SoC is not used (back to 20 kWh).
    svc = make_service(any_store)
    now = jst("2024-06-10 18:10")
    at = [ReadingIn(now, "office", "v2h1", "connected", 1.0), ReadingIn(now, "office", "v2h1", "vehicle_soc", 0.3)]
    readings.write_readings(any_store, at)
    assert measured_ev_soc(svc) == {"office/v2h1": 0.3}
    index = pd.date_range(jst("2024-06-10 18:00"), periods=2, freq="30min")
    flat = {f.id: pd.Series(1.0, index=index) for f in svc.scenario.supplied}
    pv = {f.id: pd.Series(0.0, index=index) for f in svc.scenario.supplied if f.pv_arrays}
    price = pd.Series(10.0, index=index)
    request = PlanRequest(svc.scenario, index, 1.0, pv, flat, price, {}, ev_soc_at_charger=measured_ev_soc(svc))
    assert request_inputs(request).evs[0].initial_kwh == pytest.approx(12.0)
    later = now + dt.timedelta(minutes=5)
    readings.write_readings(any_store, [ReadingIn(later, "office", "v2h1", "connected", 0.0)])
    assert measured_ev_soc(svc) == {}
    empty = PlanRequest(svc.scenario, index, 1.0, pv, flat, price, {}, ev_soc_at_charger=measured_ev_soc(svc))
    assert request_inputs(empty).evs[0].initial_kwh == pytest.approx(20.0)
