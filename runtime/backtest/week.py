"""The Dask task of the backtest: a week of delivery days, the state carried from day to day per strategy.

Each week starts from the scenario's own state (its batteries' and cars' initial SoC, its recorded peaks), so
the weeks are independent and run in parallel (``runtime.batch``); the value of the energy stored at the end
counts once, on the week's last day. One row per day and strategy, money in JPY, volumes in kWh.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from optimizer.dayahead.from_scenario import Overrides
from runtime.backtest.config import WeekTask
from runtime.backtest.day import DayRun, day_market, day_series, run_day
from runtime.backtest.execute import next_day_state
from runtime.backtest.market import intraday_prices
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


def run_week(task: WeekTask) -> WeekResult:
    """Every day of ``task`` for every strategy (module doc)."""
    scenario, config = task.scenario, task.config
    states = {strategy: Overrides() for strategy in task.strategies}
    rows: list[Row] = []
    peaks: list[Row] = []
    for offset in range(task.days):
        day = task.start + dt.timedelta(days=offset)
        series = day_series(scenario, day, config)
        market = day_market(scenario, day)
        intraday = intraday_prices(day, config.intraday_price)
        for strategy in task.strategies:
            run = run_day(strategy, scenario, day, states[strategy], series, market, config)
            last = offset == task.days - 1
            s = settle_day(run, intraday, scenario.market.imbalance, day, last)
            rows.append(
                {
                    "date": day.isoformat(),
                    "strategy": strategy,
                    "price_forecast": market.forecast_method if strategy == "forecast" else "real",
                    **{f"{term}_jpy": value for term, value in s.terms.items()},
                    "dayahead_buy_kwh": s.dayahead_buy_kwh,
                    "dayahead_sell_kwh": s.dayahead_sell_kwh,
                    "intraday_abs_kwh": s.intraday_kwh,
                    "imbalance_abs_kwh": s.imbalance_kwh,
                    "plans_solved": run.counters.solves,
                    "plans_fallen_back": run.counters.fallbacks,
                    "solve_s": run.counters.solve_s,
                    "group_capacity_peak_kw": s.group_capacity_peak_kw,
                }
            )
            peaks.extend(_peak_rows(day, strategy, run, s))
            states[strategy] = next_day_state(
                run.actual_inputs,
                run.executed.actual,
                states[strategy],
                day + dt.timedelta(days=1),
                scenario.market.capacity,
            )
    log.info("backtest week from %s: %d days done", task.start, task.days)
    return WeekResult(rows, peaks)
