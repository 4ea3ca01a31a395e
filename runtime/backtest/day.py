"""One delivery day D of the operator, for each strategy (``config.STRATEGIES``), from the state at 00:00 of D.

forecast engine (the operator's day): 10:00 D-1 price forecast (``market``) -> plan on it -> day-ahead bid,
cleared at the real price; 12:00 D-1 plan on the real prices (known since 10:00) and the day-ahead PV/load
forecast (the 計画値 the group submits; its first hours run as planned); intraday re-plans every
``replan_every_h`` hours, each made at gate closure (``gate_closure_h`` before its first slot) from the state
then and the PV/load forecast at that lead (``actuals``), covering the slots to the end of D, the slots before
gate closure locked to the plan in force. Every plan's JEPX net that differs from the day-ahead fill is traded
intraday where the slot had trades; the rest, and the forecast error, is imbalance (``settle``).
perfect foresight: one plan on the real prices and the actual PV/load (the upper bound), bid and cleared alike.
baseline: the rule-based dispatch (``optimizer.dayahead.baseline``) on the day-ahead forecast, bid as planned,
no re-plans (its bid's rounding is traded intraday like everyone's; its forecast error is imbalance). A plan
without a solution falls back to the baseline dispatch (counted).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from forecasts.load import forecast_facility_load
from forecasts.pv import forecast_facility_pv
from optimizer.dayahead.baseline import baseline_dispatch
from optimizer.dayahead.decisions import Dispatch
from optimizer.dayahead.from_scenario import Overrides, build_inputs
from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.result import PlanResult, SolveOptions
from optimizer.dayahead.solve import solve
from runtime.backtest.actuals import DaySeries, simulate
from runtime.backtest.config import BacktestConfig
from runtime.backtest.execute import Executed, Segment, execute, state_at
from runtime.backtest.market import PriceForecaster, clear, naive_price_forecast, point_bid
from scenarios.datasets import market_prices
from scenarios.model import Scenario
from scenarios.timegrid import SLOT_FREQ, SLOT_HOURS, SLOTS_PER_DAY, TZ

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DayMarket:
    """A day's prices (JPY/kWh, (48,)): the real day-ahead price and the forecast made at 10:00 D-1."""

    spot: np.ndarray
    forecast: np.ndarray
    forecast_method: str


@dataclass
class Counters:
    """Plans solved, plans that fell back to the baseline dispatch, seconds in build + HiGHS, their notes."""

    solves: int = 0
    fallbacks: int = 0
    solve_s: float = 0.0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DayRun:
    """What one strategy did on one day: the executed day, its day-ahead fill and the JEPX net of the plans in
    force (kWh per slot, + buy), the inputs it is costed on (actual PV/load, real prices), and counters."""

    executed: Executed
    fill_kwh: np.ndarray
    planned_net_kwh: np.ndarray
    actual_inputs: PlanInputs
    counters: Counters


def day_index(day: dt.date) -> pd.DatetimeIndex:
    """The 48 slot starts of ``day`` (Asia/Tokyo)."""
    return pd.date_range(pd.Timestamp(day).tz_localize(TZ), periods=SLOTS_PER_DAY, freq=SLOT_FREQ, name="slot_start")


def day_series(scenario: Scenario, day: dt.date, config: BacktestConfig) -> DaySeries:
    """The engine's day-ahead PV/load forecasts of ``day`` (kW per facility) and the simulated actuals."""
    index = day_index(day)
    pv = {f.id: forecast_facility_pv(f, index).to_numpy(dtype=float) for f in scenario.supplied if f.pv_arrays}
    load = {f.id: forecast_facility_load(f, index).to_numpy(dtype=float) for f in scenario.supplied if f.load}
    return simulate(day, pv, load, config)


def day_market(scenario: Scenario, day: dt.date, forecaster: PriceForecaster = naive_price_forecast) -> DayMarket:
    """Real prices of ``day`` and the forecast the operator had at 10:00 D-1."""
    index = day_index(day)
    spot = market_prices(scenario.market.price_source, index[0], index[-1] + pd.Timedelta(SLOT_FREQ))
    forecast, method = forecaster(scenario.market.price_source, day)
    return DayMarket(spot.to_numpy(dtype=float), forecast, method)


def _inputs(
    scenario: Scenario,
    day: dt.date,
    first: int,
    pv: Mapping[str, np.ndarray],
    load: Mapping[str, np.ndarray],
    price: np.ndarray,
    state: Overrides,
) -> PlanInputs:
    index = day_index(day)[first:]
    series = {k: pd.Series(v[first:], index=index) for k, v in pv.items()}
    loads = {k: pd.Series(v[first:], index=index) for k, v in load.items()}
    return build_inputs(scenario, index, series, loads, pd.Series(price[first:], index=index), overrides=state)


