"""Investment planning on Yamaguchi: the recommended portfolio, its cost and P(72 h) per shelter; seconds of the
sizing MILP and of the year verification with the verification run in process, on 1 and on 2 Dask workers (the
in-process run is the baseline measured in the same run); and the comparison with sizing each shelter alone
(REopt's one-site way: each shelter's own cars only, no shared fleet, no new cars). --curve: the least-cost
plans over the targets 0.5-0.99 (cost vs resilience, CSV and plot next to --out); --budget JPY: budget mode
(the ladder of year-verified one-shelter plans and the pick within the budget), its seconds and the answer.
Weather: 'nearest-jma' (JMA Hiroshima where it has a record, Tokyo 2024 elsewhere); outage load: tier 1.

Costs: the sizing objective, JPY/yr (annualised capex net of subsidy + O&M + the shelters' year of operation
on the representative days); capex after subsidy, JPY. P(72 h) from the verification over all 17,520 starts.

    .venv/bin/python benchmarks/bench_invest.py [--target 0.95] [--out benchmarks/results/invest.md] [--no-alone]
        [--no-main] [--curve] [--budget 50000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from optimizer.invest.verify import site_tasks, verify_site
from runtime.batch import BatchSettings, run_tasks
from runtime.facades.invest_budget import run_budget
from runtime.facades.invest_files import curve_table, plot_curve
from runtime.facades.invest_planning import (
    InvestRun,
    invest_input_for,
    resilience_curve,
    run_invest,
    year_series,
)
from scenarios.invest_costs import load_invest_costs
from scenarios.loader import load_builtin


def shelter_rows(run: InvestRun) -> list[str]:
    """Markdown rows per shelter: additions, capex after subsidy, P(72 h) before -> after (fleet, alone)."""
    costs = load_invest_costs()
    rows = []
    before = {v.site: v for v in run.plan.before}
    for sizes, after in zip(run.plan.design.sizes, run.plan.after, strict=True):
        capex = (
            costs.pv.net_capex_jpy * sizes.pv_kwp
            + costs.battery_energy.net_capex_jpy * sizes.battery_kwh
            + costs.battery_power.net_capex_jpy * sizes.battery_kw
            + costs.v2h_charger.net_capex_jpy * sizes.v2h_chargers
        )
        cars = " ".join(sorted(c for c, s in run.plan.design.allotment.items() if s == sizes.site))
        rows.append(
            f"| {sizes.site} | {sizes.pv_kwp:.1f} | {sizes.battery_kwh:.1f} | {sizes.battery_kw:.1f} | "
            f"{sizes.v2h_chargers} | {cars} | {capex:,.0f} | {before[sizes.site].p_survive(72, False):.3f} | "
            f"{after.p_survive(72):.3f} | {after.p_survive(72, False):.3f} |"
        )
    return rows


def verification_timing(run: InvestRun, scenario_name: str) -> list[tuple[str, float]]:
    """Seconds of one year verification of the chosen design: in process, Dask with 1 and with 2 workers
    (cluster start-up included), run one after the other on the same tasks."""
    scenario = load_builtin(scenario_name)
    year = year_series(scenario)
    data = invest_input_for(scenario, year, run.plan.starts)
    tasks = site_tasks(data, year, run.plan.design)
    out = []
    for label, workers in (("in process", 0), ("Dask, 1 worker", 1), ("Dask, 2 workers", 2)):
        tick = time.perf_counter()
        run_tasks(verify_site, tasks, label="bench", settings=BatchSettings(workers=workers))
        out.append((label, time.perf_counter() - tick))
    return out


def alone_runs(scenario_name: str, target: float) -> list[InvestRun]:
    """Each shelter sized on its own (its own cars only), on the same year of series."""
    scenario = load_builtin(scenario_name)
    year = year_series(scenario)
    return [run_invest(scenario, target=target, year=year, shelters=[f.id]) for f in scenario.shelters]


CURVE_TARGETS = (0.5, 0.7, 0.9, 0.95, 0.99)


def curve_lines(scenario_name: str, out: Path | None, flush: Callable[[list[str]], None]) -> list[str]:
    """The cost-vs-resilience curve on the scenario: a markdown table (flushed after each target), and its CSV
    and plot next to `out`."""
    scenario = load_builtin(scenario_name)
    year = year_series(scenario)
    lines = [
        f"## Cost vs resilience ({scenario_name}, city-wide least cost per target)",
        "",
        "| target P72 | annual cost JPY/yr | capex after subsidy JPY | worst shelter P72 | verified | rounds | "
        "MILP s | verification s | total s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    runs: list[InvestRun] = []
    for target in CURVE_TARGETS:
        tick = time.perf_counter()
        runs += resilience_curve(scenario, (target,), year=year)
        seconds = time.perf_counter() - tick
        row = curve_table(runs[-1:]).iloc[0]
        run = runs[-1]
        lines.append(
            f"| {row.target:.2f} | {row.annual_cost_jpy:,.0f} | {row.capex_jpy:,.0f} | {row.worst_p72:.3f} | "
            f"{row.verified} | {len(run.plan.iterations)} | {run.seconds['milp']:.1f} | "
            f"{run.seconds['verify']:.1f} | {seconds:.0f} |"
        )
        flush([*lines, ""])
        if out is not None:
            frame = curve_table(runs)
            frame.to_csv(out.with_name("invest_curve.csv"), index=False)
            plot_curve(frame, out.with_name("invest_curve.png"))
    return [*lines, ""]


def budget_lines(scenario_name: str, budget_jpy: float, target: float) -> list[str]:
    """Budget mode on the scenario: seconds, shelters at the target, capex and the pick per shelter."""
    scenario = load_builtin(scenario_name)
    year = year_series(scenario)
    tick = time.perf_counter()
    run, choice = run_budget(scenario, budget_jpy, target=target, year=year)
    seconds = time.perf_counter() - tick
    lines = [
        f"## Budget mode ({scenario_name}, budget {budget_jpy:,.0f} JPY after subsidy, target P72 >= {target})",
        "",
        f"{choice.met} of {len(choice.chosen)} shelters reach the target for {choice.capex_jpy:,.0f} JPY; ladder "
        f"complete {choice.complete} ({choice.rungs_built} one-shelter plans, {choice.ladder_s:.0f} s); pick "
        f"{choice.status}; {seconds:.0f} s in all, of which the city-wide plan tried first "
        f"{run.seconds.get('city', 0.0):.0f} s.",
        "",
        f"Answered by the {choice.path} path: {choice.reason}. "
        + (
            "P72 from the city-wide plan's year verification (with the cars allotted)."
            if choice.path == "city-wide"
            else "Each shelter alone with its own cars; P72 from the year verification of each plan."
        ),
        "",
        "| shelter | planned for | +PV kWp | +battery kWh | +battery kW | capex JPY | P72 before | P72 after |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    before = {v.site: v for v in run.plan.before}
    for g, sizes in zip(choice.chosen, run.plan.design.sizes, strict=True):
        label = "today" if g.plan is None else f"{g.target:.2f}"
        lines.append(
            f"| {g.site} | {label} | {sizes.pv_kwp:.1f} | {sizes.battery_kwh:.1f} | {sizes.battery_kw:.1f} | "
            f"{g.capex_jpy:,.0f} | {before[g.site].p_survive(72, False):.3f} | {g.p:.3f} |"
        )
    return [*lines, ""]


def budget_baseline_lines(scenario_name: str, budget_jpy: float, target: float) -> list[str]:
    """The single-MILP budget mode (run_invest(budget_jpy=...): one solve over the budget quantile windows with
    a binary per window, HiGHS limited to 120 s, verified once) on the same budget, for comparison."""
    scenario = load_builtin(scenario_name)
    year = year_series(scenario)
    tick = time.perf_counter()
    run = run_invest(scenario, target=target, year=year, budget_jpy=budget_jpy, time_limit_s=120.0)
    seconds = time.perf_counter() - tick
    met = sum(1 for v in run.plan.after if v.p_survive(72) >= target - 1e-9)
    return [
        f"## Single-MILP budget mode on the same budget (the mode before the ladder; {seconds:.0f} s in all)",
        "",
        f"Status {run.plan.design.status}; capex {run.plan.design.capex_jpy:,.0f} JPY; {met} of "
        f"{len(run.plan.after)} shelters at P72 >= {target} over the year's starts; MILP "
        f"{run.seconds['milp']:.1f} s.",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", type=float, default=0.95)
    parser.add_argument("--scenario", default="yamaguchi")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--no-alone", action="store_true", help="Skip the one-site comparison.")
    parser.add_argument("--no-main", action="store_true", help="Skip the city-wide plan and its timings.")
    parser.add_argument("--curve", action="store_true", help="Also the cost vs resilience curve.")
    parser.add_argument("--budget", type=float, default=None, help="Also budget mode for this many JPY.")
    parser.add_argument(
        "--budget-baseline", action="store_true", help="With --budget: only the single-MILP budget mode (baseline)."
    )
    args = parser.parse_args()
    head = [
        f"# Investment planning benchmark ({args.scenario}, target P(72 h) >= {args.target})",
        "",
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.node()} (2 cores shared with other engineers' "
        f"jobs), Python {platform.python_version()}; `python benchmarks/bench_invest.py "
        f"{' '.join(sys.argv[1:])}`",
        "",
    ]

    def flush(more: list[str]) -> None:
        """Write what is measured so far (a long run interrupted keeps its finished sections)."""
        if args.out is not None:
            args.out.write_text("\n".join(lines + more) + "\n", encoding="utf-8")

    lines = head if args.no_main else head + main_lines(args)
    flush([])
    if args.budget is not None and args.budget_baseline:
        lines += budget_baseline_lines(args.scenario, args.budget, args.target)
        flush([])
    elif args.budget is not None:
        lines += budget_lines(args.scenario, args.budget, args.target)
        flush([])
    if args.curve:
        lines += curve_lines(args.scenario, args.out, flush)
    print("\n".join(lines))
    flush([])


def main_lines(args: argparse.Namespace) -> list[str]:
    """The city-wide plan, its rounds, the verification timings and (unless --no-alone) the one-site comparison."""
    scenario = load_builtin(args.scenario)
    tick = time.perf_counter()
    year = year_series(scenario)
    series_s = time.perf_counter() - tick
    city = run_invest(scenario, target=args.target, year=year)
    lines = [
        f"Series: {year.source}.",
        "",
        f"City-wide plan: verified {city.plan.verified} after {len(city.plan.iterations)} rounds; "
        f"cars bought {', '.join(city.plan.design.cars_bought) or 'none'}; "
        f"annual cost {city.plan.design.annual_cost_jpy:,.0f} JPY/yr; capex after subsidy "
        f"{city.plan.design.capex_jpy:,.0f} JPY; NPV {city.money.npv_jpy:,.0f} JPY; CO2 avoided "
        f"{city.money.co2_t_per_year:,.1f} t/yr.",
        "",
        "| shelter | +PV kWp | +battery kWh | +battery kW | +V2H | cars allotted | capex JPY | P72 before | "
        "P72 after (fleet) | P72 after (alone) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *shelter_rows(city),
        "",
        "| round | windows | MILP status | MILP s | verification s | shelters below target | worst P72 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *[
            f"| {it.round} | {it.windows} | {it.status} | {it.milp_s:.1f} | {it.verify_s:.2f} | "
            f"{len(it.below_target)} | {it.worst_p:.3f} |"
            for it in city.plan.iterations
        ],
        "",
        f"Series for the year: {series_s:.1f} s; MILP total {city.seconds['milp']:.1f} s; "
        f"verification total {city.seconds['verify']:.2f} s.",
        "",
    ]
    timing = verification_timing(city, args.scenario)
    base = timing[0][1]
    lines += ["| one year verification of the design | seconds | ratio to in process |", "| --- | --- | --- |"]
    lines += [f"| {label} | {s:.2f} | {s / base:.2f} |" for label, s in timing]
    lines.append("")
    if not args.no_alone:
        alone = alone_runs(args.scenario, args.target)
        cost = sum(r.plan.design.annual_cost_jpy for r in alone)
        capex = sum(r.plan.design.capex_jpy for r in alone)
        worst = min(v.p_survive(72) for r in alone for v in r.plan.after)
        lines += [
            "| plan | annual cost JPY/yr | capex after subsidy JPY | worst shelter P72 | all verified |",
            "| --- | --- | --- | --- | --- |",
            f"| city-wide (shared fleet) | {city.plan.design.annual_cost_jpy:,.0f} | "
            f"{city.plan.design.capex_jpy:,.0f} | "
            f"{min(v.p_survive(72) for v in city.plan.after):.3f} | {city.plan.verified} |",
            f"| each shelter alone (own cars) | {cost:,.0f} | {capex:,.0f} | {worst:.3f} | "
            f"{all(r.plan.verified for r in alone)} |",
            f"| city-wide / alone | {city.plan.design.annual_cost_jpy / cost:.3f} | "
            f"{city.plan.design.capex_jpy / capex if capex else float('nan'):.3f} | | |",
            "",
        ]
    return lines


if __name__ == "__main__":
    main()
