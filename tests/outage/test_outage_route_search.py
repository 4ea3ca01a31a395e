"""The route LP's exact pricing (route_search.py): the branch and bound's best route against every route
enumerated by hand on small cases, its bound when stopped early, and the route LP bound it gives against the
exact MILP's optimum and the fleet relaxation's, worked out by hand."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from outage_cases import car, two_shelters

from optimizer.outage import OutageShelter, plan_outage
from optimizer.outage import stage_bounds as stage_bounds_module
from optimizer.outage.fleet_bound import fleet_bounds
from optimizer.outage.inputs import OutageInput
from optimizer.outage.route_lp import RouteLP, route_lp
from optimizer.outage.route_pricing import CarData, Prices, Route, car_data, route_value
from optimizer.outage.route_search import search_pricing
from optimizer.outage.stage_bounds import stage_bounds


def every_route(cd: CarData, n_t: int, block: int) -> list[Route]:
    """Every route of the car by enumeration: the block it leaves in, then a station per block (moves only
    along trips that fit in a block)."""
    n_b, n = cd.depart_arrival.shape[0], len(cd.stations)
    out = []
    for b0 in range(n_b):
        for seq in itertools.product(range(n), repeat=n_b - b0):
            if cd.depart_arrival[b0, seq[0]] < 0:
                continue
            arrivals = [(k + 1) * block for k in range(b0)] + [int(cd.depart_arrival[b0, seq[0]])]
            drive, ok = float(cd.home_drive[seq[0]]), True
            for k in range(1, len(seq)):
                step = int(cd.move_arrival[seq[k - 1], seq[k]])
                ok = ok and step >= 0
                arrivals.append((b0 + k) * block + max(step, 0))
                drive += float(cd.move_drive[seq[k - 1], seq[k]])
            if ok:
                out.append(Route((-1,) * b0 + tuple(seq), tuple(arrivals), drive))
    return out


def random_prices(cd: CarData, seed: int) -> Prices:
    """Net values per kW in [-0.5, 1.5) per (station, slot), no occupancy, convexity dual 0.5."""
    net = np.random.default_rng(seed).uniform(-0.5, 1.5, cd.cap.shape)
    return Prices(net, np.zeros_like(net), 0.5, net)


def three_blocks(kwh: float) -> OutageInput:
    """two_shelters with 24 slots (6 blocks of 4) and one car of `kwh` (1 kWh a trip, 1 kW)."""
    return two_shelters((car(kwh=kwh),), n_slots=24)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("kwh", [3.0, 6.0, 30.0])
def test_search_finds_the_best_of_every_route(seed: int, kwh: float) -> None:
    # small budgets make the energy limit bind, where one multiplier cannot tell the best route (3 kWh: two
    # drives leave 1 kWh to deliver); 30 kWh: the route with the most good slots.
    data = three_blocks(kwh)
    cd = car_data(data, 0)
    pr = random_prices(cd, seed)
    args = (data.slot_hours, data.n_slots, data.block_slots)
    values = [route_value(cd, pr, r, *args) for r in every_route(cd, data.n_slots, data.block_slots)]
    best = max([*values, -0.5])
    found = search_pricing(cd, pr, data.slot_hours, data.block_slots, data.n_slots)
    assert found.exact
    assert found.bound == pytest.approx(best, abs=1e-9)  # -0.5: the route that never leaves (convexity 0.5)
    if best > -0.5:
        value, route = found.routes[0]
        assert value == pytest.approx(best, abs=1e-9)
        assert route_value(cd, pr, route, *args) == pytest.approx(best, abs=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_a_search_stopped_early_still_bounds_every_route(seed: int) -> None:
    data = three_blocks(6.0)
    cd = car_data(data, 0)
    pr = random_prices(cd, seed)
    best = max(route_value(cd, pr, r, data.slot_hours, data.n_slots, data.block_slots) for r in every_route(cd, 24, 4))
    full = search_pricing(cd, pr, data.slot_hours, data.block_slots, data.n_slots)
    early = search_pricing(cd, pr, data.slot_hours, data.block_slots, data.n_slots, node_limit=3)
    assert not early.exact
    assert early.nodes < full.nodes
    assert early.bound >= best - 1e-9
    assert early.routes == () or early.routes[0][0] <= best + 1e-9


def test_presence_windows_are_refused_by_name() -> None:
    data = three_blocks(6.0)
    cd = car_data(data, 0)
    pr = replace(random_prices(cd, 0), windows=((0, 1, 2, 1.0),))
    with pytest.raises(ValueError, match="presence windows"):
        search_pricing(cd, pr, data.slot_hours, data.block_slots, data.n_slots)


def a_then_b() -> OutageInput:
    """A needs 1 kW in slots 0-7 only, B in slots 8-15 only; no batteries; the 10 kWh, 1 kW car at the depot,
    one slot from each."""
    t = np.arange(16)
    a = OutageShelter("A", (t < 8).astype(float), np.zeros(16))
    b = OutageShelter("B", (t >= 8).astype(float), np.zeros(16))
    return replace(two_shelters(), shelters=(a, b))


def test_the_route_lp_bound_pays_the_drive_the_fleet_relaxation_skips() -> None:
    # B needs nothing before slot 8, so it can be fully served (count 1, proven by count_bound). Fully serving
    # it, the car must be at B by slot 8, so it leaves A at the start of block 1 at the latest (moves take a
    # slot, at block starts): A slots 1-3 (1.5 kWh) + B slots 8-15 (4.0) = 5.5 kWh, the exact optimum. The
    # fleet relaxation has the car at A through slot 7 and at B from slot 8 without the drive: 3.5 + 4.0 = 7.5.
    data = a_then_b()
    exact = plan_outage(data, 30.0, formulation="exact")
    assert exact.status == "optimal"
    assert exact.score[0] == 1
    assert exact.tier1_kwh == pytest.approx(5.5, abs=1e-6)
    assert fleet_bounds(data, plan_full=1)["tier1"] == pytest.approx(7.5, abs=1e-3)
    bounds, note = stage_bounds(data, 1, exact.assignment, 10.0)
    assert note.startswith("route LP")
    assert bounds == {"full": 1.0, "tier1": pytest.approx(5.5, abs=1e-4)}
    plan = plan_outage(data, 30.0)
    value, bound = plan.stages["tier1"]
    assert value == pytest.approx(5.5, abs=1e-6)
    assert bound == pytest.approx(5.5, abs=1e-4)


def test_charge_points_or_an_unproven_count_keep_the_fleet_relaxation() -> None:
    # two_shelters: both bridge until a car could arrive (count_bound 2) but no plan serves both: with the
    # plan's count 1 unproven by the cut, the fleet relaxation bounds (and tightens the count to 1).
    data = two_shelters()
    bounds, note = stage_bounds(data, 1, np.array([[0, 0, 0, 0]]), 10.0)
    assert note == "fleet relaxation"
    assert bounds["full"] == 1.0


def test_a_car_that_can_serve_nowhere_changes_neither_plan_nor_bound() -> None:
    # a V2H-only car (no V2L outlet) where no shelter has a V2H charger: it has no station. The planner's
    # routing relaxation and the route LP must still work: the same 5.5 kWh plan and bound as without it.
    data = replace(a_then_b(), evs=(car(), car(v2l=0.0, v2h=3.0, car_id="v2h-only")))
    assert len(data.usable_evs) == 2
    plan = plan_outage(data, 30.0)
    assert plan.tier1_kwh == pytest.approx(5.5, abs=1e-6)
    assert any(n.startswith("bounds over every shelter (route LP") for n in plan.notes)
    assert plan.stages["tier1"][1] == pytest.approx(5.5, abs=1e-4)
    assert not any("failed" in n for n in plan.notes)


@pytest.mark.parametrize(("route_bound", "kept"), [(6.0, 6.0), (9.0, 7.5)])
def test_a_stalled_route_lp_yields_to_the_fleet_relaxation_where_that_is_tighter(
    monkeypatch: pytest.MonkeyPatch, route_bound: float, kept: float
) -> None:
    # a route LP that gave up (stalled at its check) with some bound: the fleet relaxation (7.5 here, by hand
    # above) runs after it and the smaller of the two is reported.
    data = a_then_b()
    exact = plan_outage(data, 30.0, formulation="exact")

    def stalled(*args: object, **kwargs: object) -> RouteLP:
        state = route_lp(*args, **kwargs)  # type: ignore[arg-type]
        return replace(state, bound=route_bound, master_kwh=5.0, gave_up=True)

    monkeypatch.setattr(stage_bounds_module, "route_lp", stalled)
    bounds, note = stage_bounds(data, 1, exact.assignment, 10.0)
    assert bounds["tier1"] == pytest.approx(kept, abs=1e-3)
    assert "gave up" in note
    assert note.endswith("the smaller kept")


def test_the_route_lp_gives_up_when_its_bound_stays_far_above_its_master() -> None:
    # two cars (4 and 6 kWh) on a_then_b: the exact optimum is 7.0 kWh with B fully served, and generation
    # closes on it in 3 rounds. give_up=(0 s, gap 0) stops at the first round whose bound is above the master's
    # value, with gave_up set and a bound that is still valid (above the converged one).
    data = replace(a_then_b(), evs=(car(kwh=4.0), car(kwh=6.0, car_id="ev2")))
    exact = plan_outage(data, 30.0, formulation="exact")
    assert exact.score[0] == 1
    assert exact.tier1_kwh == pytest.approx(7.0, abs=1e-6)
    full = route_lp(data, exact.score[0], 30.0, exact.assignment)
    assert not full.gave_up
    assert full.bound is not None
    assert full.bound == pytest.approx(7.0, abs=1e-4)
    state = route_lp(data, exact.score[0], 30.0, exact.assignment, give_up=(0.0, 0.0))
    assert state.gave_up
    assert state.rounds == 1 < full.rounds
    assert state.bound is not None
    assert state.bound > full.bound + 1.0


def test_the_routing_relaxation_is_skipped_when_too_little_time_is_left() -> None:
    # a_then_b's 5.5 kWh needs the relocation A -> B that only the routing relaxation finds (the packing and
    # the day trips give 4.0). With 5 s the relaxation still runs (its floor is a fifth of the limit, 1 s); with
    # less than that left after the bounds it is skipped and noted, the 4.0-kWh plan kept, its bound valid.
    short = plan_outage(a_then_b(), 5.0)
    assert not any(n.startswith("routing relaxation skipped") for n in short.notes)
    assert short.tier1_kwh == pytest.approx(5.5, abs=1e-6)
    squeezed = plan_outage(a_then_b(), 1.2)  # the bounds keep 20 % (0.24 s); 1.5 s are kept for the end
    assert any(n.startswith("routing relaxation skipped") for n in squeezed.notes)
    assert squeezed.tier1_kwh == pytest.approx(4.0, abs=1e-6)
    assert squeezed.status == "feasible"  # the routing was not examined
    bound = squeezed.stages["tier1"][1]
    assert bound is not None
    assert bound >= 5.5 - 1e-6
