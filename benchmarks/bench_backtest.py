"""The year backtest (issue 12): the table per month and total, wall time with 1 and 2 Dask workers, and the
projected time for 700 facilities.

1. Year table: `ems backtest --scenario yamaguchi --from 2023-04-01 --to 2024-03-31` (run here, or read from the
   CSV files of a run with --year-from DIR): money (JPY, + paid) of the rule-based baseline, the engine on
   forecast prices, the engine with perfect foresight, the saving and the share of the bound captured.
2. Scaling: the same backtest over --scaling-weeks weeks from 2023-07-03 on a LocalCluster of 1 and of 2 worker
   processes (runtime.batch); efficiency = T(1) / (2 x T(2)). The machine is shared: the load average is shown.
3. Facilities: --scale-days delivery days in-process (0 workers) on Yamaguchi with its facilities repeated 1x, 5x
   and 20x (benchmarks/bench_optimizer.py's scaled_scenario); seconds per delivery day (three strategies), the
   exponent b of t ~ facilities^b fitted between 5x and 20x, and the projection for 700 facilities:
   t(700) = t(20x) x (700 / facilities(20x))^b per day, x 365 days / (2 workers x the measured efficiency).

Usage: python benchmarks/bench_backtest.py [--year-from DIR] [--scaling-weeks 4] [--scales 1,5,20]
       [--scale-days 2] [--out benchmarks/results/backtest.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import time
from pathlib import Path
from typing import Any

import pandas as pd

FY_START, FY_END = dt.date(2023, 4, 1), dt.date(2024, 3, 31)
SCALING_START = dt.date(2023, 7, 3)


def _bound_rows(bound: pd.DataFrame) -> list[str]:
    lines = [
        "| month | baseline money JPY | engine (forecast prices) JPY | perfect foresight JPY | saving JPY | "
        "bound JPY | share of bound |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in bound.to_dict("records"):
        share = "-" if math.isnan(r["share_of_bound"]) else f"{100 * r['share_of_bound']:.0f} %"
        bold = "**" if r["month"] == "total" else ""
        lines.append(
            f"| {bold}{r['month']}{bold} | {r['baseline_money_jpy']:,.0f} | {r['forecast_money_jpy']:,.0f} | "
            f"{r['perfect_money_jpy']:,.0f} | {r['saving_jpy']:,.0f} | {r['bound_saving_jpy']:,.0f} | {share} |"
        )
    return lines


def _terms_rows(months: pd.DataFrame) -> list[str]:
    from runtime.backtest.report import MONEY_TERMS

    total = months[months["month"] == "total"].set_index("strategy")
    head = "| strategy | " + " | ".join(f"{t} JPY" for t in MONEY_TERMS) + " | money JPY | penalties JPY |"
    lines = [head, "|---" * (len(MONEY_TERMS) + 4) + "|"]
    for strategy in ("baseline", "forecast", "perfect"):
        r = total.loc[strategy]
        cells = " | ".join(f"{r[f'{t}_jpy']:,.0f}" for t in MONEY_TERMS)
        lines.append(f"| {strategy} | {cells} | {r['money_jpy']:,.0f} | {r['penalties_jpy']:,.0f} |")
    return lines


def year_section(year_from: Path | None) -> tuple[list[str], dict[str, Any]]:
    """The year table from a run's CSV files, or from a run made now on 2 workers."""
    from runtime.backtest.run import run_backtest
    from runtime.batch import BatchSettings
    from scenarios.loader import load_builtin

    if year_from is not None:
        bound = pd.read_csv(year_from / "backtest_bound.csv")
        months = pd.read_csv(year_from / "backtest_months.csv")
        days = pd.read_csv(year_from / "backtest_days.csv")
        source = (
            f"read from {year_from} (written by `ems backtest --scenario yamaguchi --from 2023-04-01 --to 2024-03-31`)"
        )
        wall = None
    else:
        tick = time.perf_counter()
        result = run_backtest(load_builtin("yamaguchi"), FY_START, FY_END, batch=BatchSettings(workers=2))
        bound, months, days, wall = result.bound, result.months, result.days, time.perf_counter() - tick
        source = "run now on 2 workers"
    solved = int(days["plans_solved"].sum())
    fallen = int(days["plans_fallen_back"].sum())
    lines = [
        "## Year backtest, Yamaguchi FY2023 (2023-04-01 .. 2024-03-31)",
        "",
        f"Source: {source}" + (f"; wall {wall:,.0f} s" if wall else "") + f". {len(days) // 3} delivery days, "
        f"{solved:,} plans solved, {fallen} fell back to the baseline dispatch. Market steps are the stand-ins "
        "named in runtime/backtest/market.py (naive price forecast, price-taker bids, spot +/- spread imbalance).",
        "",
        *_bound_rows(bound),
        "",
        "Money by term over the year (JPY, + paid / - earned); penalties are not money:",
        "",
        *_terms_rows(months),
    ]
    return lines, {"days": len(days) // 3}


def _timed(scenario: Any, start: dt.date, end: dt.date, workers: int) -> float:
    from runtime.backtest.run import run_backtest
    from runtime.batch import BatchSettings

    tick = time.perf_counter()
    run_backtest(scenario, start, end, batch=BatchSettings(workers=workers))
    return time.perf_counter() - tick


def scaling_section(weeks: int) -> tuple[list[str], float]:
    """Wall time of `weeks` weeks on 1 and on 2 local workers; returns the lines and the efficiency."""
    from scenarios.loader import load_builtin

    scenario = load_builtin("yamaguchi")
    end = SCALING_START + dt.timedelta(days=7 * weeks - 1)
    load = os.getloadavg()[0]
    one = _timed(scenario, SCALING_START, end, 1)
    two = _timed(scenario, SCALING_START, end, 2)
    efficiency = one / (2 * two)
    lines = [
        f"## Wall time with 1 and 2 Dask workers ({weeks} weeks from {SCALING_START}, one task per week)",
        "",
        "| workers | wall s | speed-up | scaling efficiency |",
        "|---|---|---|---|",
        f"| 1 | {one:.1f} | 1.00 | 100 % |",
        f"| 2 | {two:.1f} | {one / two:.2f} | {100 * efficiency:.0f} % |",
        "",
        f"Load average (1 min) before the runs: {load:.1f} on {os.cpu_count()} cores (the machine is shared; "
        "the efficiency is what this machine gave, not a property of the code alone).",
    ]
    return lines, efficiency


def facilities_section(scales: list[int], days: int, efficiency: float) -> list[str]:
    """Seconds per delivery day on scaled scenarios, and the projection for 700 facilities."""
    from bench_optimizer import scaled_scenario

    measured: list[tuple[int, int, float]] = []
    for scale in scales:
        scenario, _origin = scaled_scenario(scale)
        seconds = _timed(scenario, SCALING_START, SCALING_START + dt.timedelta(days=days - 1), 0)
        measured.append((scale, len(scenario.supplied), seconds / days))
    lines = [
        f"## Facilities: seconds per delivery day (three strategies, in-process, {days} days from {SCALING_START})",
        "",
        "| scale | supplied facilities | s per delivery day | ratio to 1x |",
        "|---|---|---|---|",
    ]
    base = measured[0][2]
    for scale, n, per_day in measured:
        lines.append(f"| {scale}x | {n} | {per_day:.1f} | {per_day / base:.2f} |")
    (_, n_a, t_a), (_, n_b, t_b) = measured[-2], measured[-1]
    exponent = math.log(t_b / t_a) / math.log(n_b / n_a)
    per_day_700 = t_b * (700 / n_b) ** exponent
    year_s = per_day_700 * 365 / (2 * efficiency)
    lines += [
        "",
        f"Exponent b (t ~ facilities^b) between {n_a} and {n_b} facilities: {exponent:.2f}. Projection for 700 "
        f"facilities: {per_day_700:.0f} s per delivery day; a year = {per_day_700:.0f} s x 365 / (2 workers x "
        f"{100 * efficiency:.0f} % efficiency) = {year_s / 3600:.1f} h on this machine; on W workers with the same "
        f"efficiency, {per_day_700 * 365 / 3600:.0f} h / (W x efficiency).",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year-from", type=Path, help="read the year table from an `ems backtest --out` folder")
    parser.add_argument("--no-year", action="store_true")
    parser.add_argument("--scaling-weeks", type=int, default=4)
    parser.add_argument("--scales", default="1,5,20")
    parser.add_argument("--scale-days", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/backtest.md"))
    args = parser.parse_args()
    lines = [
        "# Backtest benchmark (benchmarks/bench_backtest.py)",
        "",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC.",
        "",
    ]
    if not args.no_year:
        year, _ = year_section(args.year_from)
        lines += [*year, ""]
    scaling, efficiency = scaling_section(args.scaling_weeks)
    lines += [*scaling, ""]
    lines += facilities_section([int(s) for s in args.scales.split(",")], args.scale_days, efficiency)
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
