"""The backtest façade the CLI and the benchmark call: weeks as Dask tasks (``runtime.batch``), then the report.

``run_backtest`` cuts start..end into weeks (``config.weeks``), runs one task per week (``week.run_week``) on the
configured cluster and assembles the daily rows, the months and the bound table; ``write_outputs`` writes them as
CSV (units in the column names: _jpy, _kwh, _kw, _s) with a PNG. Delivery days are dates in Asia/Tokyo.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from runtime.backtest.config import BacktestConfig, weeks
from runtime.backtest.market import STAND_INS
from runtime.backtest.report import bound_table, monthly, plot
from runtime.backtest.week import run_week
from runtime.batch import BatchSettings, Progress, run_tasks
from scenarios.model import Scenario

log = logging.getLogger(__name__)


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
    """Replay every delivery day start..end (inclusive) for the three strategies, one Dask task per week."""
    config = config or BacktestConfig()
    tasks = weeks(start, end, scenario, config)
    tick = time.perf_counter()
    results = run_tasks(run_week, tasks, label="backtest", on_progress=on_progress, settings=batch)
    wall = time.perf_counter() - tick
    days = pd.DataFrame([row for r in results for row in r.days])
    peaks = pd.DataFrame([row for r in results for row in r.peaks])
    months = monthly(days, peaks, scenario.market.capacity)
    log.info("backtest %s..%s: %d weeks in %.1f s", start, end, len(tasks), wall)
    return BacktestResult(scenario.name, start, end, days, peaks, months, bound_table(months), wall, len(tasks))


def write_outputs(result: BacktestResult, out_dir: Path) -> dict[str, Path]:
    """backtest_days.csv, backtest_months.csv, backtest_bound.csv, backtest.json (what was assumed), backtest.png."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / f"backtest_{name}.csv" for name in ("days", "months", "bound")}
    result.days.to_csv(paths["days"], index=False, float_format="%.3f")
    result.months.to_csv(paths["months"], index=False, float_format="%.0f")
    result.bound.to_csv(paths["bound"], index=False, float_format="%.4f")
    paths["meta"] = out_dir / "backtest.json"
    meta = {
        "scenario": result.scenario,
        "from": result.start.isoformat(),
        "to": result.end.isoformat(),
        "weeks": result.tasks,
        "wall_s": round(result.wall_s, 1),
        "stand_ins": list(STAND_INS),
        "sign": "JPY: + paid, - earned; kWh: + bought",
    }
    paths["meta"].write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    paths["plot"] = plot(
        result.bound,
        out_dir / "backtest.png",
        f"Backtest {result.scenario} {result.start}..{result.end}: money per month (stand-in market steps)",
    )
    return paths
