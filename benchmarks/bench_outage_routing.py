"""Outage routing benchmark: constructed cases where routing matters (shelters far apart, few V2H chargers,
unequal loads, cars that can shuttle to a charge point) and Yamaguchi with and without a charge point at the
cleaning plant. Per case: greedy vs MILP (lexicographic stages) vs bounds, seconds and gaps, shelters with
tier 1 fully served 72 h, tier-1 kWh, and the fleet's value in shelter-hours (hours with tier 1 fully
served, summed over shelters, less the same without cars) with and without recharge trips.

Run: .venv/bin/python benchmarks/bench_outage_routing.py [--limit 60]   (writes benchmarks/results/outage_routing.md)
"""

from __future__ import annotations

import argparse
import platform
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.outage import OutageEV, OutageInput, OutageShelter, StationaryBattery, greedy_plan, plan_outage
from optimizer.outage.bound import perfect_relocation_bound
from optimizer.outage.inputs import ChargePoint
from optimizer.outage.result import OutagePlan
from runtime.facades import outage_planning as rt
from scenarios.loader import load_scenario

START = pd.Timestamp("2024-09-01T14:00", tz="Asia/Tokyo")
RESULTS = Path(__file__).parent / "results" / "outage_routing.md"


def constructed(
    n_shelters: int = 6, radius_km: float = 12.0, seed: int = 1, n_slots: int = 144, cars: int = 6
) -> OutageInput:
    """Shelters on a ring `radius_km` around a depot with power (2 chargers x 6 kW), 30 km/h; loads 0.5-3 kW
    (tier 1 = 40 %) with a 1.3x evening peak, no PV; a 9.8 kWh battery at every third shelter; one V2H
    charger at two shelters; 2 bZ4X (57.7 kWh, 6 kW V2H) and 4 C+pod (9.06 kWh, 1.5 kW V2L) at the depot,
    SoC 80 %, floor 10 % (the first `cars` of them); `n_slots` 30-min slots."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(START, periods=n_slots, freq="30min")
    evening = np.where((index.hour >= 17) & (index.hour < 22), 1.3, 1.0)
    shelters = []
    for j in range(n_shelters):
        load = rng.uniform(0.5, 3.0) * evening
        bat = StationaryBattery(9.8, 5.0, 5.0, soc_start=0.8) if j % 3 == 0 else None
        shelters.append(
            OutageShelter(
                f"s{j}", load, np.zeros(n_slots), battery=bat, bidirectional_charger=j < 2, tier1_kw=0.4 * load
            )
        )
    angle = np.linspace(0, 2 * np.pi, n_shelters, endpoint=False)
    xy = np.vstack([np.column_stack([np.cos(angle), np.sin(angle)]) * radius_km, [[0.0, 0.0]]])
    km = np.linalg.norm(xy[:, None] - xy[None], axis=2) * 1.3
    steps = np.ceil(km / 30 / 0.5 - 1e-9).astype(int)
    fleet = ([(57.7, 6.0, 1.5, 0.15)] * 2 + [(9.06, 0.0, 1.5, 0.054)] * 4)[:cars]
    evs = tuple(
        OutageEV(f"ev{v}", n_shelters, c, 0.8, 0.1, v2h, v2l, per_km) for v, (c, v2h, v2l, per_km) in enumerate(fleet)
    )
    return OutageInput(
        start=START,
        shelters=tuple(shelters),
        evs=evs,
        site_ids=(*(s.id for s in shelters), "depot"),
        distance_km=km,
        travel_slots=steps,
        n_slots=n_slots,
        block_slots=8,
        candidate_shelters=n_shelters,
        charge_points=(ChargePoint("depot", n_shelters, 2, 6.0),),
    )


ADDED_CARS = (
    "bz4x-1",
    "leaf-shiraishi",
    "dealer-leaf-1",
    "dealer-leaf-2",
    "dealer-sakura-1",
    "dealer-sakura-2",
    "dealer-ariya-1",
    "dealer-bz4x-1",
)


def with_added_cars(data: OutageInput, copies: tuple[str, ...] = ADDED_CARS) -> OutageInput:
    """The scenario's 12 cars plus a second car of each of its 8 V2H models at the same home, SoC and
    availability (ids '<id>-2nd'): the documented 20-car Yamaguchi case."""
    by_id = {e.id: e for e in data.evs}
    added = tuple(replace(by_id[i], id=f"{i}-2nd") for i in copies)
    return replace(data, evs=(*data.evs, *added))


def shelter_hours(plan: OutagePlan) -> float:
    """Hours with tier 1 fully served, summed over shelters."""
    return float(plan.shelter_table()["tier1_hours"].sum())


def rows_for(label: str, data: OutageInput, limit: float, exact: bool = False) -> list[dict[str, object]]:
    """greedy, the two-phase planner without charge points and with them (if any), and (exact) the exact
    flow MILP alone with them, with bounds and the fleet's value."""
    no_cars = shelter_hours(greedy_plan(replace(data, evs=())))
    variants = [("greedy", data, ""), ("two-phase, no recharge", replace(data, charge_points=()), "two-phase")]
    if data.charge_points:
        variants.append(("two-phase, recharge", data, "two-phase"))
    if exact:
        variants.append(("exact flow MILP, recharge", data, "exact"))
    rows = []
    for name, case, formulation in variants:
        t0 = time.perf_counter()
        plan = greedy_plan(case) if not formulation else plan_outage(case, limit, formulation=formulation)
        wall = time.perf_counter() - t0
        stages = plan.stages
        rows.append(
            {
                "case": label,
                "planner": name,
                "seconds": round(wall, 1),
                "status": plan.status,
                "tier-1 full (of shelters)": f"{plan.score[0]}/{len(case.shelters)}",
                "full bound": "" if "full" not in stages else stages["full"][1],
                "tier-1 kWh": round(plan.tier1_kwh, 1),
                "tier-1 bound": "" if "tier1" not in stages else round(stages["tier1"][1] or float("nan"), 1),
                "tier-1 gap %": "" if "tier1" not in stages else tier1_gap(plan.tier1_kwh, stages["tier1"][1]),
                "served kWh": round(plan.served_kwh, 1),
                "perfect-reloc bound kWh": round(perfect_relocation_bound(case, slot_weighted=False), 1),
                "gap % (final stage)": None if plan.gap is None else round(100 * plan.gap, 2),
                "fleet shelter-hours": round(shelter_hours(plan) - no_cars, 1),
                "charge stops": sum(1 for m in plan.moves if m.outlet == "charge"),
            }
        )
        print(rows[-1], flush=True)
    return rows


