"""Plan an outage with HiGHS (optimizer.solver) under a time limit: two-phase by default (routings from the
packing MILP of packing.py, refill shuttles of shuttles.py with charge points and the routing relaxation of
routing.py, each dispatched by the exact MILP of model.py with the routing fixed; stage bounds over every
shelter from stage_bounds.py: the route LP's or the fleet relaxation's), or the exact MILP of model.py alone;
both warm-started.

The result is never ranked below greedy (OutagePlan.score): if HiGHS returns no incumbent or a worse one,
the better plan so far is returned with a note. The solve does not raise on solver or modelling trouble.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from optimizer.outage.bound import perfect_relocation_bound
from optimizer.outage.day_trips import with_trips
from optimizer.outage.dispatch import (
    MIN_PART_S,
    PART_TIER_GAP,
    Clock,
    Stages,
    dispatch_parts,
    dispatch_safely,
    solve_stages,
)
from optimizer.outage.extract import extract
from optimizer.outage.greedy import greedy_plan
from optimizer.outage.inputs import OutageInput, check_outage_input
from optimizer.outage.load_following import simulate
from optimizer.outage.model import build_model, candidate_sets, identical_groups
from optimizer.outage.packing import packing_assignment
from optimizer.outage.parts import Dispatch
from optimizer.outage.result import OutagePlan
from optimizer.outage.routing import build_routing_model, routing_assignment
from optimizer.outage.shuttles import refill_shuttles
from optimizer.outage.stage_bounds import stage_bounds
from optimizer.outage.warm import warm_start, warm_start_routing
from optimizer.solver import HighsModel

log = logging.getLogger(__name__)


PACKING_SHARE = 0.05  # of the time limit: the packing MILP (packing.py)
PACKING_DISPATCH_SHARE = 0.22  # of the time limit: exact dispatch of the packing routing
SHUTTLE_DISPATCH_SHARE = 0.1  # of the time limit: each tier-stage dispatch with refill shuttles (charge points)
SHUTTLE_ROUNDS = 4  # rounds of refill shuttles, each from the plan the last one gave
SHUTTLE_FLOOR_SHARE = 0.6  # of the time limit: no further shuttle round once less than this is left
FIRST_DISPATCH_SHARE = 0.1  # of the time limit: exact dispatch of the greedy routing
BOUND_SHARE = 0.5  # of the time limit at most: the bounds over every shelter (stage_bounds.py; an LP that has
# converged stops early), taken before the routing relaxation
BOUND_MIN_SHARE = 0.2  # of the time limit: the bounds get at least this even if the earlier phases ran long
FINISH_S = 1.5  # seconds kept for the perfect-relocation bound and the last round of the bounds
ROUTING_SHARE = 0.5  # of the time then left for the routing stages; the exact dispatch of its routing the rest
ROUTING_MIN_S = 10.0  # no routing relaxation with less than this left (its four stages take ~1 s each at least) ...
ROUTING_MIN_SHARE = 0.2  # ... or than this share of the limit if that is less (short limits on small cases)
TRIPS_SHARE = 0.3  # of the time limit at most: day trips (day_trips.py), each dispatched part by part (parts.py)
TRIPS_SEARCH = 0.7  # of the day trips' time: trying trips; the rest the dispatch through every stage of those kept
TRIP_PART_SHARE = 0.03  # of the time limit: the tier-stage dispatch of one part while trying a trip
TRIPS_RESERVE = 0.45  # of the time limit, kept after the day trips for the bounds and the routing relaxation
TRIP_PART_CARS = 4  # a trip whose part has more cars (all cars at a charge point share one part) is not tried
TRIPS_MIN_S = 6.0  # no day trips with less time than this for them (the dispatch of each part takes ~0.3-3 s)
PARTS_MIN_S = 8.0  # the packing routing is dispatched part by part only with this many seconds for it (else whole)


FORMULATIONS = ("two-phase", "exact")


def plan_outage(
    data: OutageInput, time_limit_s: float = 60.0, mip_gap: float = 0.01, formulation: str = "two-phase"
) -> OutagePlan:
    """Best plan found within time_limit_s (wall seconds of the HiGHS runs), its bound and gap, never ranked
    below the greedy plan (`OutagePlan.score`).

    'two-phase' (default): routings from the packing MILP, refill shuttles (with charge points) and the
    block-level routing relaxation warm-started from the best so far, each dispatched by the exact MILP
    (model.py) with the routing fixed; `stages` holds the plan's own stage values with bounds over every
    shelter (stage_bounds.py). 'exact': the exact MILP alone (network flow per car, per-slot plug binaries), its
    own bound over the candidate stations. The gap is the final stage's against the tighter of the bound and
    the perfect-relocation bound (two-phase: the perfect-relocation bound)."""
    if formulation not in FORMULATIONS:
        raise ValueError(f"formulation: '{formulation}' is not one of {', '.join(FORMULATIONS)}")
    check_outage_input(data)
    clock = Clock()
    greedy = greedy_plan(data)
    clock.lap("greedy")
    extra = greedy_stations(greedy)
    cand = candidate_sets(data, extra)
    if not cand:
        return clock.stamp(replace(greedy, notes=("no usable car; greedy plan",)))
    greedy = in_car_order(greedy, identical_groups(data, cand))
    if formulation == "exact":
        return _exact(data, cand, greedy, time_limit_s, mip_gap, clock)
    return _two_phase(data, cand, greedy, time_limit_s, mip_gap, clock)


def greedy_stations(greedy: OutagePlan) -> dict[int, set[int]]:
    """Every station the greedy plan sends each car to, in any block (a car free later is first sent in a later
    block): added to the car's candidates so that the greedy plan is a feasible warm start."""
    rows = enumerate(greedy.assignment)
    return {v: {int(s) for s in row if s >= 0} for v, row in rows if (row >= 0).any()}