def _plan(inputs: PlanInputs, config: BacktestConfig, run: Counters) -> Dispatch:
    """The optimised dispatch, or the baseline's when HiGHS finds none (counted)."""
    tick = time.perf_counter()
    result = solve(inputs, SolveOptions(time_limit_s=config.time_limit_s))
    run.solve_s += time.perf_counter() - tick
    run.solves += 1
    if isinstance(result, PlanResult):
        return result.dispatch
    run.fallbacks += 1
    run.notes.append(f"{inputs.index[0].isoformat()}: no plan ({result.reason}); baseline used")
    log.warning("backtest: no plan from %s (%s); baseline dispatch used", inputs.index[0], result.reason)
    return baseline_dispatch(inputs)


def _net_kwh(d: Dispatch, hours: np.ndarray) -> np.ndarray:
    return np.asarray((d.buy_kw - d.sell_kw) * hours)


def run_day(
    strategy: str,
    scenario: Scenario,
    day: dt.date,
    state: Overrides,
    series: DaySeries,
    market: DayMarket,
    config: BacktestConfig,
) -> DayRun:
    """Replay ``day`` for ``strategy`` from ``state`` (module doc)."""
    actual_inputs = _inputs(scenario, day, 0, series.pv_actual, series.load_actual, market.spot, state)
    pv_act = np.array([f.pv_kw for f in actual_inputs.facilities])
    load_act = np.array([f.load_kw for f in actual_inputs.facilities])
    hours = actual_inputs.hours
    counters = Counters()
    if strategy == "forecast":
        segments, fill = _forecast_engine(scenario, day, state, series, market, config, counters, actual_inputs)
    elif strategy in ("perfect", "baseline"):
        if strategy == "perfect":
            segments = [Segment(0, actual_inputs, _plan(actual_inputs, config, counters))]
        else:
            planned = _inputs(scenario, day, 0, series.pv_forecast, series.load_forecast, market.spot, state)
            segments = [Segment(0, planned, baseline_dispatch(planned))]
        first = segments[0].dispatch
        fill = clear(point_bid(first.buy_kw, first.sell_kw, hours, config.bid_unit_kwh), market.spot)
    else:
        raise ValueError(f"strategy: unknown '{strategy}'; use baseline, forecast or perfect")
    executed = execute(segments, pv_act, load_act)
    return DayRun(executed, fill, _net_kwh(executed.planned, hours), actual_inputs, counters)


def _forecast_engine(
    scenario: Scenario,
    day: dt.date,
    state: Overrides,
    series: DaySeries,
    market: DayMarket,
    config: BacktestConfig,
    run: Counters,
    actual_inputs: PlanInputs,
) -> tuple[list[Segment], np.ndarray]:
    """Bid at 10:00 D-1, the 12:00 plan, then the intraday re-plans at gate closure (module doc)."""
    pv_fc, load_fc = series.pv_forecast, series.load_forecast
    pv_act = np.array([f.pv_kw for f in actual_inputs.facilities])
    load_act = np.array([f.load_kw for f in actual_inputs.facilities])
    bid_inputs = _inputs(scenario, day, 0, pv_fc, load_fc, market.forecast, state)
    bid = _plan(bid_inputs, config, run)
    fill = clear(point_bid(bid.buy_kw, bid.sell_kw, bid_inputs.hours, config.bid_unit_kwh), market.spot)
    noon = _inputs(scenario, day, 0, pv_fc, load_fc, market.spot, state)
    segments = [Segment(0, noon, _plan(noon, config, run))]
    step = config.replan_every_h * 2
    gate = round(config.gate_closure_h * 2)
    for first in range(step, SLOTS_PER_DAY, step):
        so_far = execute(segments, pv_act[:, :first], load_act[:, :first])
        now = state_at(actual_inputs, so_far.actual, first, state)
        lead_h = (np.arange(SLOTS_PER_DAY) - first + gate) * SLOT_HOURS
        pv, load = series.at_lead(lead_h)
        inputs = _inputs(scenario, day, first, pv, load, market.spot, _keep_day_start(now, state))
        segments.append(Segment(first, inputs, _plan(inputs, config, run)))
    return segments, fill


def _keep_day_start(now: Overrides, start: Overrides) -> Overrides:
    """The state at a re-plan: measured SoC, peaks and plant output, the day's other overrides kept."""
    return replace(
        start,
        battery_soc=now.battery_soc,
        ev_soc=now.ev_soc,
        peak_this_month_kw=now.peak_this_month_kw,
        peak_12_months_kw=now.peak_12_months_kw,
        capacity_peak_kw=now.capacity_peak_kw,
        plant_output_kw=now.plant_output_kw,
    )