def tier1_gap(value: float, bound: float | None) -> float | None:
    """(bound - value) / bound in %, None without a bound."""
    return None if not bound else round(100 * (bound - value) / bound, 2)


def markdown(frame: pd.DataFrame) -> str:
    """A pipe table."""
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += [
        "| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join(lines)


KEPT = "## Formulations tried"


def kept_section() -> str:
    """The hand-kept 'Formulations tried' section of the results file (measured by the commands it names,
    some on earlier commits), carried over when the table is rewritten."""
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    return "\n" + old[old.index(KEPT) :] if KEPT in old else ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=float, default=60.0, help="MILP time limit per run, s.")
    args = parser.parse_args()
    started = time.perf_counter()
    scenario = load_scenario("yamaguchi")
    yamaguchi = rt.outage_input(scenario, START, 72, charge_points={"cleaning-plant": (2, 6.0)})
    rows = rows_for(
        "constructed ring 3 shelters, 20 km, 2 bZ4X, 24 h", constructed(3, 20.0, n_slots=48, cars=2), args.limit
    )
    rows += rows_for("constructed ring 6 shelters, 12 km, 6 cars", constructed(), args.limit)
    rows += rows_for("constructed ring 6 shelters, 20 km, 6 cars", constructed(radius_km=20.0), args.limit)
    rows += rows_for("Yamaguchi 21 shelters, 12 cars, cleaning plant 2x6 kW", yamaguchi, args.limit)
    rows += rows_for(
        "Yamaguchi 21 shelters, 20 cars (12 + 8 added), cleaning plant 2x6 kW",
        with_added_cars(yamaguchi),
        args.limit,
        exact=True,
    )
    text = "\n".join(
        [
            "# Outage routing benchmark (measured)",
            "",
            f"Machine: {platform.machine()}, {platform.python_version()}, 2 cores shared with other jobs; run "
            f"{pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M} UTC, total {time.perf_counter() - started:.0f} s; "
            f"MILP limit {args.limit:g} s per run (all phases and lexicographic stages share it).",
            "72 h from 2024-09-01 14:00 JST. 'full bound' and 'tier-1 bound' are proven bounds of the first two "
            "stages (two-phase: over every shelter, the route LP's without charge points when the count is "
            "proven, else the fleet relaxation's; or the routing relaxation's where its "
            "candidates are every shelter; exact: HiGHS's on the exact MILP over each car's candidate stations "
            "only); status 'optimal' only if every stage closed; 'gap' is the "
            "final stage's against the tighter of its HiGHS bound and the perfect-relocation bound (the final "
            "stage is conditional on the tier-1 kWh the relaxation reached, so a plan that rations tier 1 shows a "
            "large final gap). Fleet shelter-hours = hours with tier 1 fully served summed over shelters, "
            "less the same without cars.",
            "",
            markdown(pd.DataFrame(rows)),
            "",
        ]
    )
    RESULTS.write_text(text + kept_section(), encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
