"""The fleet relaxation bounds every plan (hand-computed values, and above the exact MILP's optimum) and the
packing routing, checked by hand."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from outage_cases import car, ideal_battery, two_shelters

from optimizer.outage import OutageShelter, plan_outage
from optimizer.outage.fleet_bound import car_classes, count_bound, first_trip_kwh, fleet_bounds
from optimizer.outage.packing import packing_assignment, tier1_need
from optimizer.outage.solve import complete_candidates


def test_tier1_bound_by_hand_two_shelters() -> None:
    # A: 2 kWh battery, B: 6 kWh, both 1 kW for 16 slots (8 h): 16 kWh of load, 8 kWh stored. The 10 kWh, 1 kW
    # car delivers from slot 1 (one slot's trip), at most 1 kW wherever it is: 15 slots x 0.5 h = 7.5 kWh.
    # Everything else can be timed around it, so the bound is 8 + 7.5 = 15.5 kWh, not 16.
    bounds = fleet_bounds(two_shelters(), plan_full=1)
    assert bounds["tier1"] == pytest.approx(15.5, abs=1e-3)


def test_full_bound_by_hand_two_shelters() -> None:
    # both shelters bridge until the car could arrive (slot 1), so the cut allows 2; the LP cannot serve both
    # fully (0.5 kWh short, above), so the count bound is 1.
    data = two_shelters()
    assert count_bound(data) == 2
    assert fleet_bounds(data, plan_full=1)["full"] == 1.0


def test_the_first_trip_is_paid_before_anything_is_delivered() -> None:
    # a 3 kWh car 5 km away at 0.2 kWh/km arrives with 2 kWh: bound 8 (batteries) + 2 = 10 kWh.
    data = two_shelters((car(kwh=3.0),))
    assert first_trip_kwh(data, 0) == pytest.approx(1.0)
    assert fleet_bounds(data, plan_full=0)["tier1"] == pytest.approx(10.0, abs=1e-3)


def test_a_late_car_serves_nothing_before_it_can_arrive() -> None:
    # one shelter, no battery, 1 kW for 16 slots; the car is free at slot 4 and one slot away: from slot 5,
    # 11 slots x 0.5 h = 5.5 kWh; nothing can be fully served.
    base = two_shelters()
    shelter = OutageShelter("A", np.ones(16), np.zeros(16))
    data = replace(base, shelters=(shelter,), site_ids=("A", "depot"), distance_km=np.array([[0.0, 5.0], [5.0, 0.0]]))
    data = replace(data, travel_slots=np.array([[0, 1], [1, 0]]), evs=(replace(car(site=1), available_from_slot=4),))
    bounds = fleet_bounds(data, plan_full=0)
    assert bounds["full"] == 0.0
    assert bounds["tier1"] == pytest.approx(5.5, abs=1e-3)


def test_identical_cars_are_one_class_with_the_same_bound() -> None:
    twins = two_shelters((car(car_id="a"), car(car_id="b")))
    assert car_classes(twins) == [(0, 2)]
    almost = two_shelters((car(car_id="a"), replace(car(car_id="b"), soc_start=0.999999)))
    assert len(car_classes(almost)) == 2
    assert fleet_bounds(twins, 0)["tier1"] == pytest.approx(fleet_bounds(almost, 0)["tier1"], abs=1e-3)


@pytest.mark.parametrize("cars", [1, 2])
def test_bounds_hold_above_the_exact_optimum(cars: int) -> None:
    data = two_shelters(tuple(car(kwh=4.0 + k, car_id=f"ev{k}") for k in range(cars)))
    exact = plan_outage(data, 30.0, formulation="exact")
    assert exact.status == "optimal"
    bounds = fleet_bounds(data, plan_full=int(exact.score[0]))
    assert bounds["full"] >= exact.score[0]
    assert bounds["tier1"] >= exact.tier1_kwh - 1e-6


def test_two_phase_reports_the_fleet_bounds_stage_by_stage() -> None:
    plan = plan_outage(two_shelters((car(kwh=4.0),)), 30.0)
    full, tier1 = plan.stages["full"], plan.stages["tier1"]
    assert full[0] == plan.score[0]
    assert full[1] is not None
    assert full[1] >= full[0]
    assert tier1[0] == pytest.approx(plan.tier1_kwh)
    assert tier1[1] is not None
    assert tier1[1] >= plan.tier1_kwh - 1e-6


def test_tier1_need_without_and_with_a_lone_v2l_outlet() -> None:
    # 1 kW tier 1, 0.5 kW of PV in slots 0-3 only, no battery: short 0.5 kW in slots 0-3 and 1 kW after; a car on
    # a lone V2L outlet replaces the PV in the slots it feeds, so it must carry the whole 1 kW in each.
    pv = np.r_[np.full(4, 0.5), np.zeros(4)]
    shelter = OutageShelter("A", np.ones(8), pv, pv_outlet_kw=1.0)
    data = replace(two_shelters(n_slots=8), shelters=(shelter, two_shelters(n_slots=8).shelters[1]))
    assert tier1_need(data, 0, whole_slot=False).tolist() == [0.5] * 4 + [1.0] * 4
    assert tier1_need(data, 0, whole_slot=True).tolist() == [1.0] * 8


def test_packing_sends_the_big_car_where_the_need_is_big() -> None:
    # A needs 1 kW, B 0.25 kW, no batteries, 16 slots; from slot 1: A 7.5 kWh, B 1.875 kWh. Cars of 8 and 2 kWh
    # (1 kWh for the trip): the big one (7 kWh left) to A, the small one (1 kWh left) to B.
    base = two_shelters()
    a = OutageShelter("A", np.ones(16), np.zeros(16))
    b = OutageShelter("B", np.full(16, 0.25), np.zeros(16))
    data = replace(base, shelters=(a, b), evs=(car(kwh=2.0, car_id="small"), car(kwh=8.0, car_id="big")))
    assignment = packing_assignment(data)
    assert assignment is not None
    assert assignment[:, -1].tolist() == [1, 0]
    plan = plan_outage(data, 30.0)
    assert plan.tier1_kwh == pytest.approx(7.0 + 1.0, abs=1e-4)  # both cars emptied into tier 1


def test_packing_keeps_a_shelter_that_bridges_fully_served() -> None:
    # A has a 1 kWh battery (bridges 1 h) and needs 3.5 kWh more over the 4 h; B (no battery) can never be fully
    # served. One car with 4.5 kWh (3.5 after the trip) should go to A and make it full.
    base = two_shelters(n_slots=8)
    a = OutageShelter("A", np.ones(8), np.zeros(8), battery=ideal_battery(1.0))
    b = OutageShelter("B", np.full(8, 2.0), np.zeros(8))
    data = replace(base, shelters=(a, b), evs=(car(kwh=4.5, v2l=2.0),))
    assignment = packing_assignment(data)
    assert assignment is not None
    assert assignment[0, -1] == 0


def test_the_routing_relaxation_bounds_too_when_its_candidates_are_every_shelter() -> None:
    complete = two_shelters()
    plan = plan_outage(complete, 30.0)
    assert complete_candidates(complete, {0: [0, 1]})
    assert plan.stages["tier1"][1] == pytest.approx(plan.tier1_kwh, abs=1e-3)  # closed (the fleet bound: 15.5)
    assert plan.tier1_kwh < 15.5 - 0.1
    partial = replace(complete, candidate_shelters=1)
    assert not complete_candidates(partial, {0: [0]})
    assert plan_outage(partial, 30.0).stages["tier1"][1] == pytest.approx(15.5, abs=1e-3)


def test_a_car_pays_for_the_share_it_delivers_far_away() -> None:
    # A (1 km from the depot, 1 kW in slots 1-2 only: 1 kWh) and B (10 km, 1 kW), no batteries, 16 slots; a 6 kWh
    # car (eff 1, 0.2 kWh/km, 1 kW) free at once, one slot from each, with time to spare. Each kWh delivered at
    # s costs 0.2 x km(s) / 6 kWh of driving as well: 1.0333 at A, 1.3333 at B, so A's 1 kWh first, then B gets
    # (6 - 1.0333) / 1.3333 = 3.725 kWh; 4.725 in all (the first trip alone would allow 5.8).
    base = two_shelters()
    a = OutageShelter("A", np.r_[0.0, 1.0, 1.0, np.zeros(13)], np.zeros(16))
    b = OutageShelter("B", np.ones(16), np.zeros(16))
    km = np.array([[0.0, 9.5, 1.0], [9.5, 0.0, 10.0], [1.0, 10.0, 0.0]])
    data = replace(base, shelters=(a, b), distance_km=km, evs=(car(kwh=6.0),))
    expected = 1.0 + (6.0 - 1.0 * (1 + 0.2 / 6)) / (1 + 2.0 / 6)
    assert fleet_bounds(data, plan_full=0)["tier1"] == pytest.approx(expected, abs=1e-3)
    assert plan_outage(data, 30.0).tier1_kwh <= expected + 1e-6


def test_the_summary_states_the_stage_bounds_in_kwh() -> None:
    plan = plan_outage(two_shelters(), 30.0)
    summary = plan.summary()
    assert summary["full_bound"] == plan.stages["full"][1]
    assert summary["tier1_bound_kwh"] == plan.stages["tier1"][1]
    bound = summary["tier1_bound_kwh"]
    assert summary["tier1_gap"] == pytest.approx(max(bound - plan.tier1_kwh, 0.0) / bound)
