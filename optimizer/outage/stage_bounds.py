"""Bounds over every plan on the first two lexicographic stages of an outage plan (shelters with tier 1 fully
served, then tier-1 kWh), for the two-phase planner's report (solve.py).

Without charge points, and when the count of the plan is proven the most any plan serves fully
(fleet_bound.count_bound), the tier-1 bound is the route LP's (route_lp.py: column generation over whole car
routes with exact pricing; its Lagrangian bound holds at every round, so whatever time it gets gives a valid
bound, tight once generation converges). Otherwise, or if the route LP gives none, the fleet relaxation's
(fleet_bound.py), which also tightens the count by its LP. Units: kWh; seconds are wall time.
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


def stage_bounds(
    data: OutageInput, plan_full: int, assignment: np.ndarray, time_limit_s: float
) -> tuple[dict[str, float], str]:
    """Bounds 'full' and 'tier1' (see the module docstring; a bound not reached in time is left out) within
    about time_limit_s, and a note saying where they come from. assignment: the plan's routing (cars x
    blocks), the route LP's first columns."""
    started = time.perf_counter()
    count = count_bound(data)
    if not data.charge_points and plan_full >= count:
        try:
            state = route_lp(data, float(plan_full), time_limit_s, assignment)
        except Exception:  # a modelling bug must not lose the plan
            log.exception("route LP bound failed; the fleet relaxation bounds instead")
        else:
            if state.bound is not None:
                note = (
                    f"route LP: {state.rounds} rounds, {state.routes} routes, master {state.master_kwh:.3f} kWh, "
                    f"{state.seconds:.1f} s"
                )
                return {"full": float(count), "tier1": state.bound}, note
    left = max(time_limit_s - (time.perf_counter() - started), FALLBACK_MIN_S)
    return fleet_bounds(data, plan_full, left), "fleet relaxation"
