"""Survival analysis with the plan's physics, worked by hand: V2H cars take turns on one charger, a V2L outlet
feeds the circuit alone unless the wiring allows summing, a PHEV's engine runs on its fuel, per-start car delays
and battery SoC, normal-operation SoC, and the by-month / by-hour tables."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from outage_cases import ideal_battery

from optimizer.outage import CarSupport, SurvivalInput, survival_hours
from optimizer.outage.normal_soc import baseline_battery_kwh
from optimizer.outage.survival_tables import grouped_probability

INDEX = pd.date_range("2024-07-31T00:00", periods=3 * 48, freq="30min", tz="Asia/Tokyo")
N = len(INDEX)


def _one_shelter(cars: tuple[CarSupport, ...], battery_kwh: float = 0.0, **kw: object) -> SurvivalInput:
    bat = replace(ideal_battery(battery_kwh, power=0.5), soc_start=1.0) if battery_kwh else None
    return SurvivalInput(
        index=INDEX,
        shelter_ids=("s",),
        critical_kw=np.ones((N, 1)),
        pv_kw=np.zeros((N, 1)),
        batteries=(bat,),
        duration_slots=24,
        cars=cars,
        **kw,  # type: ignore[arg-type]
    )


def _car(name: str, kwh: float, v2h: bool = True, **kw: object) -> CarSupport:
    return CarSupport(name, 0, 1.0, kwh, 0, 1.0, v2h=v2h, **kw)  # type: ignore[arg-type]


def test_two_cars_take_turns_on_one_charger() -> None:
    cars = (_car("a", 2.0), _car("b", 2.0))
    one = survival_hours(_one_shelter(cars, chargers=(1,)))
    assert np.all(one[:, 0] == 4.0)  # 1 kW load: a for 2 h, then b for 2 h
    half = replace(_one_shelter(cars, chargers=(1,)), critical_kw=np.full((N, 1), 1.5))
    assert np.all(survival_hours(half)[:, 0] == 0.0)  # one 1-kW car at a time cannot carry 1.5 kW
    # two chargers: a at 1 kW and b at 0.5 kW for 2 h until a is empty; then b alone cannot carry 1.5 kW
    assert np.all(survival_hours(replace(half, chargers=(2,)))[:, 0] == 2.0)


def test_a_v2l_outlet_is_not_summed_with_the_battery_without_parallel_wiring() -> None:
    cars = (_car("phev", 2.0, v2h=False),)
    alone = survival_hours(_one_shelter(cars, battery_kwh=1.0, chargers=(0,), v2l_parallel=(False,)))
    # the battery's 0.5 kW cannot carry 1 kW: the outlet feeds the circuit alone for 2 h, then nothing does
    assert np.all(alone[:, 0] == 2.0)
    summed = survival_hours(_one_shelter(cars, battery_kwh=1.0, chargers=(0,), v2l_parallel=(True,)))
    # summed: battery 0.5 + car 0.5 kW for 2 h (battery empty), then the car's last 1 kWh at 1 kW
    assert np.all(summed[:, 0] == 3.0)


def test_a_phev_engine_adds_its_fuel_after_the_battery() -> None:
    plain = survival_hours(_one_shelter((_car("phev", 1.0, v2h=False),)))
    engine = survival_hours(_one_shelter((_car("phev", 1.0, v2h=False, engine_kw=1.0, fuel_kwh=2.0),)))
    assert np.all(plain[:, 0] == 1.0)
    assert np.all(engine[:, 0] == 3.0)  # 1 kWh of battery, then 2 kWh of fuel at 1 kW


def test_per_start_car_delays_and_battery_energy() -> None:
    delays = np.zeros(N - 24 + 1, dtype=int)
    delays[1::2] = 4  # every other start the car is still on its way for 2 h
    data = _one_shelter((_car("a", 2.0, delay_by_start=delays),))
    hours = survival_hours(data)[:, 0]
    assert np.all(hours[0::2] == 2.0)
    assert np.all(hours[1::2] == 0.0)
    levels = np.zeros((N - 24 + 1, 1))
    levels[:, 0] = np.where(np.arange(len(levels)) % 2 == 0, 1.0, 3.0)
    bat = replace(_one_shelter((), battery_kwh=4.0, battery_start_kwh=levels), critical_kw=np.full((N, 1), 0.5))
    got = survival_hours(bat, with_evs=False)[:, 0]
    assert np.all(got[0::2] == 2.0)
    assert np.all(got[1::2] == 6.0)


def test_normal_operation_soc_follows_the_baseline_battery_rule() -> None:
    load = np.array([[1.0], [1.0], [1.0], [1.0], [1.0]])
    pv = np.array([[3.0], [3.0], [0.0], [0.0], [0.0]])
    levels = baseline_battery_kwh(
        load,
        pv,
        np.array([1.0]),
        np.array([1.0]),
        np.array([4.0]),
        (np.array([2.0]), np.array([2.0])),
        (np.array([1.0]), np.array([1.0])),
    )
    # +2 kW × 0.5 h twice (1 → 3 kWh), then -1 kW × 0.5 h until the 1-kWh floor
    assert levels[:, 0].tolist() == [1.0, 2.0, 3.0, 2.5, 2.0]


def test_probability_by_start_month_and_hour() -> None:
    data = _one_shelter(())
    starts = data.starts  # 2024-07-31 00:00 .. 08-02 12:00 JST
    hours = np.where((starts.month == 8) | (starts.hour >= 12), 24.0, 0.0)[:, None]
    by_month = grouped_probability(data, hours, "month", 24.0)
    assert by_month.loc["s", 7] == 0.5
    assert by_month.loc["s", 8] == 1.0
    by_hour = grouped_probability(data, hours, "hour", 24.0, bin_hours=12)
    assert [int(h) for h in by_hour.columns] == [0, 12]
    assert by_hour.loc["s", 12] == 1.0
    morning = starts.hour < 12
    assert by_hour.loc["s", 0] == (starts[morning].month == 8).mean()


def test_the_comfort_tier_uses_only_pv_the_battery_cannot_take() -> None:
    from optimizer.outage.survival import simulate_tiers

    pv = np.zeros((N, 1))
    pv[:4] = 4.0  # 4 kW for the first 2 h of the series, then dark
    comfort = np.full((N, 1), 1.0)
    data = replace(_one_shelter((), battery_kwh=2.0), pv_kw=pv, comfort_kw=comfort)
    hours, served, comfort_h = simulate_tiers(data, with_evs=False)
    # start 0: 4 kW PV - 1 kW critical = 3 kW spare; the full battery takes nothing, so comfort is served for
    # the 2 sunny hours; after dark the battery's 2 kWh carry the critical load only (at 0.5 kW: 1 h short)
    assert comfort_h[0, 0] == 2.0
    assert served[0, 0] == 2.0
    assert comfort_h[10:, 0].max() == 0.0  # no sun in any later start's window
    plain = simulate_tiers(replace(data, comfort_kw=None), with_evs=False)
    np.testing.assert_array_equal(plain[0], hours)  # comfort never takes from tiers 1 and 2
