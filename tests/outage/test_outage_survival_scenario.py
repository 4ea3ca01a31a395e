"""Survival from the Yamaguchi scenario as REopt does it: the starting SoC from normal operation per start, the
plan's greedy allotment with its outlet rules, the fleet calendar per start, PHEV fuel from the scenario."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimizer.outage import SurvivalInput
from runtime.facades import outage_survival
from scenarios.loader import load_scenario
from scenarios.model import Scenario

START = pd.Timestamp("2024-09-06T00:00", tz="Asia/Tokyo")  # a Friday; the period runs into the weekend


@pytest.fixture(scope="module")
def yamaguchi() -> Scenario:
    return load_scenario("yamaguchi")


@pytest.fixture(scope="module")
def data(yamaguchi: Scenario) -> SurvivalInput:
    return outage_survival.survival_data(yamaguchi, START, START + pd.Timedelta(days=2), hours=24)


def test_starting_soc_comes_from_normal_operation(yamaguchi: Scenario, data: SurvivalInput) -> None:
    levels = data.battery_start_kwh
    assert levels is not None
    assert levels.shape == (96, 21)
    j = data.shelter_ids.index("ato-cc")
    bat = data.batteries[j]
    assert bat is not None
    # on Friday the load takes all PV and the battery sits at its floor, 0.1 x 16.4 + 4 h x 1.5 kW reserve
    # = 7.64 kWh, below max(soc_min, reserve_soc 0.5) = 8.2 kWh; on Saturday the PV surplus charges it
    friday = levels[:48, j]
    assert friday[4:].max() == pytest.approx(8.2)
    assert levels[48:, j].max() > 12.0
    assert (levels[:, j] <= bat.soc_max * bat.capacity_kwh + 1e-9).all()
    fixed = outage_survival.survival_data(yamaguchi, START, START + pd.Timedelta(days=2), hours=24, start_soc="initial")
    assert fixed.battery_start_kwh is None


def test_cars_follow_the_plans_rule_and_the_calendar(yamaguchi: Scenario, data: SurvivalInput) -> None:
    cars = {c.car: c for c in data.cars}
    assert cars, "the greedy rule sends some car"
    phevs = [c for c in cars.values() if c.car.startswith("phev")]
    for c in phevs:
        assert not c.v2h
        assert c.engine_kw == 1.5
        assert c.fuel_kwh == pytest.approx(43 * 0.5 * 2.5)
    for c in cars.values():
        shelter = yamaguchi.facility(data.shelter_ids[c.shelter])
        car = next(e for e in yamaguchi.evs if e.id == c.car)
        assert c.v2h == (any(x.bidirectional for x in shelter.ev_chargers) and car.v2h_kw > 0)
        assert c.delay_by_start is not None
        assert len(c.delay_by_start) == data.n_starts
    city = next(c for c in cars.values() if not c.car.startswith("dealer"))
    saturday_2pm = list(data.starts).index(pd.Timestamp("2024-09-07T14:00", tz="Asia/Tokyo"))
    # car-sharing until 20:00 + a driver in 1 h = 7 h = 14 slots, plus the travel to its shelter
    assert city.delay_by_start is not None
    assert city.delay_by_start[saturday_2pm] == 14 + city.delay_slots


def test_the_calendar_lowers_survival_against_free_cars(yamaguchi: Scenario, data: SurvivalInput) -> None:
    free = outage_survival.survival_data(yamaguchi, START, START + pd.Timedelta(days=2), hours=24, calendar=False)
    with_calendar = outage_survival.analyse(data).table[("ev", "served_mean_h")]
    without = outage_survival.analyse(free).table[("ev", "served_mean_h")]
    assert (with_calendar <= without + 1e-9).all()
    assert with_calendar.sum() < without.sum()
    by_month = outage_survival.analyse(data).by_month["ev"]
    assert [int(m) for m in by_month.columns] == [9]
    assert np.isfinite(by_month.to_numpy()).all()
