"""Charger and outlet physics and car availability, worked out by hand, for the greedy rule and the MILP:
one V2H charger serves one car at a time at its rating; V2L outlets are not summed with each other or with
PV unless the wiring allows it; PV serves an islanded shelter only with a battery, a grid-forming source or
a self-sustained outlet; a car busy until 18:00 delivers nothing before."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from outage_cases import START, car

from optimizer.outage import OutageEV, OutageInput, OutageShelter, greedy_plan, plan_outage
from optimizer.outage.bound import perfect_relocation_bound
from optimizer.outage.result import OutagePlan

N = 8  # 4 h of 30-min slots

PLANNERS: list[Callable[[OutageInput], OutagePlan]] = [greedy_plan, lambda d: plan_outage(d, time_limit_s=30)]


def one_shelter(shelter: OutageShelter, evs: tuple[OutageEV, ...], travel: int = 0) -> OutageInput:
    """Shelter S (site 0) and a depot (site 1) `travel` slots and 5 km away; one 4-h block, no slot weights."""
    km = np.array([[0.0, 5.0], [5.0, 0.0]]) if travel else np.zeros((2, 2))
    steps = np.array([[0, travel], [travel, 0]])
    return OutageInput(
        start=START,
        shelters=(shelter,),
        evs=evs,
        site_ids=("S", "depot"),
        distance_km=km,
        travel_slots=steps,
        n_slots=N,
        block_slots=N,
        early_weight=0.0,
    )


def flat(kw: float) -> np.ndarray:
    return np.full(N, kw)


@pytest.mark.parametrize("planner", PLANNERS)
def test_one_charger_two_cars_take_turns(planner: Callable[[OutageInput], OutagePlan]) -> None:
    # 6 kW load, one 6 kW V2H charger, two cars at the shelter holding 3 kWh each (6 kW V2H): one car at a
    # time, 30 min each (3 kWh at 6 kW), so the shelter is served two slots (the rule: 0 and 1) and dark
    # otherwise: 6 kWh.
    shelter = OutageShelter("S", flat(6.0), flat(0.0), bidirectional_charger=True, v2h_chargers=1)
    cars = tuple(car(site=0, kwh=3.0, v2h=6.0, v2l=1.5, car_id=f"ev{i}") for i in range(2))
    plan = planner(one_shelter(shelter, cars))
    delivering = (plan.ev_kw[:, :, 0] > 1e-6).sum(axis=0)
    assert delivering.max() == 1  # never two cars on the one charger
    assert plan.ev_kw[:, :, 0].max() == pytest.approx(6.0, abs=1e-6)
    assert plan.served_kwh == pytest.approx(6.0, abs=1e-4)
    turns = [np.flatnonzero(plan.ev_kw[v, :, 0] > 1e-6).tolist() for v in range(2)]
    assert [len(t) for t in turns] == [1, 1]  # one slot each,
    assert turns[0] != turns[1]  # one after the other


@pytest.mark.parametrize("planner", PLANNERS)
def test_two_chargers_serve_two_cars_at_once_and_the_rating_caps_each(
    planner: Callable[[OutageInput], OutagePlan],
) -> None:
    # 20 kW load, two 6 kW chargers, two 10 kW V2H cars with 6 kWh each: 12 kW for one hour (two
    # slots; without slot weights the MILP may pick any two) = 12 kWh.
    shelter = OutageShelter("S", flat(20.0), flat(0.0), bidirectional_charger=True, v2h_chargers=2, v2h_charger_kw=6.0)
    cars = tuple(car(site=0, kwh=6.0, v2h=10.0, v2l=1.5, car_id=f"ev{i}") for i in range(2))
    plan = planner(one_shelter(shelter, cars))
    assert sorted(plan.served_kw[:, 0].tolist())[-2:] == pytest.approx([12.0, 12.0], abs=1e-5)
    assert plan.served_kwh == pytest.approx(12.0, abs=1e-4)
    assert plan.ev_kw.max() <= 6.0 + 1e-6


@pytest.mark.parametrize("planner", PLANNERS)
@pytest.mark.parametrize(("parallel", "kw"), [(False, 1.5), (True, 3.0)])
def test_v2l_outlets_are_summed_only_with_the_wiring(
    planner: Callable[[OutageInput], OutagePlan], parallel: bool, kw: float
) -> None:
    # 3 kW load, no charger, two cars with a 1.5 kW outlet and 10 kWh: one outlet at a time = 1.5 kW for the
    # 4 h (6 kWh of 20), or both with parallel wiring = 3 kW.
    shelter = OutageShelter("S", flat(3.0), flat(0.0), v2l_parallel=parallel)
    cars = tuple(car(site=0, kwh=10.0, v2l=1.5, car_id=f"ev{i}") for i in range(2))
    plan = planner(one_shelter(shelter, cars))
    assert plan.served_kw[:, 0].tolist() == pytest.approx([kw] * N, abs=1e-5)
    assert (plan.ev_kw[:, :, 0] > 1e-6).sum(axis=0).max() == (2 if parallel else 1)


@pytest.mark.parametrize("planner", PLANNERS)
@pytest.mark.parametrize(("parallel", "kw"), [(False, 1.5), (True, 2.0)])
def test_v2l_outlet_is_not_summed_with_pv(
    planner: Callable[[OutageInput], OutagePlan], parallel: bool, kw: float
) -> None:
    # 2 kW load, 1 kW PV on a grid-forming PCS, one 1.5 kW outlet: the outlet alone (1.5 kW beats PV's 1 kW)
    # unless the wiring sums them (1 kW PV + 1 kW from the car).
    shelter = OutageShelter("S", flat(2.0), flat(1.0), grid_forming=True, v2l_parallel=parallel)
    plan = planner(one_shelter(shelter, (car(site=0, kwh=20.0, v2l=1.5),)))
    assert plan.served_kw[:, 0].tolist() == pytest.approx([kw] * N, abs=1e-5)
    assert perfect_relocation_bound(plan.data, slot_weighted=False) >= plan.served_kwh - 1e-6


@pytest.mark.parametrize(
    ("fields", "kw"),
    [({}, 0.0), ({"pv_outlet_kw": 1.5}, 1.5), ({"grid_forming": True}, 2.0)],
)
def test_pv_alone_serves_an_islanded_shelter_only_through_a_self_sustained_outlet(
    fields: dict[str, Any], kw: float
) -> None:
    # 2 kW load, 5 kW PV, no battery, no car: nothing without a grid-forming source, the 1.5 kW outlet with one.
    shelter = replace(OutageShelter("S", flat(2.0), flat(5.0)), **fields)
    plan = greedy_plan(one_shelter(shelter, ()))
    assert plan.served_kw[:, 0].tolist() == pytest.approx([kw] * N)


@pytest.mark.parametrize("planner", PLANNERS)
def test_a_car_busy_until_1800_is_not_used_before(planner: Callable[[OutageInput], OutagePlan]) -> None:
    # Outage from 14:00, 8 h in two 4-h blocks; the car is free from 18:00 (slot 8) at the depot one slot away.
    # It delivers from 18:30 (slot 9) to 22:00: 1 kW in each of the 7 slots (it holds 10 kWh less 1 for the trip).
    n = 16
    shelter = OutageShelter("S", np.ones(n), np.zeros(n))
    busy = replace(car(site=1, kwh=10.0, v2l=1.0, per_km=0.2), available_from_slot=8)
    data = replace(one_shelter(OutageShelter("S", flat(1.0), flat(0.0)), (busy,), travel=1), n_slots=n)
    data = replace(data, shelters=(shelter,))
    plan = planner(data)
    assert plan.ev_kw[0, :9, 0].sum() == 0.0
    assert plan.ev_kw[0, 9:, 0].tolist() == pytest.approx([1.0] * 7, abs=1e-6)
    assert plan.moves[0].depart == data.index[8]


def test_outputs_say_where_each_car_is_and_when_it_is_empty() -> None:
    # The busy car of the test above: 1 kW from 18:30 to 22:00 with 9 kWh on arrival (SoC 0.9), not empty; a
    # 3 kWh car holds 2 kWh on arrival and is empty after 4 slots, at 20:30 (slot 13).
    n = 16
    busy = replace(car(site=1, kwh=10.0, v2l=1.0, per_km=0.2), available_from_slot=8)
    data = replace(one_shelter(OutageShelter("S", np.ones(n), np.zeros(n)), (busy,), travel=1), n_slots=n)
    for ev, empty in ((busy, None), (replace(busy, capacity_kwh=3.0), data.index[13])):
        plan = greedy_plan(replace(data, evs=(ev,)))
        cars = plan.car_table()
        assert cars["where"].tolist() == ["busy"] * 8 + ["to S"] + ["S"] * 7
        move = plan.moves[0]
        assert (move.outlet, move.until, move.empty_at) == ("V2L", data.index[-1] + pd.Timedelta(minutes=30), empty)
        assert move.arrival_soc == pytest.approx((ev.capacity_kwh - 1.0) / ev.capacity_kwh)
    assert cars["soc"].iloc[-1] == pytest.approx(0.0, abs=1e-6)
