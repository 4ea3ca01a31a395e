"""What each cost term and limit of issue 12 does to the Yamaguchi day-ahead plan (`ems plan --scenario yamaguchi`).

The plan of the given date (default 2024-08-01, 96 slots, the inputs `ems plan` builds: forecasts package, real
JEPX prices) is solved as it is, then once per term with that term taken out ("as before": the old behaviour
the issue describes) or, for the billing terms that do not bind on the day, with a measured reference lowered
so that they do (a sensitivity). Each row: the objective (JPY) of the variant, its money, and the figure the term
moves, for both (measured against the plan's own inputs: e.g. kWh below the real floors). Usage:
python benchmarks/bench_cost_terms.py [--date 2024-08-01]. Writes
benchmarks/results/cost_terms.md. The machine is shared; seconds are not the point here, only the solves' results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from optimizer.dayahead.headline import split_costs
from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.result import PlanResult
from optimizer.dayahead.solve import solve
from runtime.facades.dayahead_planning import day_index, plan_inputs
from scenarios.loader import load_builtin

RESULTS = Path(__file__).parent / "results" / "cost_terms.md"
Figure = Callable[[PlanInputs, PlanResult], float]


def below_floor_kwh(inputs: PlanInputs, r: PlanResult) -> float:
    """kWh the plan's lowest SoC lies below each battery's floor max(soc_min, reserve_soc), summed."""
    floors = np.array([max(b.soc_min_kwh, b.reserve_floor_kwh) for b in inputs.batteries])
    return float(np.clip(floors - r.dispatch.bat_soc_kwh.min(axis=1), 0.0, None).sum())


def plant_site_wheeling(inputs: PlanInputs, r: PlanResult) -> float:
    """Wheeling JPY of the plant's own facility (its meter import x the wheeling charge)."""
    i = inputs.facility_ids.index("cleaning-plant")
    return float(inputs.wheeling_jpy_per_kwh * (r.dispatch.import_kw[i] * inputs.hours).sum())


def link_kwh(inputs: PlanInputs, r: PlanResult) -> float:
    """kWh sent over the links (both directions)."""
    return float(((r.dispatch.link_ab_kw + r.dispatch.link_ba_kw) * inputs.hours).sum())


def v2h_kwh(inputs: PlanInputs, r: PlanResult) -> float:
    """kWh the EVs discharged by V2H."""
    return float((r.dispatch.ev_discharge_kw * inputs.hours).sum())


def export_kwh(inputs: PlanInputs, r: PlanResult) -> float:
    """kWh exported at facilities with a reverse-flow limit of 0 kW."""
    rows = [i for i, f in enumerate(inputs.facilities) if f.export_limit_kw == 0.0]
    return float((r.dispatch.export_kw[rows] * inputs.hours).sum())


def stored_value(inputs: PlanInputs, r: PlanResult) -> float:
    """Value in JPY the plan gives the energy left in storage."""
    return -float(r.breakdown["terminal_value"])


def peak_group_kw(inputs: PlanInputs, r: PlanResult) -> float:
    """Highest 30-min sum of the facilities' meter imports (kW)."""
    return float(r.dispatch.import_kw.sum(axis=0).max())


def no_floor(i: PlanInputs) -> PlanInputs:
    return replace(i, batteries=tuple(replace(b, reserve_floor_kwh=0.0) for b in i.batteries))


def no_plant_site(i: PlanInputs) -> PlanInputs:
    assert i.plant is not None
    return replace(i, plant=replace(i.plant, facility=None))


def free_links(i: PlanInputs) -> PlanInputs:
    return replace(i, links=tuple(replace(lk, loss_fraction=0.0, charge_jpy_per_kwh=0.0) for lk in i.links))


def free_v2h(i: PlanInputs) -> PlanInputs:
    return replace(i, evs=tuple(replace(e, degradation_jpy_per_kwh=0.0, v2h_max_kwh_per_24h=None) for e in i.evs))


def no_export_limit(i: PlanInputs) -> PlanInputs:
    return replace(i, facilities=tuple(replace(f, export_limit_kw=None) for f in i.facilities))


