"""The planners with a PHEV's engine and the comfort tier (tier 3), worked out by hand: the engine serves a
shelter from its fuel when the battery is empty, within engine_kw and the outlet's kW; the comfort tier is
served only after tiers 1 and 2 everywhere, never at their expense."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from outage_cases import START, car, ideal_battery, two_shelters

from optimizer.outage import OutageInput, OutagePlan, OutageShelter, greedy_plan, plan_outage
from optimizer.outage.from_scenario import input_from_scenario
from optimizer.outage.model import candidate_sets
from optimizer.outage.solve import greedy_stations
from scenarios.loader import load_scenario

N = 8  # 4 h of 30-min slots, one relocation block
FORMULATIONS = ("two-phase", "exact")


def phev_case(engine_kw: float, v2l_kw: float, fuel_kwh: float) -> OutageInput:
    """Shelter A (1 kW, all tier 1, no battery, no PV, no charger) and a depot one slot and 5 km away. The car
    (10 kWh, 0.2 kWh/km, V2L) holds 2 kWh with a 1 kWh floor: exactly the 1 kWh of the trip above its floor,
    so it arrives at 14:30 with an empty battery and only its engine can give."""
    shelters = (OutageShelter("A", np.full(N, 1.0), np.zeros(N)),)
    km = np.array([[0.0, 5.0], [5.0, 0.0]])
    steps = np.array([[0, 1], [1, 0]])
    ev = replace(car(site=1, kwh=10.0, v2l=v2l_kw, floor=0.1), soc_start=0.2, engine_kw=engine_kw, fuel_kwh=fuel_kwh)
    return OutageInput(
        start=START,
        shelters=shelters,
        evs=(ev,),
        site_ids=("A", "depot"),
        distance_km=km,
        travel_slots=steps,
        n_slots=N,
        block_slots=N,
        early_weight=0.0,
    )


def plans(data: OutageInput) -> dict[str, OutagePlan]:
    """The greedy plan and the plans of both MILP formulations."""
    out = {"greedy": greedy_plan(data)}
    for f in FORMULATIONS:
        out[f] = plan_outage(data, time_limit_s=30, formulation=f)
    return out


@pytest.mark.parametrize(
    ("engine_kw", "v2l_kw", "fuel_kwh", "served"),
    [
        (1.5, 1.5, 2.5, 2.5),  # the fuel's 2.5 kWh at 1 kW: 2.5 h of tier 1 (of the 3.5 h after arrival)
        (0.6, 1.5, 2.5, 2.1),  # engine_kw binds: 0.6 kW x 3.5 h
        (1.5, 0.5, 2.5, 1.75),  # the outlet binds: 0.5 kW x 3.5 h
        (1.5, 1.5, 5.0, 3.5),  # enough fuel: tier 1 from arrival to the end
    ],
)
def test_phev_engine_serves_from_its_fuel(engine_kw: float, v2l_kw: float, fuel_kwh: float, served: float) -> None:
    data = phev_case(engine_kw, v2l_kw, fuel_kwh)
    for name, plan in plans(data).items():
        assert plan.assignment[0].tolist() == [0], name
        assert plan.served_kwh == pytest.approx(served, abs=1e-4), name
        assert plan.engine_kwh[0] == pytest.approx(served, abs=1e-4), name
        assert plan.ev_kwh[0, 1:] == pytest.approx(np.full(N, 1.0), abs=1e-4), name  # battery stays at its floor
        assert plan.summary()["engine_kwh"] == pytest.approx(served, abs=1e-4), name
        if plan.bound is not None:
            assert plan.bound >= plan.objective - 1e-6, name
        tier1_bound = plan.stages.get("tier1", (0.0, None))[1]
        if tier1_bound is not None:  # the routing relaxation's (or exact MILP's) bound counts the engine
            assert tier1_bound >= plan.tier1_kwh - 1e-6, name


def test_greedy_engine_gives_from_the_start_until_the_fuel_is_gone() -> None:
    plan = greedy_plan(phev_case(1.5, 1.5, 2.5))
    # 14:00 dark (car on the road), 14:30-16:59 served (2.5 kWh at 1 kW), 17:00 onwards dark
    assert plan.served_kw[:, 0].tolist() == pytest.approx([0, 1, 1, 1, 1, 1, 0, 0])
    assert plan.shelter_table().loc["A", "dark_at"] == pd.Timestamp("2024-09-01T14:00", tz="Asia/Tokyo").isoformat()


def test_without_fuel_or_engine_the_empty_phev_cannot_serve() -> None:
    for data in (phev_case(1.5, 1.5, 0.0), phev_case(0.0, 1.5, 2.5)):
        for name, plan in plans(data).items():
            assert plan.served_kwh == pytest.approx(0.0, abs=1e-6), name
            assert plan.engine_kwh.sum() == pytest.approx(0.0), name


def test_a_phev_at_its_floor_is_usable_only_with_fuel() -> None:
    data = phev_case(1.5, 1.5, 2.5)
    at_floor = replace(data.evs[0], soc_start=0.1)
    assert replace(data, evs=(at_floor,)).usable_evs == (at_floor,)
    assert replace(data, evs=(replace(at_floor, fuel_kwh=0.0),)).usable_evs == ()
    assert replace(data, evs=(replace(at_floor, engine_kw=0.0),)).usable_evs == ()


def test_battery_first_then_engine() -> None:
    # 3 kWh above the floor: 1 kWh drives, 2 kWh delivered, then 1 kWh of fuel: 3 kWh served of the 3.5 kWh
    data = phev_case(1.5, 1.5, 1.0)
    data = replace(data, evs=(replace(data.evs[0], soc_start=0.4),))
    for name, plan in plans(data).items():
        assert plan.served_kwh == pytest.approx(3.0, abs=1e-4), name
        assert plan.engine_kwh[0] == pytest.approx(1.0, abs=1e-4), name


def comfort_case(b_tier1: float = 0.0) -> OutageInput:
    """A: 1 kW critical, a 6 kWh battery (5 kW, ideal), a comfort tier of 2 kW, V2L outlets summed with the
    building supply; B: 1 kW critical (tier 1 b_tier1 kW, the rest tier 2), nothing else; one car (10 kWh, 2 kW
    V2L) at a depot one slot and 5 km (1 kWh) from both. A's battery covers A's critical 4 kWh with 2 kWh to
    spare. The car at A would make all 8 kWh of comfort possible; at B it serves 3.5 kWh of tiers 1 and 2."""
    shelters = (
        OutageShelter(
            "A", np.full(N, 1.0), np.zeros(N), battery=ideal_battery(6.0), v2l_parallel=True, comfort_kw=np.full(N, 2.0)
        ),
        OutageShelter("B", np.full(N, 1.0), np.zeros(N), tier1_kw=np.full(N, b_tier1)),
    )
    geometry = two_shelters((car(site=2, kwh=10.0, v2l=2.0),), block_slots=N, n_slots=N)  # A, B, depot 5 km apart
    return replace(geometry, shelters=shelters)


@pytest.mark.parametrize("b_tier1", [0.0, 0.5])
@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_tiers_1_and_2_everywhere_before_comfort_anywhere(formulation: str, b_tier1: float) -> None:
    plan = plan_outage(comfort_case(b_tier1), time_limit_s=30, formulation=formulation)
    assert plan.assignment[0].tolist() == [1]  # to B's tier 2 (3.5 kWh), not A's comfort (8 kWh)
    table = plan.shelter_table()
    assert table.loc["A", "served_kwh"] == pytest.approx(4.0, abs=1e-4)
    assert table.loc["B", "served_kwh"] == pytest.approx(3.5, abs=1e-4)
    # comfort at A only from the battery's spare 2 kWh once A's critical load is safe
    assert table.loc["A", "comfort_kwh"] == pytest.approx(2.0, abs=1e-4)
    assert table.loc["B", "comfort_kwh"] == pytest.approx(0.0)
    assert plan.summary()["comfort_kwh"] == pytest.approx(2.0, abs=1e-4)
    assert plan.summary()["comfort_demand_kwh"] == pytest.approx(8.0)
    assert "comfort" in plan.stages
    rows = {r["shelter"]: r for r in plan.to_dict()["shelters"]}
    assert rows["A"]["comfort_kwh"] == pytest.approx(2.0, abs=1e-4)
    assert rows["A"]["comfort_hours"] <= 1.0 + 1e-9  # 2 kWh at 2 kW: at most 1 h fully served


def test_comfort_never_takes_from_critical_load_later() -> None:
    # A alone, 1 kWh battery (full), PV 3 kW for the first 2 h then none; critical 1 kW, comfort 1 kW. PV
    # serves the critical load and 1 kW of comfort for 2 h (2 kWh); the battery keeps the critical load 1 h
    # more (3 kWh critical in all): comfort from the battery would darken a critical slot.
    pv = np.array([3.0] * 4 + [0.0] * 4)
    shelter = OutageShelter(
        "A", np.full(N, 1.0), pv, battery=ideal_battery(1.0), comfort_kw=np.full(N, 1.0), grid_forming=True
    )
    empty = phev_case(0.0, 1.5, 0.0).evs[0]  # arrives at its floor: runs the MILP, gives nothing
    data = OutageInput(
        start=START,
        shelters=(shelter,),
        evs=(empty,),
        site_ids=("A", "depot"),
        distance_km=np.array([[0.0, 5.0], [5.0, 0.0]]),
        travel_slots=np.array([[0, 1], [1, 0]]),
        n_slots=N,
        block_slots=N,
        early_weight=0.0,
    )
    for name, plan in (("greedy", greedy_plan(data)), ("milp", plan_outage(data, time_limit_s=30))):
        table = plan.shelter_table()
        assert table.loc["A", "served_kwh"] == pytest.approx(3.0, abs=1e-4), name
        assert table.loc["A", "comfort_kwh"] == pytest.approx(2.0, abs=1e-4), name
        assert table.loc["A", "comfort_hours"] == pytest.approx(2.0), name


def test_scenario_phevs_and_comfort_reach_the_planner_input() -> None:
    scenario = load_scenario("yamaguchi")
    start = pd.Timestamp("2024-09-01T14:00", tz="Asia/Tokyo")
    data = input_from_scenario(scenario, start, 8, {})
    phevs = [e for e in data.evs if e.engine_kw > 0]
    assert [e.id for e in phevs] == [e.id for e in scenario.evs if e.engine_kw > 0]
    assert phevs
    assert [e.engine_kwh for e in phevs] == pytest.approx([43.0 * 0.5 * 2.5] * len(phevs))
    assert data.has_comfort


def test_greedy_stations_of_later_blocks_join_the_candidates() -> None:
    # A has a 20 kWh battery (no need), B goes dark at 17:00; the car is free from 16:00 (block 1) and its one
    # candidate by distance is A. Greedy sends it to B from block 1: B must be among its MILP candidates, or
    # the greedy plan is no feasible warm start and the MILP cannot match it.
    base = two_shelters(evs=(replace(car(), available_from_slot=4),))
    a = replace(base.shelters[0], battery=ideal_battery(20.0))
    data = replace(base, shelters=(a, base.shelters[1]), candidate_shelters=1)
    greedy = greedy_plan(data)
    assert greedy.assignment[0].tolist() == [-1, 1, 1, 1]
    assert candidate_sets(data)[0] == [0]
    assert candidate_sets(data, greedy_stations(greedy))[0] == [0, 1]
    plan = plan_outage(data, time_limit_s=30, formulation="exact")
    assert plan.method == "milp"
    assert plan.score >= greedy.score
    assert plan.assignment[0].tolist() == [-1, 1, 1, 1]
