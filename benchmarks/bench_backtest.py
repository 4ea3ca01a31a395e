"""The year backtest (issue 12): the table per month and total, wall time with 1 and 2 Dask workers, and the
projected time for 700 facilities.

1. Year table: `ems backtest --scenario yamaguchi --from 2023-04-01 --to 2024-03-31` (run here, or read from the
   CSV files of a run with --year-from DIR; a DIR without them but with the per-day checkpoint files of a run
   that was stopped, EMS_BACKTEST_CHECKPOINT_DIR, gives the measured days only, listed): money (JPY, + paid) of
   the rule-based baseline, the engine on forecast prices (intraday at the average, and at the adverse
   high/low), the engine with perfect foresight, the saving and the share of the bound captured.
2. Scaling: the same backtest over --scaling-weeks weeks from 2023-07-03 on a LocalCluster of 1 and of 2 worker
   processes (runtime.batch); efficiency = T(1) / (2 x T(2)). The machine is shared: the load average is shown.
3. Facilities: --scale-days delivery days in-process (0 workers) on Yamaguchi with its facilities repeated 1x, 5x
   and 20x (benchmarks/bench_optimizer.py's scaled_scenario); seconds per delivery day (three strategies), the
   exponent b of t ~ facilities^b fitted between 5x and 20x, and the projection for 700 facilities:
   t(700) = t(20x) x (700 / facilities(20x))^b per day, x 365 days / (2 workers x the measured efficiency).

Usage: python benchmarks/bench_backtest.py [--year-from DIR] [--scaling-weeks 4] [--scales 1,5,20]
       [--scale-days 2] [--keep-scaling-from FILE] [--out benchmarks/results/backtest.md]
--keep-scaling-from FILE copies sections 2 and 3 from an earlier results file (labelled as not re-measured)
instead of measuring them again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import pandas as pd

FY_START, FY_END = dt.date(2023, 4, 1), dt.date(2024, 3, 31)
SCALING_START = dt.date(2023, 7, 3)


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{100 * x:.0f} %"


def _adverse(months: pd.DataFrame) -> pd.DataFrame:
    """Money per month and strategy with every strategy's intraday trades booked at the high (buys) / low (sales)."""
    if "intraday_adverse_jpy" not in months:
        return pd.DataFrame()
    money = months["money_jpy"] - months["intraday_jpy"] + months["intraday_adverse_jpy"]
    return months.assign(adverse=money).pivot(index="month", columns="strategy", values="adverse")


