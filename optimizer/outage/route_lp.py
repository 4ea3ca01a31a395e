"""Route LP: the LP over whole car routes (Dantzig-Wolfe form of the exact model without charge points),
by column generation, with a Lagrangian upper bound on the tier-1 kWh of every plan and an integer routing
from the routes it generated. Without charge points, plan_outage reports its bound (stage_bounds.py); the
route MIP is research (benchmarks/bench_outage_route_lp.py).

The fleet relaxation (fleet_bound.py) lets a car share slots between shelters without driving between them; a
route pays every move. Rounds: HiGHS solves the restricted master (route_master.py); at duals smoothed towards
the best Lagrangian point so far, each class's pricing (the exact branch and bound of route_search.py, or
route_pricing.py's multiplier search) bounds its best route and proposes routes; those with a positive reduced
cost at the master's own duals join. After every round the Lagrangian bound -- the shelter side at its best
bounds plus, per class, its cars x max(0, the bound on its best route) -- holds over every plan with at least
full_min shelters fully served, however early generation stops; the smallest is kept; with exact pricing it
meets the master's value once no route improves (the LP over all routes is then solved).
``integer_routing`` makes the routes' weights integer (a MIP over the routes generated): an assignment for
the exact dispatch. Units: kWh of tier 1.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import highspy
import numpy as np

from optimizer.outage.fleet_bound import CarClass, car_classes_with_members
from optimizer.outage.inputs import OutageInput
from optimizer.outage.route_master import (
    Master,
    add_route,
    build_master,
    prices,
    shelter_value,
    signed,
)
from optimizer.outage.route_pricing import (
    COLUMNS_PER_CLASS,
    CarData,
    Route,
    car_data,
    class_bound,
    plan_route,
    route_value,
)
from optimizer.outage.route_search import search_pricing

log = logging.getLogger(__name__)

TOLERANCE = 1e-7  # reduced cost (kWh) below which a column does not improve the master
MAX_ROUNDS = 400
PRIMAL_SIMPLEX = 4  # HiGHS simplex_strategy: re-solves after adding columns: 1.1 s a round, dual 2.6 s
SEARCH_NODES = 30_000  # route prefixes the exact pricing may open per class and round (its bound stays valid)
SMOOTHING = 0.7  # weight of the best Lagrangian point in the duals the routes are priced at


@dataclass
class RouteLP:
    """What column generation reached: the Lagrangian bound on tier-1 kWh (None if the master never solved),
    the last restricted master's tier-1 kWh (an LP value over the routes generated, not a bound), rounds,
    routes and seconds; the master, each class's pricing tables and the start plan's route counts, for
    ``integer_routing``."""

    bound: float | None
    master_kwh: float | None
    rounds: int
    routes: int
    seconds: float
    master: Master
    cars: list[CarData]
    classes: list[CarClass]
    start: dict[tuple[int, Route], int]
    exact: bool = True
    gave_up: bool = False  # stopped at the check (give_up): the bound still far above the master


def route_lp(
    data: OutageInput,
    full_min: float,
    time_limit_s: float,
    plan_assignment: np.ndarray | None = None,
    presence: bool = False,
    exact: bool = True,
    give_up: tuple[float, float] | None = None,
) -> RouteLP:
    """Column generation (see the module docstring) for at most time_limit_s wall seconds, from the routes of
    plan_assignment (cars x blocks, shelter or -1) if given; presence: with the presence rows; exact: each
    class priced by the branch and bound of route_search.py (without presence rows only), else by the energy
    multiplier's golden section (route_pricing.class_bound). give_up (seconds, relative gap): stop, with
    ``gave_up`` set, at the first round after that many seconds whose bound is still more than that gap
    above the master's value (a stalled generation). Raises ValueError with charge points: a route that
    recharges is not priced."""
    if data.charge_points:
        raise ValueError("charge_points: the route LP prices no recharge; plan without charge points")
    started = time.perf_counter()
    classes = car_classes_with_members(data)
    master = build_master(data, classes, full_min, presence)
    cars = [car_data(data, c.car) for c in classes]
    start = _start_routes(cars, classes, plan_assignment, data.block_slots)
    for k, route in start:
        add_route(master, cars[k], route, k, data)
    state = RouteLP(None, None, 0, len(start), 0.0, master, cars, classes, start, exact and not presence)
    _generate(state, data, time_limit_s, started, give_up)
    state.seconds = time.perf_counter() - started
    return state


def _start_routes(
    cars: list[CarData], classes: list[CarClass], assignment: np.ndarray | None, block: int
) -> dict[tuple[int, Route], int]:
    """(class, route) -> cars of the class on it in the given assignment."""
    out: dict[tuple[int, Route], int] = {}
    if assignment is None:
        return out
    for k, c in enumerate(classes):
        for v in c.members:
            key = (k, plan_route(cars[k], assignment[v], block))
            out[key] = out.get(key, 0) + 1
    return out


def _generate(
    state: RouteLP, data: OutageInput, time_limit_s: float, started: float, give_up: tuple[float, float] | None
) -> None:
    """Rounds of master solve, pricing and new routes until none improves, the bound meets the master's
    value, time is up or (give_up) it stalls; state's bound, master value, rounds and routes updated."""
    hs, best = state.master.highs, np.inf
    hs.setOptionValue("solver", "simplex")
    hs.setOptionValue("simplex_strategy", PRIMAL_SIMPLEX)  # new columns keep the basis primal feasible
    center: np.ndarray | None = None
    while state.rounds < MAX_ROUNDS and time.perf_counter() - started < time_limit_s:
        left = max(time_limit_s - (time.perf_counter() - started), 0.5)
        hs.setOptionValue("time_limit", hs.getRunTime() + left)  # HiGHS's LP clock runs on across re-solves
        hs.run()
        if hs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            log.info("route LP: master ended %s", hs.getModelStatus())
            break
        state.rounds += 1
        state.master_kwh = float(hs.getInfo().objective_function_value)
        duals = np.asarray(hs.getSolution().row_dual)
        center = duals if center is None else np.concatenate([center, np.zeros(len(duals) - len(center))])
        added = 0
        for alpha in (SMOOTHING, 0.0):
            point = alpha * center + (1 - alpha) * duals
            bound, found = _lagrangian(state, point, data)
            if bound < best:
                best, center = bound, point
            added = _add_improving(state, duals, found, data)
            if added or alpha == 0.0:
                break
        state.routes += added
        state.bound = best * (1 + 1e-6) + 1e-6
        log.debug("route LP round %d: master %.3f, bound %.3f, %d routes", state.rounds, state.master_kwh, best, added)
        if added == 0 or best - state.master_kwh <= 1e-6 * max(1.0, abs(state.master_kwh)):
            break
        if give_up is not None and _stalled(state, best, time.perf_counter() - started, give_up):
            state.gave_up = True
            break


