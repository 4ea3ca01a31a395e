"""Route LP benchmark (issue 13): how far the LP over whole car routes bounds the tier-1 kWh at Yamaguchi scale
by pricing, and what the best integer routing over the routes it generates reaches.

Per case (no charge points): the 60-s two-phase plan (tier-1 kWh and the bound it reports) and the fleet
relaxation's bound (fleet_bound.py); then, from the plan's routes, column generation (optimizer/outage/route_lp.py)
for at most `--limit` s with each pricing: the energy multiplier's golden section (route_pricing.class_bound)
and the exact branch and bound (route_search.py), without presence rows, and the multiplier with them: the
restricted master's tier-1 kWh at the end (the LP over all routes is at least this), the Lagrangian bound (valid
over every plan; equal to the master once exact pricing finds no improving route), rounds and routes; then the
route MIP over those routes for `--mip` s (its value and HiGHS's bound over the pool) and the exact dispatch of
its routing (tier stages, 20 s).

Run: .venv/bin/python benchmarks/bench_outage_route_lp.py [--limit 60] [--mip 30]
(writes benchmarks/results/outage_route_lp.md)
"""

from __future__ import annotations

import argparse
import platform
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
from bench_outage_routing import START, constructed, markdown, with_added_cars

from optimizer.outage import OutageInput, plan_outage
from optimizer.outage.dispatch import Clock, dispatch_routing
from optimizer.outage.fleet_bound import fleet_bounds
from optimizer.outage.route_lp import route_lp
from optimizer.outage.route_master import integer_routing
from runtime.facades import outage_planning as rt
from scenarios.loader import load_scenario

RESULTS = Path(__file__).parent / "results" / "outage_route_lp.md"


VARIANTS = (("multiplier", False), ("exact search", False), ("multiplier", True))  # (pricing, presence rows)


def rows_for(label: str, data: OutageInput, limit: float, mip: float) -> list[dict[str, object]]:
    """The plan and the fleet bound, then the route LP per pricing and presence rows, the route MIP and its
    dispatch."""
    t0 = time.perf_counter()
    plan = plan_outage(data, 60.0)
    plan_s = time.perf_counter() - t0
    fleet = fleet_bounds(data, plan.score[0], 60.0).get("tier1")
    rows: list[dict[str, object]] = []
    for pricing, presence in VARIANTS:
        state = route_lp(data, plan.score[0], limit, plan.assignment, presence, exact=pricing == "exact search")
        t1 = time.perf_counter()
        found = integer_routing(state.master, state.cars, state.classes, data, mip, state.start)
        mip_s = time.perf_counter() - t1
        dispatched = None
        if found is not None:
            dispatched = dispatch_routing(data, found.assignment, 20.0, Clock(), "route_mip_", ("full", "tier1"))
        rows.append(
            {
                "case": label,
                "pricing": pricing,
                "presence rows": presence,
                "plan full / tier-1 kWh (60 s)": f"{plan.score[0]}/{len(data.shelters)}, {plan.tier1_kwh:.1f}",
                "plan s": round(plan_s, 1),
                "plan's bound": _rounded(plan.stages["tier1"][1]),
                "fleet bound": _rounded(fleet),
                "route LP master kWh": _rounded(state.master_kwh),
                "Lagrangian bound": _rounded(state.bound),
                "rounds": state.rounds,
                "routes": state.routes,
                "CG s": round(state.seconds, 1),
                "route MIP kWh": None if found is None else round(found.kwh, 1),
                "route MIP bound (pool)": None if found is None else _rounded(found.bound),
                "MIP s": round(mip_s, 1),
                "dispatched full / tier-1 kWh": None
                if dispatched is None
                else f"{dispatched.score[0]}/{len(data.shelters)}, {dispatched.tier1_kwh:.1f}",
            }
        )
        print(rows[-1], flush=True)
    return rows


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=float, default=60.0, help="column generation seconds per run")
    parser.add_argument("--mip", type=float, default=30.0, help="route MIP seconds per run")
    args = parser.parse_args()
    started = time.perf_counter()
    scenario = load_scenario("yamaguchi")
    yamaguchi = replace(with_added_cars(rt.outage_input(scenario, START, 72)), charge_points=())
    ring = replace(constructed(), charge_points=())
    rows = rows_for("constructed ring 6 shelters, 12 km, 6 cars", ring, args.limit, args.mip)
    rows += rows_for("Yamaguchi 21 shelters, 20 cars, no charge point", yamaguchi, args.limit, args.mip)
    text = "\n".join(
        [
            "# Route LP benchmark (measured)",
            "",
            f"Machine: {platform.machine()}, {platform.python_version()}, 2 cores; run "
            f"{pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M} UTC, total {time.perf_counter() - started:.0f} s; "
            f"column generation {args.limit:g} s, route MIP {args.mip:g} s per run. 72 h from 2024-09-01 14:00 JST.",
            "'route LP master kWh' is the restricted master's LP value when generation stopped (the LP over all "
            "routes is at least this, so no bound from it can be lower); 'Lagrangian bound' is valid over every "
            "plan (with exact pricing, once it meets the master, the LP over all routes is solved); 'plan's "
            "bound' is what plan_outage reports (the route LP's with exact pricing when the count is proven, "
            "else the fleet relaxation's); 'route MIP bound (pool)' holds only over the routes generated.",
            "",
            markdown(pd.DataFrame(rows)),
            "",
        ]
    )
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
