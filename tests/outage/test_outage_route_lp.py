"""The route LP (column generation over whole car routes): its pricing DP by hand, its Lagrangian bound above
the exact MILP's optimum, the presence windows by hand, and the route MIP's routing dispatched."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from outage_cases import car, ideal_battery, two_shelters

from optimizer.outage import OutageShelter, plan_outage
from optimizer.outage.dispatch import Clock, dispatch_routing
from optimizer.outage.inputs import ChargePoint
from optimizer.outage.route_lp import route_lp
from optimizer.outage.route_master import integer_routing, presence_windows
from optimizer.outage.route_pricing import car_data, route_dp


def test_route_dp_goes_where_the_gains_are_and_pays_its_drives() -> None:
    # two shelters (A, B) one slot from the depot and from each other, 1 kWh a trip, blocks of 4 slots. Gains
    # 1 per slot at A in blocks 0-1 (slots 1-7 once arrived) and 2 per slot at B in block 2: the best route goes
    # to A first, moves to B for block 2 (arriving in slot 9): 7 + 3 x 2 = 13, less mu x 2 kWh of drives.
    data = two_shelters()
    cd = car_data(data, 0)
    gains = np.zeros((2, data.n_slots))
    gains[0, 0:8] = 1.0
    gains[1, 8:12] = 2.0
    value, route = route_dp(cd, gains, mu=0.5, block=data.block_slots)
    assert route.stations[:3] == (0, 0, 1)
    assert route.arrivals[0] == 1
    assert route.arrivals[2] == 9
    assert route.drive_kwh == pytest.approx(2.0)
    assert value == pytest.approx(13.0 - 0.5 * 2.0)


def test_route_dp_stays_home_when_nothing_pays() -> None:
    data = two_shelters()
    value, route = route_dp(car_data(data, 0), np.zeros((2, data.n_slots)), mu=0.0, block=data.block_slots)
    assert value == 0.0
    assert set(route.stations) == {-1}


@pytest.mark.parametrize("presence", [False, True])  # exact pricing (route_search.py), the multiplier's search
@pytest.mark.parametrize("cars", [1, 2])
def test_lagrangian_bound_holds_above_the_exact_optimum(cars: int, presence: bool) -> None:
    data = two_shelters(tuple(car(kwh=4.0 + k, car_id=f"ev{k}") for k in range(cars)))
    exact = plan_outage(data, 30.0, formulation="exact")
    assert exact.status == "optimal"
    state = route_lp(data, exact.score[0], 30.0, exact.assignment, presence=presence)
    assert state.exact is not presence
    assert state.bound is not None
    assert state.master_kwh is not None
    assert state.bound >= exact.tier1_kwh - 1e-6
    assert state.master_kwh >= exact.tier1_kwh - 1e-6  # the master holds the optimal routes
    assert state.bound >= state.master_kwh - 1e-6


def test_route_mip_routing_dispatches_at_least_its_start() -> None:
    data = two_shelters((car(kwh=4.0, car_id="a"), car(kwh=5.0, car_id="b")))
    exact = plan_outage(data, 30.0, formulation="exact")
    state = route_lp(data, exact.score[0], 30.0, exact.assignment)
    found = integer_routing(state.master, state.cars, state.classes, data, 10.0, state.start)
    assert found is not None
    plan = dispatch_routing(data, found.assignment, 10.0, Clock(), "route_", ("full", "tier1"))
    assert plan is not None
    assert plan.score[:2] >= exact.score[:2]


def test_presence_windows_by_hand() -> None:
    # 16 slots: 1 kW of tier 1; PV 2 kW in slots 0-3 and 12-15, none in 4-11 (4 h dark = 4 kWh short).
    # A 2 kWh battery cannot bridge the dark run: a car must be stationed there in blocks 1-2 (slots 4-11) of
    # every plan that serves it fully; a 6 kWh battery bridges it: no window.
    pv = np.where((np.arange(16) < 4) | (np.arange(16) >= 12), 2.0, 0.0)
    small = OutageShelter("A", np.ones(16), pv, battery=ideal_battery(2.0))
    big = OutageShelter("B", np.ones(16), pv, battery=ideal_battery(6.0))
    data = replace(two_shelters(), shelters=(small, big))
    assert presence_windows(data, full_min=2) == [(0, 1, 2)]
    assert presence_windows(data, full_min=0) == []  # the count is not forced: no shelter must be full


def test_route_lp_refuses_charge_points_by_name() -> None:
    data = replace(two_shelters(), charge_points=(ChargePoint("depot", 2, 1, 6.0),))
    with pytest.raises(ValueError, match="charge_points"):
        route_lp(data, 0, 5.0)