def _exact(
    data: OutageInput, cand: dict[int, list[int]], greedy: OutagePlan, limit: float, gap: float, clock: Clock
) -> OutagePlan:
    """The exact MILP over all candidate stations, warm-started from greedy."""
    try:
        model = build_model(data, cand)
        warm_start(model, greedy)
    except Exception as exc:  # a modelling bug must not lose the plan
        log.exception("outage MILP build failed; returning the greedy plan")
        return clock.stamp(replace(greedy, notes=(f"MILP build failed: {exc}",)))
    clock.lap("build")
    outcome = solve_stages(model, HighsModel(model), limit, gap, clock)
    if outcome.run is None:
        return clock.stamp(replace(greedy, notes=(*outcome.notes, "greedy used")))
    plan = extract(model, data, "milp", "optimal" if outcome.optimal else outcome.run.termination)
    clock.lap("extract")
    return _finish(plan, greedy, outcome, clock)


def _two_phase(
    data: OutageInput, cand: dict[int, list[int]], greedy: OutagePlan, limit: float, gap: float, clock: Clock
) -> OutagePlan:
    """The packing routing and the greedy routing, each dispatched exactly (the exact MILP rations tier 1 where
    the rule cannot), with day trips; the bounds over every shelter (stage_bounds.py: the route LP's, or the
    fleet relaxation's; at most BOUND_SHARE of the limit, at least BOUND_MIN_SHARE); then, with what time is
    left, the routing relaxation over the candidate stations (and the best plan's) warm-started from the
    best plan, for relocations, and the exact dispatch of its routing."""
    started = time.perf_counter()

    def left() -> float:
        return limit - (time.perf_counter() - started)

    start = _best_start(data, greedy, limit, clock)
    start = _with_trips(data, start, limit, min(TRIPS_SHARE * limit, left() - TRIPS_RESERVE * limit), clock)
    cand = candidate_sets(data, _merged(greedy_stations(greedy), greedy_stations(start)))
    start = in_car_order(start, identical_groups(data, cand))
    bound_s = max(min(BOUND_SHARE * limit, left() - FINISH_S), BOUND_MIN_SHARE * limit)
    bounds = _bounds_over_every_shelter(data, start, bound_s, clock)
    floor_s = min(ROUTING_MIN_S, ROUTING_MIN_SHARE * limit)
    plan, outcome = _relocations(data, cand, start, lambda: left() - FINISH_S, gap, clock, floor_s)
    _stage_values(data, plan, outcome, cand, bounds)
    return _finish(plan, greedy, outcome, clock, relaxation_bound=False)