def old_terminal(i: PlanInputs) -> PlanInputs:
    old = float(np.median(i.price_jpy_per_kwh)) + i.wheeling_jpy_per_kwh
    return replace(
        i,
        terminal_price_jpy_per_kwh=old,
        facilities=tuple(replace(f, terminal_price_jpy_per_kwh=None) for f in i.facilities),
    )


def capacity_reference(kw: float) -> Callable[[PlanInputs], PlanInputs]:
    return lambda i: replace(i, capacity_peak_so_far_kw=kw)


def no_capacity(i: PlanInputs) -> PlanInputs:
    return replace(i, capacity_jpy_per_kw=0.0)


@dataclass(frozen=True)
class Case:
    """One row: the bullet, the variant (what is changed), the figure it moves, and the inputs change."""

    bullet: str
    variant: str
    figure: str
    measure: Figure
    change: Callable[[PlanInputs], PlanInputs]
    sensitivity: bool = False


CASES = (
    Case("battery floor", "reserve_soc ignored (floor = soc_min)", "kWh below floor", below_floor_kwh, no_floor),
    Case(
        "plant at its facility",
        "plant.facility_id unused",
        "plant site wheeling JPY",
        plant_site_wheeling,
        no_plant_site,
    ),
    Case("link losses / charge", "link free (no loss, no fee)", "link kWh sent", link_kwh, free_links),
    Case("V2H wear + owner limit", "no V2H wear, no 24-h limit", "V2H kWh", v2h_kwh, free_v2h),
    Case("export limit", "no reverse-flow limit", "export kWh at 0-kW sites", export_kwh, no_export_limit),
    Case("terminal value", "median price + wheeling everywhere", "stored value JPY", stored_value, old_terminal),
)
SENSITIVITY = (
    Case(
        "capacity (容量拠出金)",
        "none (reference 1,200 kW in the row above)",
        "peak group kW",
        peak_group_kw,
        no_capacity,
        True,
    ),
)


def solved(inputs: PlanInputs) -> PlanResult:
    result = solve(inputs)
    assert isinstance(result, PlanResult), result.reason
    return result


def money(r: PlanResult) -> float:
    return split_costs(r.breakdown).money_total_jpy


def row(case: Case, inputs: PlanInputs, base: PlanResult) -> str:
    other = solved(case.change(inputs))
    return (
        f"| {case.bullet} | {case.variant} | {case.figure} | {case.measure(inputs, base):,.1f} | "
        f"{case.measure(inputs, other):,.1f} | {base.objective_jpy:,.0f} | {other.objective_jpy:,.0f} | "
        f"{money(base):,.0f} | {money(other):,.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--date", default="2024-08-01")
    args = parser.parse_args()
    date = dt.date.fromisoformat(args.date)
    inputs = plan_inputs(load_builtin("yamaguchi"), day_index(date, 96))
    base = solved(inputs)
    head = (
        "| bullet | variant (as before) | figure | with the term | variant | objective JPY | variant objective "
        "JPY | money JPY | variant money JPY |\n| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    lines = [row(c, inputs, base) for c in CASES]
    lowered = capacity_reference(1200.0)(inputs)
    low = solved(lowered)
    lines.append(
        f"| capacity (容量拠出金) | season peak so far 1,500 kW -> 1,200 kW (sensitivity) | peak group kW | "
        f"{peak_group_kw(inputs, base):,.1f} | {peak_group_kw(inputs, low):,.1f} | {base.objective_jpy:,.0f} | "
        f"{low.objective_jpy:,.0f} | {money(base):,.0f} | {money(low):,.0f} |"
    )
    lines += [row(c, lowered, low) for c in SENSITIVITY]
    text = "\n".join(
        [
            f"# Cost terms on the Yamaguchi plan of {date} (96 slots)",
            "",
            f"`python benchmarks/bench_cost_terms.py --date {date}` on {platform.node()} ({platform.machine()}), "
            "a 2-core machine shared by several engineers. 'with the term' = the plan as `ems plan` makes it; "
            "'variant' = the same inputs with the term taken out (or the reference lowered). Money excludes "
            "penalties and the stored-energy value.",
            "",
            head,
            *lines,
            "",
        ]
    )
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
