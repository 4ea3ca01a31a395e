"""The backtest façade the CLI and the benchmark call: blocks of days as Dask tasks (``runtime.batch``), the report.

``run_backtest`` cuts start..end into tasks (``config.tasks_for``: months and capacity seasons, or weeks), runs
them (``week.run_week``) on the configured cluster and assembles the daily rows, the months and the bound
table; ``write_outputs`` writes them as CSV (units in the column names: _jpy, _kwh, _kw, _s) with a PNG.
Delivery days are dates in Asia/Tokyo.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from runtime.backtest.config import BacktestConfig, tasks_for
from runtime.backtest.market import ASSUMPTIONS
from runtime.backtest.report import bound_table, monthly, plot
from runtime.backtest.week import run_week
from runtime.batch import BatchSettings, Progress, run_tasks
from scenarios.model import Scenario

log = logging.getLogger(__name__)

CHECKPOINT_ENV = "EMS_BACKTEST_CHECKPOINT_DIR"
"""Environment variable: a directory where every task appends its finished days (``BacktestConfig.checkpoint_dir``
when that is not set), so a long run that is stopped still leaves the days it measured."""


@dataclass(frozen=True)
class BacktestResult:
    """Daily rows, facility peaks, months (with a 'total' month) and the bound table; wall time in seconds."""

    scenario: str
    start: dt.date
    end: dt.date
    days: pd.DataFrame
    peaks: pd.DataFrame
    months: pd.DataFrame
    bound: pd.DataFrame
    wall_s: float
    tasks: int


def run_backtest(
    scenario: Scenario,
    start: dt.date,
    end: dt.date,
    *,
    config: BacktestConfig | None = None,
    batch: BatchSettings | None = None,
    on_progress: Progress | None = None,
) -> BacktestResult:
    """Replay every delivery day start..end (inclusive) for the three strategies, one Dask task per block."""
    config = config or BacktestConfig()
    if config.checkpoint_dir is None and os.environ.get(CHECKPOINT_ENV):
        config = replace(config, checkpoint_dir=os.environ[CHECKPOINT_ENV])
    tasks = tasks_for(start, end, scenario, config)
    tick = time.perf_counter()
    results = run_tasks(run_week, tasks, label="backtest", on_progress=on_progress, settings=batch)
    wall = time.perf_counter() - tick
    days = pd.DataFrame([row for r in results for row in r.days]).sort_values(["date", "strategy"], kind="stable")
    peaks = pd.DataFrame([row for r in results for row in r.peaks]).sort_values(["date", "strategy"], kind="stable")
    days, peaks = days.reset_index(drop=True), peaks.reset_index(drop=True)
    months = monthly(days, peaks, scenario.market.capacity)
    log.info("backtest %s..%s: %d tasks in %.1f s", start, end, len(tasks), wall)
    return BacktestResult(scenario.name, start, end, days, peaks, months, bound_table(months), wall, len(tasks))


def monthly_peaks(peaks: pd.DataFrame) -> pd.DataFrame:
    """Per strategy, month and facility: the highest 30-min demand (kW) and the contract kW it is billed above."""
    frame = peaks.assign(month=peaks["date"].str[:7])
    out = frame.groupby(["strategy", "month", "facility"], sort=True).agg(
        peak_kw=("peak_kw", "max"), contract_kw=("contract_kw", "first"), ratchet_kw=("ratchet_kw", "first")
    )
    return out.reset_index()


def write_outputs(result: BacktestResult, out_dir: Path) -> dict[str, Path]:
    """backtest_days.csv, backtest_months.csv, backtest_bound.csv, backtest_peaks.csv (each facility's highest
    30-min demand per month and strategy against its contract kW), backtest.json (what was assumed),
    backtest.png."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / f"backtest_{name}.csv" for name in ("days", "months", "bound", "peaks")}
    result.days.to_csv(paths["days"], index=False, float_format="%.3f")
    monthly_peaks(result.peaks).to_csv(paths["peaks"], index=False, float_format="%.1f")
    result.months.to_csv(paths["months"], index=False, float_format="%.0f")
    result.bound.to_csv(paths["bound"], index=False, float_format="%.4f")
    paths["meta"] = out_dir / "backtest.json"
    meta = {
        "scenario": result.scenario,
        "from": result.start.isoformat(),
        "to": result.end.isoformat(),
        "tasks": result.tasks,
        "wall_s": round(result.wall_s, 1),
        "market_steps": list(ASSUMPTIONS),
        "price_forecast_days": result.days[result.days["strategy"] == "forecast"]["price_forecast"]
        .value_counts()
        .to_dict(),
        "sign": "JPY: + paid, - earned; kWh: + bought",
    }
    paths["meta"].write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    paths["plot"] = plot(
        result.bound,
        out_dir / "backtest.png",
        f"Backtest {result.scenario} {result.start}..{result.end}: money per month",
    )
    return paths
