"""EVs as the car-sharing fleet uses them: V2H wear, the owner's limit on V2H energy per 24 h, and bookings from
the fleet calendar (hand-solved; prices JPY/kWh, wheeling 4, 30-min slots, no terminal value)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from opt_helpers import solved

from optimizer.dayahead.ev_schedule import car_schedule
from optimizer.dayahead.inputs import EVInput, FacilityInput, InputError, PlanInputs
from runtime.facades.dayahead_planning import day_index
from scenarios.loader import builtin_data, parse_scenario
from scenarios.model import Booking

JST = dt.timezone(dt.timedelta(hours=9))


def car(n: int, initial: float, **kw: object) -> EVInput:
    return EVInput(
        id="car",
        facility="f",
        charger="v2h",
        capacity_kwh=40.0,
        charge_kw=10.0,
        min_charge_kw=0.0,
        discharge_kw=10.0,
        efficiency=1.0,
        floor_kwh=0.0,
        initial_kwh=initial,
        plugged=np.ones(n),
        target_kwh=np.zeros(n),
        trip_kwh=np.zeros(n),
        **kw,  # type: ignore[arg-type]
    )


def plan(load: list[float], prices: list[float], ev: EVInput) -> PlanInputs:
    n = len(load)
    f = FacilityInput(
        id="f", pv_kw=np.zeros(n), load_kw=np.array(load), contract_kw=1000.0, peak_so_far_kw=0.0, has_pv=False
    )
    return PlanInputs(
        index=pd.date_range("2024-08-01", periods=n, freq="30min", tz="Asia/Tokyo"),
        hours=np.full(n, 0.5),
        price_jpy_per_kwh=np.array(prices),
        wheeling_jpy_per_kwh=4.0,
        sale_discount_jpy_per_kwh=0.5,
        facilities=(f,),
        evs=(ev,),
    )


def test_v2h_wear_above_the_saving_keeps_the_car_idle() -> None:
    # Load 10 kW (5 kWh) in slot 1 at 30 JPY/kWh: each kWh from the car saves 30 + 4 = 34 JPY. At 10 JPY/kWh
    # wear the car serves it (5 x 10 = 50 JPY of wear); at 40 JPY/kWh it stays idle and the load is bought (170).
    worn = solved(plan([0.0, 10.0], [10.0, 30.0], car(2, 20.0, degradation_jpy_per_kwh=10.0)))
    assert worn.dispatch.ev_discharge_kw[0].tolist() == pytest.approx([0.0, 10.0])
    assert worn.breakdown["wear"] == pytest.approx(50.0)
    assert worn.objective_jpy == pytest.approx(50.0)
    dear = solved(plan([0.0, 10.0], [10.0, 30.0], car(2, 20.0, degradation_jpy_per_kwh=40.0)))
    assert dear.dispatch.ev_discharge_kw.max() == pytest.approx(0.0, abs=1e-9)
    assert dear.objective_jpy == pytest.approx(170.0)


def test_owner_limit_on_v2h_energy_in_any_24_hours() -> None:
    # 50 slots, 10 kW load (5 kWh) in slots 0, 1, 48 and 49, 30 JPY/kWh; the owner allows 6 kWh of V2H in any
    # 24 h (48 slots) and 2 kWh were used in the 24 h before the plan. Windows reaching before the start allow
    # 6 - 2 = 4 kWh in slots 0..47 (d0 + d1 <= 4); the windows ending at slots 48 and 49 give d1 + d48 <= 6 and
    # d48 + d49 <= 6. So at most 4 + 6 = 10 kWh come from the car and 10 kWh are bought: 10 x 34 = 340 JPY
    # (without the limit the car covers all 20 kWh and sells its other 10 kWh at 30 - 0.5: -295 JPY).
    load = [0.0] * 50
    for t in (0, 1, 48, 49):
        load[t] = 10.0
    capped = car(50, 30.0, v2h_max_kwh_per_24h=6.0, v2h_prior_kwh=2.0)
    result = solved(plan(load, [30.0] * 50, capped))
    v2h = result.dispatch.ev_discharge_kw[0] * 0.5
    assert v2h[:48].sum() == pytest.approx(4.0)
    assert v2h.sum() == pytest.approx(10.0)
    assert result.objective_jpy == pytest.approx(340.0)
    windows = [v2h[max(0, t - 47) : t + 1].sum() for t in range(50)]
    assert max(windows[48:]) <= 6.0 + 1e-6
    free = solved(plan(load, [30.0] * 50, car(50, 30.0)))
    assert free.objective_jpy == pytest.approx(-295.0)


def test_bad_owner_limit_is_refused_naming_the_field() -> None:
    with pytest.raises(InputError, match=r"evs\[car\]\.v2h_max_kwh_per_24h"):
        plan([0.0], [10.0], car(1, 20.0, v2h_max_kwh_per_24h=0.0))


def tiny_car(bookings: list[Booking]):  # type: ignore[no-untyped-def]
    data = builtin_data("tiny")
    data["evs"][0]["bookings"] = [b.model_dump() for b in bookings]
    return parse_scenario(data).evs[0]


def test_booking_inside_a_plug_window_takes_the_car_away() -> None:
    # tiny's ev1 on Thursday 2024-08-01 is plugged 00:00-08:30 and from 18:00. A booking 20:00-22:15 for 50 km
    # (0.16 kWh/km) takes it away in the slots 20:00 .. 22:00 (40..44); it should leave at 20:00 with 0.7 SoC
    # (target in slot 39), and 50 x 0.16 = 8 kWh are removed when it is back in slot 45. Its ordinary return
    # at 18:00 (slot 36) still removes the assumed daily 30 km (4.8 kWh); the booking adds no daily trip.
    booking = Booking(
        start=dt.datetime(2024, 8, 1, 20, 0, tzinfo=JST),
        end=dt.datetime(2024, 8, 1, 22, 15, tzinfo=JST),
        km=50,
        departure_soc=0.7,
    )
    s = car_schedule(tiny_car([booking]), day_index(dt.date(2024, 8, 1), 48), daily_km=30.0)
    assert s.plugged[36:40].tolist() == [1.0] * 4
    assert s.plugged[40:45].tolist() == [0.0] * 5
    assert s.plugged[45:].tolist() == [1.0] * 3
    assert s.target_soc[39] == pytest.approx(0.7)
    assert np.flatnonzero(s.trip_kwh).tolist() == [36, 45]
    assert s.trip_kwh[36] == pytest.approx(4.8)
    assert s.trip_kwh[45] == pytest.approx(8.0)


def test_booking_during_an_ordinary_absence_adds_its_distance() -> None:
    # The same car booked 10:00-15:00 for 40 km, while it is away anyway: it returns at 18:00 having driven
    # the daily 30 km and the booking's 40 km: 70 x 0.16 = 11.2 kWh removed in slot 36.
    booking = Booking(
        start=dt.datetime(2024, 8, 1, 10, 0, tzinfo=JST), end=dt.datetime(2024, 8, 1, 15, 0, tzinfo=JST), km=40
    )
    s = car_schedule(tiny_car([booking]), day_index(dt.date(2024, 8, 1), 48), daily_km=30.0)
    assert np.flatnonzero(s.trip_kwh).tolist() == [36]
    assert s.trip_kwh[36] == pytest.approx(11.2)
