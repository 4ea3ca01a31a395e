"""Route LP benchmark (research, issue 13): how far an LP over whole car routes can bound the tier-1 kWh at
Yamaguchi scale, and what the best integer routing over the routes it generates reaches.

Per case (no charge points): the 60-s two-phase plan (tier-1 kWh, its fleet-relaxation bound); then, from the
plan's routes, column generation (optimizer/outage/route_lp.py) without and with the presence rows for
`--limit` s: the restricted master's tier-1 kWh at the end (an LP value over the routes generated: the LP over
all routes is at least this), its Lagrangian bound (valid over every plan), rounds and routes; then the route
MIP over those routes for `--mip` s (its value and HiGHS's bound over the pool) and the exact dispatch of its
routing (tier stages, 20 s); and the single-car pricing MILP's bound at the final duals (``exact_pricing``,
10 s per class) in place of the Lagrangian pricing bound.

Run: .venv/bin/python benchmarks/bench_outage_route_lp.py [--limit 120] [--mip 60]
(writes benchmarks/results/outage_route_lp.md)
"""

from __future__ import annotations

import argparse
import platform
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from bench_outage_routing import START, constructed, markdown, with_added_cars

from optimizer.outage import OutageInput, plan_outage
from optimizer.outage.dispatch import Clock, dispatch_routing
from optimizer.outage.route_lp import RouteLP, route_lp
from optimizer.outage.route_master import integer_routing, prices, shelter_value, signed
from optimizer.outage.route_pricing import exact_pricing
from runtime.facades import outage_planning as rt
from scenarios.loader import load_scenario

RESULTS = Path(__file__).parent / "results" / "outage_route_lp.md"


def exact_pricing_bound(state: RouteLP, data: OutageInput, seconds: float) -> float | None:
    """The Lagrangian bound at the final master's duals with each class's best route bounded by the single-car
    MILP (HiGHS's bound after `seconds`) instead of the energy multiplier; None if a MILP proves nothing."""
    hs = state.master.highs
    hs.run()
    duals = signed(state.master, np.asarray(hs.getSolution().row_dual))
    total = shelter_value(state.master, duals)
    for k, c in enumerate(state.classes):
        pr = replace(prices(state.master, state.cars[k], duals, state.master.convexity[k]), convexity=0.0)
        best = exact_pricing(state.cars[k], pr, data.slot_hours, data.n_slots, data.block_slots, seconds)
        if best is None:
            return None
        total += c.count * max(best, 0.0)
    return total


def rows_for(label: str, data: OutageInput, limit: float, mip: float) -> list[dict[str, object]]:
    """The plan, then the route LP without and with presence rows, the route MIP and its dispatch."""
    t0 = time.perf_counter()
    plan = plan_outage(data, 60.0)
    plan_s = time.perf_counter() - t0
    fleet = plan.stages["tier1"][1]
    rows: list[dict[str, object]] = []
    for presence in (False, True):
        state = route_lp(data, plan.score[0], limit, plan.assignment, presence)
        exact = exact_pricing_bound(state, data, 10.0)
        t1 = time.perf_counter()
        found = integer_routing(state.master, state.cars, state.classes, data, mip, state.start)
        mip_s = time.perf_counter() - t1
        dispatched = None
        if found is not None:
            dispatched = dispatch_routing(data, found.assignment, 20.0, Clock(), "route_mip_", ("full", "tier1"))
        rows.append(
            {
                "case": label,
                "presence rows": presence,
                "plan full / tier-1 kWh (60 s)": f"{plan.score[0]}/{len(data.shelters)}, {plan.tier1_kwh:.1f}",
                "plan s": round(plan_s, 1),
                "fleet bound": None if fleet is None else round(fleet, 1),
                "route LP master kWh": None if state.master_kwh is None else round(state.master_kwh, 1),
                "Lagrangian bound": None if state.bound is None else round(state.bound, 1),
                "bound, exact pricing": None if exact is None else round(exact, 1),
                "rounds": state.rounds,
                "routes": state.routes,
                "CG s": round(state.seconds, 1),
                "route MIP kWh": None if found is None else round(found.kwh, 1),
                "route MIP bound (pool)": None if found is None or found.bound is None else round(found.bound, 1),
                "MIP s": round(mip_s, 1),
                "dispatched full / tier-1 kWh": None
                if dispatched is None
                else f"{dispatched.score[0]}/{len(data.shelters)}, {dispatched.tier1_kwh:.1f}",
            }
        )
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=float, default=120.0, help="column generation seconds per run")
    parser.add_argument("--mip", type=float, default=60.0, help="route MIP seconds per run")
    args = parser.parse_args()
    started = time.perf_counter()
    scenario = load_scenario("yamaguchi")
    yamaguchi = replace(with_added_cars(rt.outage_input(scenario, START, 72)), charge_points=())
    ring = replace(constructed(), charge_points=())
    rows = rows_for("constructed ring 6 shelters, 12 km, 6 cars", ring, args.limit, args.mip)
    rows += rows_for("Yamaguchi 21 shelters, 20 cars, no charge point", yamaguchi, args.limit, args.mip)
    text = "\n".join(
        [
            "# Route LP benchmark (measured; research, not used by plan_outage)",
            "",
            f"Machine: {platform.machine()}, {platform.python_version()}, 2 cores; run "
            f"{pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M} UTC, total {time.perf_counter() - started:.0f} s; "
            f"column generation {args.limit:g} s, route MIP {args.mip:g} s per run. 72 h from 2024-09-01 14:00 JST.",
            "'route LP master kWh' is the restricted master's LP value when generation stopped (the LP over all "
            "routes is at least this, so no bound from it can be lower); 'Lagrangian bound' and 'bound, exact "
            "pricing' are valid over every plan; 'route MIP bound (pool)' holds only over the routes generated.",
            "",
            markdown(pd.DataFrame(rows)),
            "",
        ]
    )
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