def _bound_rows(bound: pd.DataFrame, months: pd.DataFrame) -> list[str]:
    adverse = _adverse(months)
    lines = [
        "| month | baseline money JPY | engine (forecast prices) JPY | perfect foresight JPY | saving JPY | "
        "bound JPY | share of bound | saving, intraday at high/low JPY | share, high/low |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in bound.to_dict("records"):
        bold = "**" if r["month"] == "total" else ""
        worse = adverse.loc[r["month"]] if r["month"] in adverse.index else None
        saving_adv = math.nan if worse is None else float(worse["baseline"] - worse["forecast"])
        bound_adv = math.nan if worse is None else float(worse["baseline"] - worse["perfect"])
        share_adv = saving_adv / bound_adv if abs(bound_adv) > 1e-9 else math.nan
        lines.append(
            f"| {bold}{r['month']}{bold} | {r['baseline_money_jpy']:,.0f} | {r['forecast_money_jpy']:,.0f} | "
            f"{r['perfect_money_jpy']:,.0f} | {r['saving_jpy']:,.0f} | {r['bound_saving_jpy']:,.0f} | "
            f"{_pct(r['share_of_bound'])} | {saving_adv:,.0f} | {_pct(share_adv)} |"
        )
    return lines


def _terms_rows(months: pd.DataFrame) -> list[str]:
    from runtime.backtest.report import MONEY_TERMS

    total = months[months["month"] == "total"].set_index("strategy")
    head = "| strategy | " + " | ".join(f"{t} JPY" for t in MONEY_TERMS) + " | money JPY | penalties JPY |"
    lines = [head, "|---" * (len(MONEY_TERMS) + 3) + "|"]
    for strategy in ("baseline", "forecast", "perfect"):
        r = total.loc[strategy]
        cells = " | ".join(f"{r[f'{t}_jpy']:,.0f}" for t in MONEY_TERMS)
        lines.append(f"| {strategy} | {cells} | {r['money_jpy']:,.0f} | {r['penalties_jpy']:,.0f} |")
    lines += [
        "",
        "Volumes over the same days (kWh): intraday traded and imbalance (absolute sums), and how far re-plans "
        "left a locked slot's position (lock deviation; the lock is a constraint with a 100 JPY/kWh penalty, it "
        "gives only where the physics cannot hold it):",
        "",
        "| strategy | intraday kWh | imbalance kWh | lock deviation kWh | intraday at average JPY | at high/low JPY |",
        "|---|---|---|---|---|---|",
    ]
    for strategy in ("baseline", "forecast", "perfect"):
        r = total.loc[strategy]
        lines.append(
            f"| {strategy} | {r['intraday_abs_kwh']:,.0f} | {r['imbalance_abs_kwh']:,.0f} | "
            f"{r.get('lock_deviation_kwh', 0.0):,.1f} | {r.get('intraday_average_jpy', math.nan):,.0f} | "
            f"{r.get('intraday_adverse_jpy', math.nan):,.0f} |"
        )
    return lines


def _spans(dates: pd.Series) -> str:
    """Consecutive date runs of ``dates`` (ISO strings) as 'a..b' pieces."""
    days = sorted({dt.date.fromisoformat(d) for d in dates})
    pieces: list[str] = []
    first = prev = days[0]
    for day in [*days[1:], None]:
        if day is not None and (day - prev).days == 1:
            prev = day
            continue
        pieces.append(f"{first}..{prev} ({(prev - first).days + 1} d)")
        if day is not None:
            first = prev = day
    return ", ".join(pieces)


def _from_checkpoints(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """bound, months, days, peaks of the days a stopped run finished (its per-day checkpoint files)."""
    from runtime.backtest.report import bound_table, monthly
    from scenarios.loader import load_builtin

    days = pd.concat([pd.read_csv(p) for p in sorted(folder.glob("days_*.csv"))], ignore_index=True)
    peaks = pd.concat([pd.read_csv(p) for p in sorted(folder.glob("peaks_*.csv"))], ignore_index=True)
    complete = days.groupby("date")["strategy"].nunique()
    keep = set(complete[complete == 3].index)
    days, peaks = days[days["date"].isin(keep)], peaks[peaks["date"].isin(keep)]
    months = monthly(days, peaks, load_builtin("yamaguchi").market.capacity)
    return bound_table(months), months, days, peaks


def _throughput(year_from: Path | None, wall: float | None, days: int, started: str | None) -> list[str]:
    """Seconds per delivery day and worker of the year run (2 workers): from the run's wall time (backtest.json),
    or for a stopped run from --started-utc to the last checkpoint write."""
    if wall is None and year_from is not None and (year_from / "backtest.json").exists():
        wall = float(json.loads((year_from / "backtest.json").read_text(encoding="utf-8"))["wall_s"])
    how = "the run's wall time"
    if wall is None and year_from is not None and started:
        last = max(p.stat().st_mtime for p in year_from.glob("days_*.csv"))
        wall = last - dt.datetime.fromisoformat(started).timestamp()
        how = f"from its start ({started}) to the last checkpoint write"
    if wall is None or days == 0:
        return []
    return [
        "",
        f"Throughput of this year run on 2 workers ({how}): {wall:,.0f} s for {days} delivery days = "
        f"{2 * wall / days:.1f} s per delivery day and worker (three strategies, 12 plans a day; the machine was "
        f"shared, load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores).",
    ]


def year_section(year_from: Path | None, started: str | None = None) -> tuple[list[str], dict[str, Any]]:
    """The year table from a run's CSV files, or from a run made now on 2 workers."""
    from runtime.backtest.run import run_backtest
    from runtime.batch import BatchSettings
    from scenarios.loader import load_builtin

    if year_from is not None and not (year_from / "backtest_bound.csv").exists():
        bound, months, days, _peaks = _from_checkpoints(year_from)
        source = (
            f"the per-day checkpoint files in {year_from} of `ems backtest --scenario yamaguchi --from 2023-04-01 "
            "--to 2024-03-31 --workers 2`, which was stopped before the whole year finished: MEASURED SUBSET "
            f"{_spans(days['date'])}"
        )
        wall = None
    elif year_from is not None:
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
    from runtime.backtest.market import ASSUMPTIONS

    solved = int(days["plans_solved"].sum())
    fallen = int(days["plans_fallen_back"].sum())
    methods = days[days["strategy"] == "forecast"]["price_forecast"].value_counts().to_dict()
    lines = [
        "## Year backtest, Yamaguchi FY2023 (2023-04-01 .. 2024-03-31)",
        "",
        f"Source: {source}" + (f"; wall {wall:,.0f} s" if wall else "") + f". {len(days) // 3} delivery days, "
        f"{solved:,} plans solved, {fallen} fell back to the baseline dispatch. Price forecast per day: "
        + ", ".join(f"{k} {v}" for k, v in sorted(methods.items()))
        + ". Market steps (runtime/backtest/market.py):",
        "",
        *[f"- {a}" for a in ASSUMPTIONS],
        "",
        "Perfect foresight knows the real spot prices and the actual PV/load, plans once and sells/buys its plan "
        "day-ahead; it does not plan on intraday prices. The engine's re-plans trade the difference to its fill "
        "on the national intraday market, whose average often differs from the Chugoku spot price, so in a month "
        "the engine can beat this bound (share > 100 %); the high/low columns book the same trades at the "
        "adverse price (every strategy's trades, so the saving compares like with like).",
        "",
        *_bound_rows(bound, months),
        "",
        "Money by term over the year (JPY, + paid / - earned); penalties are not money:",
        "",
        *_terms_rows(months),
        *_throughput(year_from, wall, len(days) // 3, started),
    ]
    return lines, {"days": len(days) // 3}


def _timed(scenario: Any, start: dt.date, end: dt.date, workers: int) -> float:
    from runtime.backtest.config import BacktestConfig
    from runtime.backtest.run import run_backtest
    from runtime.batch import BatchSettings

    tick = time.perf_counter()
    config = BacktestConfig(task_span="week")  # one task per week, so the weeks can run in parallel
    run_backtest(scenario, start, end, config=config, batch=BatchSettings(workers=workers))
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


def kept_sections(path: Path, heading: str = "## Wall time") -> list[str]:
    """The sections from ``heading`` on of an earlier results file, verbatim, under a note that they were not
    re-measured."""
    text = path.read_text(encoding="utf-8")
    start = text.index(heading)
    stamp = next((line for line in text.splitlines() if line.startswith("Run ")), "Run (unknown)")
    note = (
        f"_Sections below copied from the earlier results file ({stamp.removeprefix('Run ').rstrip('.')}), "
        "measured on the stand-in market steps (one bid plan, no curve, no position constraint); NOT re-measured "
        "with the real market steps in this run: the machine's two cores were taken by the year run._"
    )
    return [note, "", *text[start:].rstrip().splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year-from", type=Path, help="read the year table from an `ems backtest --out` folder")
    parser.add_argument("--no-year", action="store_true")
    parser.add_argument("--scaling-weeks", type=int, default=4)
    parser.add_argument("--scales", default="1,5,20")
    parser.add_argument("--scale-days", type=int, default=2)
    parser.add_argument("--keep-scaling-from", type=Path, help="copy sections 2-3 from this earlier results file")
    parser.add_argument("--started-utc", help="start of a stopped year run (ISO, UTC) for its throughput")
    parser.add_argument("--keep-facilities-from", type=Path, help="copy section 3 from this earlier results file")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/backtest.md"))
    args = parser.parse_args()
    lines = [
        "# Backtest benchmark (benchmarks/bench_backtest.py)",
        "",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC.",
        "",
    ]
    if not args.no_year:
        year, _ = year_section(args.year_from, args.started_utc)
        lines += [*year, ""]
    if args.keep_scaling_from is not None:
        lines += kept_sections(args.keep_scaling_from)
    else:
        scaling, efficiency = scaling_section(args.scaling_weeks)
        lines += [*scaling, ""]
        if args.keep_facilities_from is not None:
            lines += kept_sections(args.keep_facilities_from, "## Facilities")
        else:
            lines += facilities_section([int(s) for s in args.scales.split(",")], args.scale_days, efficiency)
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
