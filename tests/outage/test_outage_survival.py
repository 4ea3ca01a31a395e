"""Survival analysis: hand-checked hours, EV support, and no EVs == the battery-only simulation."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from outage_cases import ideal_battery

from optimizer.outage import CarSupport, SurvivalInput, survival_hours, survival_table
from optimizer.outage.inputs import StationaryBattery

INDEX = pd.date_range("2024-07-01", periods=4 * 48, freq="30min", tz="Asia/Tokyo")


def _input(
    batteries: tuple[StationaryBattery | None, ...],
    pv: np.ndarray,
    load: np.ndarray,
    duration: int = 48,
    cars: tuple[CarSupport, ...] = (),
) -> SurvivalInput:
    return SurvivalInput(
        index=INDEX,
        shelter_ids=tuple(f"s{j}" for j in range(load.shape[1])),
        critical_kw=load,
        pv_kw=pv,
        batteries=batteries,
        duration_slots=duration,
        cars=cars,
    )


def test_flat_load_battery_only_survives_capacity_over_load() -> None:
    n = len(INDEX)
    data = _input((ideal_battery(4.0), None), np.zeros((n, 2)), np.ones((n, 2)))
    hours = survival_hours(data, with_evs=False)
    assert hours.shape == (n - 48 + 1, 2)
    assert np.all(hours[:, 0] == 4.0)
    assert np.all(hours[:, 1] == 0.0)


def test_ev_support_adds_its_energy_after_its_delay() -> None:
    n = len(INDEX)
    cars = (
        CarSupport("ev", shelter=1, power_kw=1.0, usable_kwh=3.0, delay_slots=0, efficiency=1.0),
        CarSupport("ev2", shelter=0, power_kw=1.0, usable_kwh=3.0, delay_slots=2, efficiency=1.0),
    )
    data = _input((ideal_battery(4.0), None), np.zeros((n, 2)), np.ones((n, 2)), cars=cars)
    with_ev = survival_hours(data, with_evs=True)
    assert np.all(with_ev[:, 1] == 3.0)
    assert np.all(with_ev[:, 0] == 7.0)  # battery 4 h, then the car that arrived at 1 h
    table = survival_table(data, thresholds_h=(6.0, 24.0))
    assert table.loc["s0", ("no_ev", "mean_h")] == 4.0
    assert table.loc["s0", ("ev", "p_6h")] == 1.0
    assert table.loc["s0", ("no_ev", "p_6h")] == 0.0


def _scalar_battery_only(
    load: np.ndarray, pv: np.ndarray, bat: StationaryBattery | None, start: int, duration: int, h: float = 0.5
) -> float:
    """Straightforward per-start loop: PV first, surplus charges, else discharge; first shortfall."""
    level = bat.start_kwh if bat else 0.0
    for k in range(duration):
        net = load[start + k] - pv[start + k]
        if bat is None:
            if net > 1e-4:
                return k * h
            continue
        if net < 0:
            level += (
                h
                * bat.charge_efficiency
                * min(-net, bat.charge_kw, (bat.ceiling_kwh - level) / (bat.charge_efficiency * h))
            )
        else:
            give = min(net, bat.discharge_kw, (level - bat.floor_kwh) * bat.discharge_efficiency / h)
            level -= give * h / bat.discharge_efficiency
            if net - give > 1e-4:
                return k * h
    return duration * h


def test_no_evs_equals_battery_only_simulation() -> None:
    rng = np.random.default_rng(7)
    n = len(INDEX)
    hours_of_day = INDEX.hour + INDEX.minute / 60
    sun = np.clip(np.sin((hours_of_day - 6) / 12 * np.pi), 0, None)
    load = rng.uniform(1.0, 2.6, size=(n, 3))
    pv = np.column_stack([12 * sun * rng.uniform(0.3, 1.0, n), 5 * sun, np.zeros(n)])
    bats = (
        replace(ideal_battery(16.4, eff=0.95), soc_start=0.6, soc_min=0.1, soc_max=0.95),
        replace(ideal_battery(9.8, power=2.0, eff=0.9), soc_start=0.3),
        None,
    )
    cars = (CarSupport("ev", shelter=2, power_kw=1.5, usable_kwh=30.0, delay_slots=1),)
    data = _input(bats, pv, load, duration=72, cars=cars)
    vector = survival_hours(data, with_evs=False)
    expected = np.array(
        [[_scalar_battery_only(load[:, j], pv[:, j], bats[j], s, 72) for j in range(3)] for s in range(data.n_starts)]
    )
    np.testing.assert_allclose(vector, expected)
    np.testing.assert_allclose(survival_hours(replace(data, cars=()), with_evs=True), expected)
    assert survival_hours(data, with_evs=True)[:, 2].min() == 0.0  # the car arrives after the first slot


def test_too_short_series_is_refused() -> None:
    n = len(INDEX)
    data = _input((None,), np.zeros((n, 1)), np.ones((n, 1)), duration=n + 1)
    with pytest.raises(ValueError, match="fewer than the duration"):
        survival_hours(data)


def test_survival_uses_pv_without_a_battery_only_through_the_self_sustained_outlet() -> None:
    import numpy as np

    from optimizer.outage.survival_from_scenario import islanded_pv
    from scenarios.loader import load_scenario

    school = load_scenario("tiny").facility("school")
    assert not school.batteries
    pv = np.array([0.0, 1.0, 5.0])
    assert islanded_pv(school, pv).tolist() == [0.0, 0.0, 0.0]
    outlet = school.model_copy(
        update={"pv_arrays": [school.pv_arrays[0].model_copy(update={"self_sustained_kw": 1.5})]}
    )
    assert islanded_pv(outlet, pv).tolist() == [0.0, 1.0, 1.5]
    centre = load_scenario("tiny").facility("centre")
    assert islanded_pv(centre, pv).tolist() == pv.tolist()  # a battery forms the grid
