"""Bounds over every plan on the first two lexicographic stages of an outage plan (shelters with tier 1 fully
served, then tier-1 kWh), for the two-phase planner's report (solve.py).

Without charge points, and when the count of the plan is proven the most any plan serves fully
(fleet_bound.count_bound), the tier-1 bound is the route LP's (route_lp.py: column generation over whole car
routes with exact pricing; its Lagrangian bound holds at every round, and meets the LP over all routes once
generation converges). That LP is never above the fleet relaxation's (fleet_bound.py: every convex combination
of routes is one of its points), but a degenerate master can stall generation with the Lagrangian bound far
above it: if after CHECK_SHARE of the time the bound is still more than STALLED above the master's value, the
route LP gives up, the fleet relaxation runs in what is left and the smaller bound is kept. Otherwise (charge
points, an unproven count), or if the route LP gives none, the fleet relaxation alone, which also tightens the
count by its LP. Units: kWh; seconds are wall time.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from optimizer.outage.fleet_bound import count_bound, fleet_bounds
from optimizer.outage.inputs import OutageInput
from optimizer.outage.route_lp import route_lp

log = logging.getLogger(__name__)

FALLBACK_MIN_S = 2.0  # the fleet relaxation gets at least this after a route LP that gave no bound
CHECK_SHARE = 0.4  # of the time: when the route LP checks whether it stalls
STALLED = 0.015  # relative: a route LP bound this far above its master value at the check gives up


def stage_bounds(
    data: OutageInput, plan_full: int, assignment: np.ndarray, time_limit_s: float
) -> tuple[dict[str, float], str]:
    """Bounds 'full' and 'tier1' (see the module docstring; a bound not reached in time is left out) within
    about time_limit_s, and a note saying where they come from. assignment: the plan's routing (cars x
    blocks), the route LP's first columns."""
    started = time.perf_counter()
    count = count_bound(data)
    route: tuple[float, bool, str] | None = None
    if not data.charge_points and plan_full >= count:
        route = _route_bound(data, plan_full, assignment, time_limit_s)
        if route is not None and not route[1]:
            return {"full": float(count), "tier1": route[0]}, route[2]
    left = max(time_limit_s - (time.perf_counter() - started), FALLBACK_MIN_S)
    bounds = fleet_bounds(data, plan_full, left)
    if route is None:
        return bounds, "fleet relaxation"
    fleet = bounds.get("tier1")
    bounds["tier1"] = route[0] if fleet is None else min(fleet, route[0])
    fleet_text = "none" if fleet is None else f"{fleet:.3f}"
    return bounds, f"{route[2]}; fleet relaxation {fleet_text}; the smaller kept"


def _route_bound(
    data: OutageInput, plan_full: int, assignment: np.ndarray, time_limit_s: float
) -> tuple[float, bool, str] | None:
    """The route LP's tier-1 bound, whether it gave up (stalled at the check), and a note; None if it gives
    none or fails."""
    try:
        state = route_lp(
            data, float(plan_full), time_limit_s, assignment, give_up=(CHECK_SHARE * time_limit_s, STALLED)
        )
    except Exception:  # a modelling bug must not lose the plan
        log.exception("route LP bound failed; the fleet relaxation bounds instead")
        return None
    if state.bound is None or state.master_kwh is None:
        return None
    note = (
        f"route LP{' (gave up: stalled)' if state.gave_up else ''}: {state.rounds} rounds, {state.routes} "
        f"routes, master {state.master_kwh:.3f} kWh, bound {state.bound:.3f}, {state.seconds:.1f} s"
    )
    return state.bound, state.gave_up, note
