"""Day trips and the part-by-part dispatch, worked out by hand.

Shelter P needs tier 1 only at some hours (1 kW), shelter D all the time (1 kW), both without PV or battery;
the depot, P and D are 1 km and one slot apart; cars V2L 1.5 kW, 100 % efficient, 0.2 kWh/km (0.2 kWh a
drive), full at the depot and free at the start: 24 h of 30-min slots in 4-h blocks (6 blocks). Only car B
holds what P needs, so a single-leg plan puts B at P and A at D; what B has left after P's need is lost there.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from outage_cases import START, car, ideal_battery

from optimizer.outage import OutageInput, OutageShelter, plan_outage
from optimizer.outage.day_trips import improve_by_trips, trip_options, windows, with_trip
from optimizer.outage.dispatch import Clock, dispatch_routing
from optimizer.outage.packing import tier1_need
from optimizer.outage.parts import dispatch_all, parts, redispatch, sub_input
from optimizer.outage.result import OutagePlan

N, BLOCK = 48, 8


def case(p_needs: list[range], b_kwh: float) -> OutageInput:
    """P with 1 kW of tier 1 in the given slots, D with 1 kW in every slot; car A 10 kWh, car B b_kwh."""
    p_load = np.zeros(N)
    for slots in p_needs:
        p_load[slots] = 1.0
    shelters = (OutageShelter("P", p_load, np.zeros(N)), OutageShelter("D", np.ones(N), np.zeros(N)))
    km = np.ones((3, 3)) - np.eye(3)
    evs = (car(site=2, kwh=10.0, v2l=1.5, car_id="A"), car(site=2, kwh=b_kwh, v2l=1.5, car_id="B"))
    return OutageInput(
        start=START,
        shelters=shelters,
        evs=evs,
        site_ids=("P", "D", "depot"),
        distance_km=km,
        travel_slots=km.astype(int),
        n_slots=N,
        block_slots=BLOCK,
        early_weight=0.0,
    )


def dispatch(data: OutageInput, routing: np.ndarray, only: tuple[str, ...] | None = ("full", "tier1")) -> OutagePlan:
    plan = dispatch_routing(data, routing, 20.0, Clock(), "test_", only)
    assert plan is not None
    return plan


def evaluate(routing: np.ndarray, plan: OutagePlan) -> OutagePlan | None:
    return redispatch(plan.data, plan, routing, dispatch)


SINGLE = np.array([[1] * 6, [0] * 6])  # A at D, B at P from the first block (arriving in slot 1)


def test_a_car_left_with_energy_after_its_shelter_last_needs_it_moves_on() -> None:
    # P needs 4 kWh (block 1). Single legs: B (8 kWh) at P delivers 4 of its 7.8, A at D 9.8: 13.8 kWh.
    # B on to D from block 2 (arriving in slot 17) gives D all it has left: 8 - 2 drives x 0.2 - 4 = 3.6 kWh,
    # and D can take it (23.5 kWh needed from slot 1): 4 + 9.8 + 3.6 = 17.4 kWh, every kWh the cars hold.
    data = case([range(8, 16)], b_kwh=8.0)
    single = dispatch(data, SINGLE)
    assert single.score[0] == 1
    assert single.score[1] == pytest.approx(13.8, abs=1e-4)
    better, kept = improve_by_trips(single, evaluate, 60.0)
    assert kept == 1
    assert better.assignment[1].tolist() == [0, 0, 1, 1, 1, 1]
    assert better.score[0] == 1
    assert better.score[1] == pytest.approx(17.4, abs=1e-4)


def test_a_car_makes_a_day_trip_and_is_back_for_its_shelter_next_need() -> None:
    # P needs block 1 (4 kWh) and slots 33-47 (7.5 kWh): 11.5 kWh; only B (14 kWh) holds that. B away in
    # blocks 2-3 (back at slot 33, after the drive that starts block 4) gives D 14 - 0.2 x 3 - 11.5 = 1.9 kWh
    # more than A's 9.8: 11.5 + 9.8 + 1.9 = 23.2 kWh (single legs: 21.3).
    data = case([range(8, 16), range(33, 48)], b_kwh=14.0)
    single = dispatch(data, SINGLE)
    assert single.score[0] == 1
    assert single.score[1] == pytest.approx(21.3, abs=1e-4)
    better, kept = improve_by_trips(single, evaluate, 60.0)
    assert kept == 1
    assert better.assignment[1].tolist() == [0, 0, 1, 1, 0, 0]
    assert better.score[0] == 1
    assert better.score[1] == pytest.approx(23.2, abs=1e-4)


def test_windows_keep_the_car_home_whenever_its_shelter_needs_it() -> None:
    data = case([range(8, 16), range(33, 48)], b_kwh=14.0)
    need = tier1_need(data, 0, whole_slot=True) > 0
    assert windows(data, SINGLE[1], 0, need, back=1) == [(2, 4)]
    # needed from slot 32 on, a car back at slot 33 is late: it must return one block sooner
    early = case([range(8, 16), range(32, 48)], b_kwh=14.0)
    assert windows(early, SINGLE[1], 0, tier1_need(early, 0, whole_slot=True) > 0, back=1) == [(2, 3)]


def test_a_trip_is_not_offered_when_the_car_has_nothing_to_spare() -> None:
    # B of 11.7 kWh: 11.7 - 0.2 - 11.5 = 0 kWh spare
    data = case([range(8, 16), range(33, 48)], b_kwh=11.7)
    assert [t for t in trip_options(dispatch(data, SINGLE)) if t.car == 1] == []


def test_parts_dispatch_like_the_whole_and_only_the_changed_part_is_solved_again() -> None:
    data = case([range(8, 16), range(33, 48)], b_kwh=14.0)
    assert parts(data, SINGLE) == [([1], [0]), ([0], [1])]
    trip = with_trip(SINGLE, next(t for t in trip_options(dispatch(data, SINGLE)) if t.car == 1))
    assert parts(data, trip) == [([0, 1], [0, 1])]
    whole = dispatch(data, trip, None)
    base = dispatch(data, SINGLE, None)
    solved: list[tuple[str, ...]] = []

    def counted(part: OutageInput, rows: np.ndarray) -> OutagePlan | None:
        solved.append(tuple(s.id for s in part.shelters))
        return dispatch(part, rows, None)

    stitched = redispatch(data, base, trip, counted)
    assert stitched is not None
    assert solved == [("P", "D")]
    assert stitched.score[0] == whole.score[0]
    assert stitched.score[1] == pytest.approx(whole.score[1], abs=1e-4)
    assert stitched.objective == pytest.approx(whole.objective, abs=1e-3)
    np.testing.assert_allclose(stitched.ev_kwh, whole.ev_kwh, atol=1e-3)
    # a change of A's row alone (A idle) solves D again (without cars) and keeps P as it was
    idle = SINGLE.copy()
    idle[0] = -1
    solved.clear()
    alone = redispatch(data, base, idle, counted)
    assert alone is not None
    assert solved == [("D",)]
    assert alone.tier1_served_kw[:, 1].sum() == 0.0
    np.testing.assert_allclose(alone.ev_kwh[0], 10.0)


def test_a_part_keeps_its_own_sites() -> None:
    data = case([range(8, 16)], b_kwh=8.0)
    part, pos = sub_input(data, [1], [0])
    assert part.site_ids == ("D", "depot")
    assert pos == {1: 0, 2: 1}
    assert part.usable_evs[0].site == 1
    assert part.distance_km.tolist() == [[0.0, 1.0], [1.0, 0.0]]


def test_the_planner_makes_the_day_trip() -> None:
    # without day trips the two-phase planner reaches 23.1 kWh here (the routing relaxation's relocation)
    plan = plan_outage(case([range(8, 16), range(33, 48)], b_kwh=14.0), 30.0)
    assert plan.score[0] == 1
    assert plan.score[1] >= 23.2 - 1e-3


def test_a_shelter_left_without_cars_is_dispatched_exactly() -> None:
    # P with a 2 kWh battery, 1 kW load of which 0.5 kW tier 1, and no car once A leaves: the exact dispatch
    # serves tier 1 only and so for 4 h (2 kWh of tier 1); the rule serves the whole load for 2 h (1 kWh)
    data = case([range(8, 16)], b_kwh=8.0)
    battery = ideal_battery(2.0)
    p = OutageShelter("P", np.ones(N), np.zeros(N), battery=battery, tier1_kw=np.full(N, 0.5))
    data = replace(data, shelters=(p, data.shelters[1]))
    base = dispatch(data, np.array([[0] * 6, [1] * 6]), None)
    idle = np.array([[-1] * 6, [1] * 6])
    plan = redispatch(data, base, idle, lambda part, rows: dispatch(part, rows, None))
    assert plan is not None
    assert plan.tier1_served_kw[:, 0].sum() * data.slot_hours == pytest.approx(2.0, abs=1e-4)


def test_every_part_dispatched_alone_adds_up_to_the_whole_dispatch() -> None:
    # B at P, A at D, and a third shelter E (a copy of D) no car visits: dispatched too, without cars (0 kWh)
    data = case([range(8, 16), range(33, 48)], b_kwh=14.0)
    data = replace(data, shelters=(*data.shelters, replace(data.shelters[1], id="E")))
    data = replace(data, site_ids=("P", "D", "E", "depot"), distance_km=np.ones((4, 4)) - np.eye(4))
    data = replace(data, travel_slots=data.distance_km.astype(int), evs=tuple(replace(e, site=3) for e in data.evs))
    whole = dispatch(data, SINGLE, None)
    alone = dispatch_all(data, SINGLE, lambda part, rows: dispatch(part, rows, None))
    assert alone is not None
    assert alone.score[0] == whole.score[0] == 1
    assert alone.score[1] == pytest.approx(whole.score[1], abs=1e-4)
    assert alone.score[1] == pytest.approx(21.3, abs=1e-4)
    assert alone.objective == pytest.approx(whole.objective, abs=1e-3)
    assert alone.served_kw[:, 2].sum() == 0.0