def _relocations(
    data: OutageInput,
    cand: dict[int, list[int]],
    start: OutagePlan,
    seconds_left: Callable[[], float],
    gap: float,
    clock: Clock,
    floor_s: float,
) -> tuple[OutagePlan, Stages]:
    """The routing relaxation over the candidate stations warm-started from the start plan (ROUTING_SHARE of
    the seconds left), its routing dispatched exactly in the rest and kept if it ranks higher; skipped (noted)
    with less than `floor_s` left, where its stages would run past the limit."""
    outcome, plan = Stages(), start
    if seconds_left() < floor_s:
        outcome.notes.append(f"routing relaxation skipped: {max(seconds_left(), 0.0):.1f} s left")
        outcome.optimal = False
        return (replace(plan, status="feasible") if plan.status == "optimal" else plan), outcome
    try:
        routing = build_routing_model(data, cand)
        warm_start_routing(routing, start)
        clock.lap("routing_build")
        budget = ROUTING_SHARE * seconds_left()
        outcome = solve_stages(routing, HighsModel(routing), max(budget, 1.0), gap, clock, prefix="routing_")
    except Exception as exc:  # a modelling bug must not lose the plan
        log.exception("outage routing relaxation failed; keeping the best plan so far")
        outcome.notes.append(f"routing relaxation failed: {exc}")
    if outcome.run is not None:
        assignment = routing_assignment(routing, data)
        if not np.array_equal(assignment, start.assignment):
            found = dispatch_safely(data, assignment, max(seconds_left(), 1.0), clock, "dispatch_")
            plan = start if found is None or found.score < start.score else found
    elif plan.status == "optimal":
        plan = replace(plan, status="feasible")  # the dispatch is optimal, the routing unexamined
    clock.lap("dispatch")
    return plan, outcome


def _merged(*extras: dict[int, set[int]]) -> dict[int, set[int]]:
    """Union of per-car station sets."""
    out: dict[int, set[int]] = {}
    for extra in extras:
        for v, stations in extra.items():
            out.setdefault(v, set()).update(stations)
    return out


def _best_start(data: OutageInput, greedy: OutagePlan, limit: float, clock: Clock) -> OutagePlan:
    """The best of greedy, the exact dispatch of the packing routing (packing.py) and, if that is missing or
    ranks below greedy, that of greedy's routing (on a tie an exact dispatch wins over the rule's: it serves the
    comfort tier from more than curtailed PV). With charge points, rounds of refill shuttles (shuttles.py) on
    the best plan so far, each dispatched for the tier stages only and kept if better, then the best routing
    dispatched through every stage."""
    started = time.perf_counter()
    tiers = ("full", "tier1") if data.charge_points else None
    best = greedy
    try:
        packed = packing_assignment(data, PACKING_SHARE * limit)
    except Exception:  # a modelling bug must not lose the plan
        log.exception("outage packing MILP failed")
        packed = None
    clock.lap("packing")
    if packed is not None and not np.array_equal(packed, greedy.assignment):
        seconds = PACKING_DISPATCH_SHARE * limit
        by_parts = dispatch_parts if seconds >= PARTS_MIN_S else dispatch_safely  # a part costs ~0.3 s at least
        found = by_parts(data, packed, seconds, clock, "packing_dispatch_", tiers)
        best = found if found is not None and found.score > best.score else best
    clock.lap("packing_dispatch")
    if best is greedy:
        found = dispatch_safely(data, greedy.assignment, FIRST_DISPATCH_SHARE * limit, clock, "greedy_dispatch_")
        return found if found is not None and found.score >= best.score else best
    if tiers is None:
        return best
    for k in range(SHUTTLE_ROUNDS):
        shuttled = refill_shuttles(best)
        if shuttled is None or limit - (time.perf_counter() - started) < SHUTTLE_FLOOR_SHARE * limit:
            break
        found = dispatch_safely(data, shuttled, SHUTTLE_DISPATCH_SHARE * limit, clock, f"shuttle{k + 1}_", tiers)
        clock.lap(f"shuttle{k + 1}_dispatch")
        if found is None or found.score[:2] <= best.score[:2]:
            break
        best = found
    final = dispatch_safely(data, best.assignment, PACKING_DISPATCH_SHARE * limit, clock, "start_dispatch_")
    clock.lap("start_dispatch")
    return final if final is not None and final.score >= best.score else best


