"""Outage planning with the PHEVs' engines and the comfort tier (issue 13), Yamaguchi, 72 h from
2024-09-01 14:00 JST: the same input planned with the engines and comfort dropped (the planners before issue
13) and with them, by greedy and by the two-phase MILP, measured in the same run.

Run: nice -n 5 .venv/bin/python benchmarks/bench_outage_phev_comfort.py [--limit 60]
(writes benchmarks/results/outage_phev_comfort.md)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

from optimizer.outage import OutageInput, OutagePlan, greedy_plan, plan_outage
from runtime.facades import outage_planning as rt
from scenarios.loader import load_scenario

START = pd.Timestamp("2024-09-01T14:00", tz="Asia/Tokyo")
RESULTS = Path(__file__).parent / "results" / "outage_phev_comfort.md"


def without_engines_and_comfort(data: OutageInput) -> OutageInput:
    """The input as the planners saw it before issue 13: no engine, no comfort tier."""
    evs = tuple(replace(e, engine_kw=0.0, fuel_kwh=0.0) for e in data.evs)
    shelters = tuple(replace(s, comfort_kw=None) for s in data.shelters)
    return replace(data, evs=evs, shelters=shelters)


def row(case: str, method: str, plan: OutagePlan, seconds: float) -> dict[str, object]:
    """One table row of a plan's figures (kWh, counts, seconds)."""
    s = plan.summary()
    return {
        "case": case,
        "planner": method,
        "status": plan.status,
        "s": round(seconds, 1),
        "served kWh": round(s["served_kwh"], 2),
        "tier-1 full shelters": s["shelters_tier1_full"],
        "tier-1 kWh": round(s["tier1_kwh"], 2),
        "engine kWh": round(s["engine_kwh"], 2),
        "comfort kWh": round(s["comfort_kwh"], 2),
        "comfort demand kWh": round(s["comfort_demand_kwh"], 2),
        "objective": round(plan.objective, 3),
        "gap %": None if plan.gap is None else round(100 * plan.gap, 2),
    }


def markdown(frame: pd.DataFrame) -> str:
    """A GitHub table without the optional tabulate dependency."""
    cols = list(frame.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for values in frame.itertuples(index=False):
        lines.append("| " + " | ".join("" if v is None else str(v) for v in values) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=float, default=60.0, help="MILP time limit, s")
    args = parser.parse_args()
    started = dt.datetime.now(dt.UTC)
    data = rt.outage_input(load_scenario("yamaguchi"), START, 72)
    rows = []
    for case, case_data in (("before (no engine, no comfort)", without_engines_and_comfort(data)), ("issue 13", data)):
        t0 = time.perf_counter()
        greedy = greedy_plan(case_data)
        rows.append(row(case, "greedy", greedy, time.perf_counter() - t0))
        t0 = time.perf_counter()
        milp = plan_outage(case_data, time_limit_s=args.limit)
        rows.append(row(case, "two-phase", milp, time.perf_counter() - t0))
        print(rows[-2], rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    base = frame.set_index(["case", "planner"])["served kWh"]
    frame["served / before"] = [
        round(float(r["served kWh"]) / float(base["before (no engine, no comfort)", r["planner"]]), 4)
        for _, r in frame.iterrows()
    ]
    phevs = sum(1 for e in data.evs if e.engine_kw > 0)
    text = [
        "# Outage planning with PHEV engines and the comfort tier (measured)",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores shared with "
        f"other jobs on it: see the README; run {started:%Y-%m-%d %H:%M} UTC with "
        f"`nice -n 5 .venv/bin/python benchmarks/bench_outage_phev_comfort.py --limit {args.limit:g}`.",
        "",
        f"Yamaguchi, start {START.isoformat()}, 72 h, {len(data.shelters)} shelters, {len(data.evs)} cars of which "
        f"{phevs} PHEVs ({', '.join(f'{e.fuel_kwh:g}' for e in data.evs if e.engine_kw > 0)} kWh of fuel at the "
        "outlet each). 'before' drops the engines and the comfort tier from the same input; 'served' is the "
        "critical load (tiers 1 and 2), comfort is reported apart. Time limit per MILP plan "
        f"{args.limit:g} s.",
        "",
        markdown(frame),
        "",
    ]
    RESULTS.write_text("\n".join(text), encoding="utf-8")
    print("\n".join(text))


if __name__ == "__main__":
    main()
