"""Recharge trips, worked out by hand: a car that can shuttle to a charge point serves a far shelter longer
than one that cannot; charge points limit how many cars charge at once."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from outage_cases import START, car

from optimizer.outage import OutageInput, OutageShelter, greedy_plan, plan_outage
from optimizer.outage.inputs import ChargePoint, OutageInputError, check_outage_input
from optimizer.outage.load_following import simulate
from optimizer.outage.shuttles import refill_shuttles, shuttle_gain

N = 16  # 8 h of 30-min slots in 2-h blocks


def shuttle_case(points: int = 1) -> OutageInput:
    """Shelter S (1 kW, no battery, no PV) and the plant P with power (one 6 kW charger), 5 km (1 kWh) and one
    slot apart; a 4 kWh car full at P with a 1 kW outlet, charging at 100 % efficiency."""
    ev = replace(car(site=1, kwh=4.0, v2l=1.0, per_km=0.2), charge_efficiency=1.0)
    km = np.array([[0.0, 5.0], [5.0, 0.0]])
    return OutageInput(
        start=START,
        shelters=(OutageShelter("S", np.ones(N), np.zeros(N)),),
        evs=(ev,),
        site_ids=("S", "P"),
        distance_km=km,
        travel_slots=np.array([[0, 1], [1, 0]]),
        n_slots=N,
        block_slots=4,
        early_weight=0.0,
        charge_points=(ChargePoint("P", site=1, chargers=1, charger_kw=6.0),) if points else (),
    )


def test_a_car_that_can_shuttle_serves_a_far_shelter_longer() -> None:
    # Without recharging: 4 - 1 kWh for the trip = 3 kWh at S. With it: S 14:30-16:00 (1.5 kWh, 1.5 left),
    # back to P (0.5 left), full again by 17:00, to S (3 kWh), 18:30-22:00 gives the 3 kWh: 4.5 kWh served.
    stuck = plan_outage(shuttle_case(points=0), time_limit_s=30)
    assert stuck.served_kwh == pytest.approx(3.0, abs=1e-4)
    assert greedy_plan(shuttle_case()).served_kwh == pytest.approx(3.0, abs=1e-6)  # greedy never recharges
    plan = plan_outage(shuttle_case(), time_limit_s=30)
    assert plan.served_kwh == pytest.approx(4.5, abs=1e-4)
    hours = [float(p.shelter_table()["hours_served"].iloc[0]) for p in (stuck, plan)]
    assert hours == [3.0, 4.5]
    assert [m.outlet for m in plan.moves] == ["V2L", "charge", "V2L"]
    assert plan.ev_kwh.max() <= 4.0 + 1e-6
    cars = plan.car_table()
    assert "P" in set(cars["where"].iloc[4:8])


def test_charge_point_must_be_a_non_shelter_site() -> None:
    bad = replace(shuttle_case(), charge_points=(ChargePoint("S", site=0, chargers=1, charger_kw=6.0),))
    with pytest.raises(OutageInputError, match="charge point S"):
        check_outage_input(bad)


def test_refill_shuttle_sends_a_car_running_low_to_charge_and_back() -> None:
    # greedy keeps the car at S: 3 kWh there from 14:30, 1 kWh an hour, empty at 17:30. Leaving at 16:00 (1.5 kWh
    # left) it reaches P with 0.5, charges 3.5 kWh in the 1.5 h left of the block, and is back at S at 18:30:
    # 3.5 - 2 kWh of driving = 1.5 kWh more, and S is short 3.5 kWh after 18:30 against the 1.5 kWh the car would
    # have given 16:00-17:30, so the gain is min(1.5, 3.5 - 1.5) = 1.5 kWh. At 18:00 the car is empty and cannot
    # drive. The routing [S, P, S, S], which the exact dispatch serves 4.5 kWh with (the hand optimum above).
    greedy = greedy_plan(shuttle_case())
    assert greedy.assignment[0].tolist() == [0, 0, 0, 0]
    short = np.maximum(greedy.data.tier1_matrix() - greedy.tier1_served_kw, 0.0)
    point = shuttle_case().charge_points[0]
    assert shuttle_gain(greedy, short, 0, 1, 1, point) == pytest.approx(1.5)
    assert shuttle_gain(greedy, short, 0, 2, 1, point) <= 0
    routing = refill_shuttles(greedy)
    assert routing is not None
    assert routing[0].tolist() == [0, 1, 0, 0]
    assert refill_shuttles(greedy_plan(shuttle_case(points=0))) is None
    plan = plan_outage(shuttle_case(), time_limit_s=30)
    assert plan.served_kwh == pytest.approx(4.5, abs=1e-4)


def test_no_shuttle_into_a_charge_point_whose_chargers_are_taken() -> None:
    # two shelters like S, each with its own car from P; both gain most by leaving at 16:00, but P has one
    # charger: only the first car (in fleet order) goes to charge in block 1; the other cannot later (empty).
    base = shuttle_case()
    shelters = (OutageShelter("S1", np.ones(N), np.zeros(N)), OutageShelter("S2", np.ones(N), np.zeros(N)))
    km = np.array([[0.0, 5.0, 5.0], [5.0, 0.0, 5.0], [5.0, 5.0, 0.0]])
    steps = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]])
    evs = tuple(replace(base.evs[0], id=f"ev{k}", site=2) for k in range(2))
    data = replace(base, shelters=shelters, evs=evs, site_ids=("S1", "S2", "P"), distance_km=km, travel_slots=steps)
    data = replace(data, charge_points=(ChargePoint("P", site=2, chargers=1, charger_kw=6.0),))
    spread = simulate(data, np.array([[0, 0, 0, 0], [1, 1, 1, 1]]))
    routing = refill_shuttles(spread)
    assert routing is not None
    assert routing.tolist() == [[0, 2, 0, 0], [1, 1, 1, 1]]