def _with_trips(data: OutageInput, start: OutagePlan, limit: float, budget: float, clock: Clock) -> OutagePlan:
    """The start plan with day trips (day_trips.with_trips) in `budget` wall seconds: TRIPS_SEARCH of it for
    trying trips (each part's tier stages at most TRIP_PART_SHARE of the limit, parts of at most TRIP_PART_CARS
    cars), the rest shared by the parts they change for their dispatch through every stage."""
    if budget < TRIPS_MIN_S:
        return start
    began = time.perf_counter()
    search_end, end = began + TRIPS_SEARCH * budget, began + budget

    def tier_dispatch(part: OutageInput, assignment: np.ndarray) -> OutagePlan | None:
        seconds = min(TRIP_PART_SHARE * limit, search_end - time.perf_counter())
        if seconds < MIN_PART_S or len(part.usable_evs) > TRIP_PART_CARS:
            return None
        return dispatch_safely(part, assignment, seconds, clock, "trip_", ("full", "tier1"), PART_TIER_GAP)

    def every_stage(n_parts: int) -> Dispatch:
        todo = [n_parts]

        def dispatch(part: OutageInput, assignment: np.ndarray) -> OutagePlan | None:
            seconds = max((end - time.perf_counter()) / max(todo[0], 1), MIN_PART_S)
            todo[0] -= 1
            return dispatch_safely(part, assignment, seconds, clock, "trips_", None, PART_TIER_GAP)

        return dispatch

    try:
        found, kept = with_trips(start, tier_dispatch, every_stage, search_end - began)
    except Exception:  # a modelling bug must not lose the plan
        log.exception("outage day trips failed")
        return start
    clock.lap("trips")
    if not kept:
        return start
    note = f"day trips: {kept} kept, tier 1 {start.tier1_kwh:.3f} -> {found.tier1_kwh:.3f} kWh"
    return replace(found, notes=(*start.notes, note))


def _bounds_over_every_shelter(
    data: OutageInput, start: OutagePlan, time_limit_s: float, clock: Clock
) -> tuple[dict[str, float], str]:
    """stage_bounds.py's bounds with the start plan's count and routes (valid over every plan with at least
    that count, so over what the routing relaxation finds after) and where they come from; ({}, 'failed') on
    a modelling bug."""
    try:
        found = stage_bounds(data, int(start.score[0]), start.assignment, time_limit_s)
    except Exception:  # a modelling bug must not lose the plan
        log.exception("stage bounds failed")
        found = ({}, "failed")
    clock.lap("stage_bounds")
    return found


def _stage_values(
    data: OutageInput,
    plan: OutagePlan,
    outcome: Stages,
    cand: dict[int, list[int]],
    found: tuple[dict[str, float], str],
) -> None:
    """Replace the routing relaxation's stage values by the plan's own and its bounds by those that hold over
    every shelter (`found`: stage_bounds.py's, the route LP's or the fleet relaxation's, and their source), or
    the routing relaxation's where that is tighter and its candidate stations are every shelter each car can
    reach (``complete_candidates``), the tier-1 one only if the plan has the count its full stage reached. The
    relaxation's figures stay in the notes."""
    bounds, source = dict(found[0]), found[1]
    outcome.notes.append(
        f"bounds over every shelter ({source}): " + ", ".join(f"{k} {v:.3f}" for k, v in bounds.items())
    )
    if complete_candidates(data, cand) and "full" in outcome.values:
        full_value, full_bound = outcome.values["full"]
        _tighten(bounds, "full", full_bound)
        if "tier1" in outcome.values and round(full_value) == plan.score[0]:
            _tighten(bounds, "tier1", outcome.values["tier1"][1])
    comfort = outcome.values.get("comfort")
    outcome.values = {
        "full": (float(plan.score[0]), bounds.get("full")),
        "tier1": (plan.tier1_kwh, bounds.get("tier1")),
    }
    if comfort is not None:
        outcome.values["comfort"] = (float(plan.comfort_served_kw.sum() * data.slot_hours), None)