def _stalled(state: RouteLP, best: float, elapsed_s: float, give_up: tuple[float, float]) -> bool:
    """True once give_up's seconds have passed with the bound still more than its gap above the master."""
    master = state.master_kwh or 0.0
    return elapsed_s >= give_up[0] and best - master > give_up[1] * max(1.0, abs(master))


def _lagrangian(state: RouteLP, duals: np.ndarray, data: OutageInput) -> tuple[float, list[list[Route]]]:
    """The Lagrangian bound at these duals (shelters at their best bounds + each class n x its best route's
    value bound, convexity kept) and the routes each class's search found."""
    master = state.master
    duals = signed(master, duals)
    total, found = shelter_value(master, duals), []
    for k, c in enumerate(state.classes):
        pr = replace(prices(master, state.cars[k], duals, master.convexity[k]), convexity=0.0)
        if state.exact:
            res = search_pricing(state.cars[k], pr, data.slot_hours, data.block_slots, data.n_slots, SEARCH_NODES)
            ub, routes = res.bound, [r for _, r in res.routes[:COLUMNS_PER_CLASS]]
        else:
            ub, routes = class_bound(state.cars[k], pr, data.slot_hours, data.block_slots)
        total += c.count * max(ub, 0.0)
        found.append(routes)
    return total, found


def _add_improving(state: RouteLP, duals: np.ndarray, found: list[list[Route]], data: OutageInput) -> int:
    """The found routes whose reduced cost at the master's own duals is positive, into the master; how many."""
    added, master = 0, state.master
    for k, car in enumerate(state.cars):
        pr = prices(master, car, duals, master.convexity[k])
        for route in found[k]:
            if route_value(car, pr, route, data.slot_hours, data.n_slots, data.block_slots) > TOLERANCE:
                add_route(master, car, route, k, data)
                added += 1
    return added
