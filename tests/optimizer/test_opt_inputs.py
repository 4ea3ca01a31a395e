"""Building PlanInputs from a scenario: plug windows by Japanese day type, plant availability, reserves,
validation errors that name the field."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from optimizer.dayahead.from_scenario import Overrides, build_inputs, plug_schedule
from optimizer.dayahead.inputs import InputError
from runtime.facades.dayahead_planning import day_index
from scenarios.loader import load_builtin


def series(index: pd.DatetimeIndex, value: float) -> pd.Series:
    return pd.Series(value, index=index)


def tiny_inputs(day: dt.date = dt.date(2024, 8, 1), n: int = 48, **kw: object):  # type: ignore[no-untyped-def]
    s = load_builtin("tiny")
    idx = day_index(day, n)
    pv = {"centre": series(idx, 3.0), "school": series(idx, 4.0)}
    load = {f.id: series(idx, 10.0) for f in s.facilities}
    return build_inputs(s, idx, pv, load, series(idx, 12.0), **kw)  # type: ignore[arg-type]


def test_weekday_plug_window_departure_target_and_trip() -> None:
    # Thursday 2024-08-01: the car is plugged from Wednesday 18:00 until 08:30 and again from 18:00.
    inputs = tiny_inputs()
    ev = inputs.evs[0]
    assert ev.id == "ev1"
    assert ev.facility == "office"
    assert ev.plugged[:17].tolist() == [1.0] * 17  # 00:00 .. 08:00 slots
    assert ev.plugged[17:36].sum() == 0  # 08:30 .. 17:30 away
    assert ev.plugged[36:].tolist() == [1.0] * 12  # from 18:00
    assert np.flatnonzero(ev.target_kwh).tolist() == [16]
    assert ev.target_kwh[16] == pytest.approx(0.8 * 40)
    assert np.flatnonzero(ev.trip_kwh).tolist() == [36]
    assert ev.trip_kwh[36] == pytest.approx(30 * 0.16)  # default 30 km x 0.16 kWh/km
    assert ev.discharge_kw == 6.0
    assert ev.min_charge_kw == 0.0


def test_saturday_and_substitute_holiday_use_weekend_windows() -> None:
    ev = load_builtin("tiny").evs[0]
    saturday, _ = plug_schedule(ev, day_index(dt.date(2024, 8, 3), 48))
    assert saturday[:17].sum() == 17  # Friday's weekday window ends 08:30
    assert saturday[36:40].sum() == 0
    assert saturday[40] == 1
    holiday, target = plug_schedule(ev, day_index(dt.date(2024, 8, 12), 48))  # 振替休日 (Monday)
    assert holiday[:18].sum() == 18  # Sunday's weekend window ends 09:00
    assert target[17] == pytest.approx(0.9)
    assert holiday[36] == 0
    assert holiday[40] == 1


def test_shelter_reserve_plant_availability_and_partial_first_slot() -> None:
    inputs = tiny_inputs(first_slot_fraction=0.4)
    centre = inputs.facilities[0]
    assert centre.reserve_kwh == pytest.approx(4 * 2.0)
    assert centre.is_shelter
    assert inputs.hours[0] == pytest.approx(0.2)
    assert inputs.hours[1] == 0.5
    assert inputs.plant is not None
    assert inputs.plant.forecast_kw[0] == 60
    assert inputs.plant.min_kw[0] == 20
    s = load_builtin("yamaguchi")
    idx = day_index(dt.date(2024, 6, 10), 2)
    pv = {f.id: series(idx, 0.0) for f in s.supplied if f.pv_arrays}
    load = {f.id: series(idx, 1.0) for f in s.supplied if f.load}
    maint = build_inputs(s, idx, pv, load, series(idx, 10.0))
    assert maint.plant is not None
    assert maint.plant.available_kw.tolist() == [1200.0, 1200.0]
    assert maint.plant.forecast_kw.tolist() == [1200.0, 1200.0]
    assert any("yamaguchi-post" in note for note in maint.notes)


def test_overrides_set_soc_and_availability() -> None:
    inputs = tiny_inputs(
        overrides=Overrides(
            battery_soc={"centre/bat1": 0.2}, ev_soc={"ev1": 0.3}, unavailable_batteries=frozenset({"centre/bat1"})
        )
    )
    assert inputs.batteries[0].initial_kwh == pytest.approx(0.2 * 16.4)
    assert not inputs.batteries[0].available
    assert inputs.evs[0].initial_kwh == pytest.approx(12.0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ("nan_load", "load_kw[office]"),
        ("missing_pv", "pv_kw[centre]"),
        ("bad_battery", "overrides.battery"),
        ("bad_soc", "overrides.battery_soc[centre/bat1]"),
        ("bad_ev", "overrides.ev_soc"),
    ],
)
def test_validation_errors_name_the_field(change: str, field: str) -> None:
    s = load_builtin("tiny")
    idx = day_index(dt.date(2024, 8, 1), 4)
    pv = {"centre": series(idx, 3.0), "school": series(idx, 4.0)}
    load = {f.id: series(idx, 10.0) for f in s.facilities}
    overrides = Overrides()
    if change == "nan_load":
        load["office"] = load["office"].where(load["office"].index != idx[2])
    elif change == "missing_pv":
        del pv["centre"]
    elif change == "bad_battery":
        overrides = Overrides(battery_soc={"centre/nope": 0.5})
    elif change == "bad_soc":
        overrides = Overrides(battery_soc={"centre/bat1": 1.5})
    elif change == "bad_ev":
        overrides = Overrides(ev_soc={"ghost": 0.5})
    with pytest.raises(InputError) as err:
        build_inputs(s, idx, pv, load, series(idx, 10.0), overrides=overrides)
    assert field in str(err.value)


def test_inputs_are_frozen() -> None:
    inputs = tiny_inputs()
    with pytest.raises(ValueError, match="read-only"):
        inputs.price_jpy_per_kwh[0] = 1.0
    with pytest.raises(AttributeError):
        inputs.wheeling_jpy_per_kwh = 0.0


def test_plug_window_off_the_slot_grid_counts_only_whole_slots() -> None:
    # Arrives 18:15, leaves 07:15 (next day): the 18:00 and 07:00 slots are only partly at the charger, so the
    # car is plugged 18:30 .. 06:30 and its departure target sits on the 06:30 slot (the last whole one).
    base = load_builtin("tiny").evs[0]
    window = base.weekday[0].model_copy(update={"start": dt.time(18, 15), "end": dt.time(7, 15)})
    ev = base.model_copy(update={"weekday": [window]})
    plugged, target = plug_schedule(ev, day_index(dt.date(2024, 8, 1), 48))  # Thursday after a weekday
    assert plugged[:14].sum() == 14
    assert plugged[14:37].sum() == 0
    assert plugged[37:].sum() == 11  # from 18:30
    assert np.flatnonzero(target).tolist() == [13]
    assert target[13] == pytest.approx(window.departure_soc)


def test_battery_floor_is_the_followers_floor() -> None:
    # tiny's centre battery: soc_min 0.1 (schema default), reserve_soc 0.5, 16.4 kWh: both the plan and the
    # real-time follower stop discharging at 0.5 x 16.4 = 8.2 kWh (scenarios.assets.Battery.floor_soc).
    scenario_battery = load_builtin("tiny").facility("centre").batteries[0]
    assert scenario_battery.floor_soc == 0.5
    planned = tiny_inputs().batteries[0]
    assert planned.floor_kwh == pytest.approx(scenario_battery.floor_soc * scenario_battery.capacity_kwh)
    assert planned.lower_kwh == pytest.approx(8.2)
    assert planned.soc_min_kwh == pytest.approx(1.64)  # the shelter reserve is still counted above soc_min