def _tighten(bounds: dict[str, float], stage: str, other: float | None) -> None:
    """bounds[stage] = the smaller of it and other (None = no bound)."""
    if other is not None:
        bounds[stage] = min(bounds.get(stage, other), other)


def complete_candidates(data: OutageInput, cand: dict[int, list[int]]) -> bool:
    """True if every usable car's candidate stations include every shelter it can serve and reach from its
    start within one block (then the routing relaxation relaxes the whole exact problem)."""
    for v, ev in enumerate(data.usable_evs):
        servable = {
            s
            for s, shelter in enumerate(data.shelters)
            if ev.power_at(shelter) > 0 and data.reachable(ev.site, s) and data.first_block(ev, s) < data.n_blocks
        }
        if not servable <= set(cand.get(v, [])):
            return False
    return True


def _finish(
    plan: OutagePlan, greedy: OutagePlan, outcome: Stages, clock: Clock, relaxation_bound: bool = True
) -> OutagePlan:
    """The better of plan and greedy, with the bound, gap, stage values and notes. relaxation_bound: the
    outcome's final-stage bound holds over every plan (the exact MILP over all stations); else only the
    perfect-relocation bound is used for the final stage."""
    if plan.score < greedy.score:
        plan = replace(greedy, notes=("MILP plan ranked below greedy; greedy used",))
    if plan.status == "optimal" and not outcome.optimal and outcome.run is not None:
        plan = replace(plan, status=outcome.run.termination)  # the dispatch is optimal, not the routing
    data = plan.data
    final_bound = outcome.values["final"][1] if "final" in outcome.values and relaxation_bound else None
    bound, note = _best_bound(data, final_bound)
    clock.lap("bound")
    gap = (bound - plan.objective) / abs(bound) if abs(bound) > 1e-9 else None
    notes = (*plan.notes, *outcome.notes, note)
    solver_bound = final_bound if "final" in outcome.values else (outcome.run.bound if outcome.run else None)
    if not relaxation_bound:
        solver_bound = None
    plan = replace(plan, bound=bound, gap=gap, solver_bound=solver_bound, notes=notes, stages=outcome.values)
    return clock.stamp(plan)


def _best_bound(data: OutageInput, highs_bound: float | None) -> tuple[float, str]:
    """The tighter of HiGHS's bound and the perfect-relocation LP bound (both bound the plan's objective)."""
    try:
        relocation = perfect_relocation_bound(data)
    except RuntimeError as exc:
        log.warning("perfect-relocation bound failed: %s", exc)
        relocation = float("inf")
    bounds = [b for b in (highs_bound, relocation) if b is not None]
    highs_text = "n/a" if highs_bound is None else f"{highs_bound:.3f}"
    return min(bounds), f"HiGHS bound {highs_text}, perfect-relocation bound {relocation:.3f} kWh"


def in_car_order(plan: OutagePlan, groups: list[list[int]]) -> OutagePlan:
    """The same plan with interchangeable cars relabelled so that the first of each group is deployed no
    later (the MILP's symmetry-breaking rows), so that it stays a feasible warm start."""
    assignment = plan.assignment.copy()
    n_blocks = assignment.shape[1]
    for group in groups:
        first = [int(np.argmax(assignment[v] >= 0)) if (assignment[v] >= 0).any() else n_blocks for v in group]
        order = [group[i] for i in np.argsort(first, kind="stable")]
        assignment[group] = plan.assignment[order]
    if np.array_equal(assignment, plan.assignment):
        return plan
    return replace(simulate(plan.data, assignment, method=plan.method), solve_seconds=plan.solve_seconds)
