"""The Dask task of the backtest: a block of delivery days (a month, a capacity season or a week), the state
carried from day to day per strategy.

Each task starts from the scenario's own state (its batteries' and cars' initial SoC, its recorded peaks), so
the tasks are independent and run in parallel (``runtime.batch``); inside a task the measured SoC, this month's
and 12 months' peaks and the season's group peak are carried day by day (``execute.next_day_state``), and so
are the strategy's need errors (metered - planned JEPX net per slot) the intraday step learns its P10/P90 from.
The value of the energy stored at the end counts once, on the task's last day. One row per day and strategy,
money in JPY, volumes in kWh; with ``config.checkpoint_dir`` each finished day's rows are appended there
(days_<task start>.csv, peaks_<task start>.csv) as they are made.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.dayahead.from_scenario import Overrides
from runtime.backtest.config import WeekTask
from runtime.backtest.day import DayRun, day_market, day_series, run_day
from runtime.backtest.execute import next_day_state
from runtime.backtest.settle import Settlement, settle_day

log = logging.getLogger(__name__)

Row = dict[str, float | int | str]


@dataclass(frozen=True)
class WeekResult:
    """``days``: one row per day and strategy (date, strategy, cost terms JPY, volumes kWh, counters, the group's
    capacity-season peak kW); ``peaks``: one row per day, strategy and facility (its 30-min demand peak kW and
    what a kW above its reference costs: contract kW, 12-month ratchet kW, JPY per kW)."""

    days: list[Row]
    peaks: list[Row]


def _peak_rows(day: dt.date, strategy: str, run: DayRun, s: Settlement) -> list[Row]:
    charge = run.actual_inputs.demand_charge_jpy_per_kw_month
    return [
        {
            "date": day.isoformat(),
            "strategy": strategy,
            "facility": f.id,
            "peak_kw": s.facility_peak_kw[f.id],
            "contract_kw": f.contract_kw,
            "ratchet_kw": f.peak_12_months_kw if f.demand_ratchet else 0.0,
            "ratchet": int(f.demand_ratchet),
            "jpy_per_kw": charge * f.demand_bills,
        }
        for f in run.actual_inputs.facilities
    ]


def _append(directory: str | None, name: str, rows: list[Row]) -> None:
    """Append ``rows`` to ``directory/name`` (CSV with a header on first write); nothing without a directory."""
    if directory is None or not rows:
        return
    path = Path(directory) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path, mode="a", header=not path.exists(), index=False, float_format="%.3f")


def _row(day: dt.date, strategy: str, method: str, run: DayRun, s: Settlement) -> Row:
    return {
        "date": day.isoformat(),
        "strategy": strategy,
        "price_forecast": method if strategy == "forecast" else "real",
        **{f"{term}_jpy": value for term, value in s.terms.items()},
        "intraday_average_jpy": s.intraday_average_jpy,
        "intraday_adverse_jpy": s.intraday_adverse_jpy,
        "dayahead_buy_kwh": s.dayahead_buy_kwh,
        "dayahead_sell_kwh": s.dayahead_sell_kwh,
        "intraday_abs_kwh": s.intraday_kwh,
        "imbalance_abs_kwh": s.imbalance_kwh,
        "lock_deviation_kwh": run.counters.lock_deviation_kwh,
        "need_band": run.counters.band_source,
        "plans_solved": run.counters.solves,
        "plans_fallen_back": run.counters.fallbacks,
        "solve_s": run.counters.solve_s,
        "group_capacity_peak_kw": s.group_capacity_peak_kw,
    }


def run_week(task: WeekTask) -> WeekResult:
    """Every day of ``task`` for every strategy (module doc)."""
    scenario, config = task.scenario, task.config
    states = {strategy: Overrides() for strategy in task.strategies}
    errors: dict[str, list[np.ndarray]] = {strategy: [] for strategy in task.strategies}
    rows: list[Row] = []
    peaks: list[Row] = []
    for offset in range(task.days):
        day = task.start + dt.timedelta(days=offset)
        series = day_series(scenario, day, config)
        market = day_market(scenario, day, config)
        day_rows: list[Row] = []
        day_peaks: list[Row] = []
        for strategy in task.strategies:
            run = run_day(strategy, scenario, day, states[strategy], series, market, config, errors[strategy])
            last = offset == task.days - 1
            s = settle_day(run, market, last, config.intraday_price)
            day_rows.append(_row(day, strategy, market.forecast_method, run, s))
            day_peaks.extend(_peak_rows(day, strategy, run, s))
            errors[strategy] = [*errors[strategy], run.actual_net_kwh - run.planned_net_kwh][-config.band_days :]
            states[strategy] = next_day_state(
                run.actual_inputs,
                run.executed.actual,
                states[strategy],
                day + dt.timedelta(days=1),
                scenario.market.capacity,
            )
        _append(config.checkpoint_dir, f"days_{task.start.isoformat()}.csv", day_rows)
        _append(config.checkpoint_dir, f"peaks_{task.start.isoformat()}.csv", day_peaks)
        rows.extend(day_rows)
        peaks.extend(day_peaks)
    log.info("backtest task from %s: %d days done", task.start, task.days)
    return WeekResult(rows, peaks)
