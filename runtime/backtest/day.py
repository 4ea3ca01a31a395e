"""One delivery day D of the operator, for each strategy (``config.STRATEGIES``), from the state at 00:00 of D.

forecast engine (the operator's day): 10:00 D-1 price forecast (P10/P50/P90, ``market.price_forecast``) -> plans
on the forecast prices and the day-ahead PV/load forecast -> the bid (a curve from the three plans, or the P50
plan's point bid), cleared at the real JEPX price (``market``). 12:00 D-1: the plan on the real prices with the
filled position as a constraint (``optimizer.dayahead.position``: a kWh beyond the fill costs the intraday
premium). Intraday re-plans every ``replan_every_h`` hours, each made at a slot start m from the state measured
then (SoC, peaks, plant output of the executed day so far) and the PV/load forecast at that lead (``actuals``),
covering m..end of D, with slots m..m + gate - 1 (past gate closure) locked to the position held there (fill +
intraday trades). Each plan decides the intraday trades of the slots whose gate closes before the next plan is
made (``market.decide_trades``: trade to the plan's need where that is cheaper than the expected imbalance under
the need scenarios (``need_scenarios``)); the rest, and the forecast error, is imbalance (``settle``).
perfect foresight: one plan on the real prices and the actual PV/load (the upper bound), its point bid filled
and its rounding traded intraday like everyone's. baseline: the rule-based dispatch
(``optimizer.dayahead.baseline``) on the day-ahead forecast, its point bid, intraday trades by the same step, no
re-plans. A plan without a solution falls back to the baseline dispatch (counted).
Units: kW for plan powers, kWh per slot for market quantities (+ = the group buys), JPY/kWh; Asia/Tokyo slots.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from forecasts.load import forecast_facility_load
from forecasts.pv import forecast_facility_pv
from optimizer.dayahead.baseline import baseline_dispatch
from optimizer.dayahead.decisions import Dispatch
from optimizer.dayahead.from_scenario import Overrides, build_inputs
from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.position import MarketPosition, PositionedInputs
from optimizer.dayahead.result import PlanResult, SolveOptions
from optimizer.dayahead.solve import solve
from optimizer.market.bids import point_bid
from runtime.backtest.actuals import DaySeries, simulate
from runtime.backtest.config import BacktestConfig
from runtime.backtest.execute import Executed, Segment, execute, state_at
from runtime.backtest.market import (
    QUANTILES,
    decide_trades,
    fill_kwh,
    imbalance_frame,
    intraday_frame,
    make_bid,
    price_forecast,
    real_prices,
    tradeable,
)
from scenarios.market_ops import MarketOperations
from scenarios.model import Scenario
from scenarios.timegrid import SLOT_FREQ, SLOT_HOURS, SLOTS_PER_DAY, TZ

log = logging.getLogger(__name__)

BLOCK = 6
"""Slots per block whose learned need errors are pooled for the P10/P90 (6 slots = 3 h)."""


@dataclass(frozen=True)
class DayMarket:
    """A day's market data: real day-ahead price and the P10/P50/P90 forecast made at 10:00 D-1 (JPY/kWh, (48,)),
    the forecast's method, the intraday results (average/high/low per slot) and the imbalance prices."""

    spot: np.ndarray
    forecast: Mapping[str, np.ndarray]
    forecast_method: str
    intraday: pd.DataFrame
    imbalance: pd.DataFrame


@dataclass
class Counters:
    """Plans solved, plans that fell back to the baseline dispatch, seconds in build + HiGHS, the kWh by which
    re-plans left a locked slot's position (should be ~0), where the need scenarios came from, notes."""

    solves: int = 0
    fallbacks: int = 0
    solve_s: float = 0.0
    lock_deviation_kwh: float = 0.0
    band_source: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DayRun:
    """What one strategy did on one day: the executed day, its day-ahead fill and intraday trades and the JEPX
    net of the plans in force (kWh per slot, + buy), the inputs it is costed on (actual PV/load, real prices)."""

    executed: Executed
    fill_kwh: np.ndarray
    trade_kwh: np.ndarray
    planned_net_kwh: np.ndarray
    actual_inputs: PlanInputs
    counters: Counters

    @property
    def position_kwh(self) -> np.ndarray:
        """The group's market position per slot (kWh): day-ahead fill + intraday trades."""
        return np.asarray(self.fill_kwh + self.trade_kwh)

    @property
    def actual_net_kwh(self) -> np.ndarray:
        """The metered JEPX net per slot (kWh) after the actual PV/load."""
        a, hours = self.executed.actual, self.actual_inputs.hours
        return np.asarray((a.buy_kw - a.sell_kw) * hours)


def day_index(day: dt.date) -> pd.DatetimeIndex:
    """The 48 slot starts of ``day`` (Asia/Tokyo)."""
    return pd.date_range(pd.Timestamp(day).tz_localize(TZ), periods=SLOTS_PER_DAY, freq=SLOT_FREQ, name="slot_start")


def day_series(scenario: Scenario, day: dt.date, config: BacktestConfig) -> DaySeries:
    """The engine's day-ahead PV/load forecasts of ``day`` (kW per facility) and the simulated actuals."""
    index = day_index(day)
    pv = {f.id: forecast_facility_pv(f, index).to_numpy(dtype=float) for f in scenario.supplied if f.pv_arrays}
    load = {f.id: forecast_facility_load(f, index).to_numpy(dtype=float) for f in scenario.supplied if f.load}
    return simulate(day, pv, load, config)


def operations(scenario: Scenario, config: BacktestConfig) -> MarketOperations:
    """The scenario's market operations, with the bid and intraday units set to ``config.bid_unit_kwh`` if given."""
    ops = scenario.market.operations
    if config.bid_unit_kwh is None:
        return ops
    return ops.model_copy(update={"bid_unit_kwh": config.bid_unit_kwh, "intraday_unit_kwh": config.bid_unit_kwh})


def day_market(scenario: Scenario, day: dt.date, config: BacktestConfig | None = None) -> DayMarket:
    """Real prices of ``day``, the forecast the operator had at 10:00 D-1, intraday results, imbalance prices."""
    source = scenario.market.price_source
    spot = real_prices(source, day)
    forecast, method = price_forecast(source, day)
    ops = operations(scenario, config or BacktestConfig())
    imbalance = imbalance_frame(spot, scenario.market.imbalance, ops)
    return DayMarket(spot.to_numpy(dtype=float), forecast, method, intraday_frame(day), imbalance)


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


def positioned(inputs: PlanInputs, position: MarketPosition) -> PositionedInputs:
    """``inputs`` with the market position as a constraint of the plan."""
    values = {f.name: getattr(inputs, f.name) for f in dataclasses.fields(inputs)}
    return PositionedInputs(**values, position=position)


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


def need_scenarios(
    net_kwh: np.ndarray,
    load_kwh: np.ndarray,
    slots: np.ndarray,
    errors: Sequence[np.ndarray],
    config: BacktestConfig,
    ops: MarketOperations,
) -> tuple[list[np.ndarray], tuple[float, ...], str]:
    """P10/P50/P90 of the group's net need (kWh per slot) around a plan's net ``net_kwh`` for the day slots
    ``slots``: with at least ``band_min_days`` days of the strategy's own errors (metered - planned net, (48,)
    each), the plan + the empirical 10 % / 90 % quantiles of the last ``band_days`` days' errors pooled by
    blocks of 6 slots (3 h); else +/- ``need_error_fraction`` x the forecast load. Weights from the scenario."""
    weights = ops.quantile_weights.as_tuple()
    recent = list(errors)[-config.band_days :]
    if len(recent) < config.band_min_days:
        spread = ops.need_error_fraction * np.asarray(load_kwh)
        return [net_kwh - spread, net_kwh, net_kwh + spread], weights, "load-fraction"
    table = np.vstack(recent)
    low, high = np.empty(SLOTS_PER_DAY), np.empty(SLOTS_PER_DAY)
    for start in range(0, SLOTS_PER_DAY, BLOCK):
        block = slice(start, start + BLOCK)
        low[block], high[block] = np.quantile(table[:, block], [0.1, 0.9])
    return [net_kwh + low[slots], net_kwh, net_kwh + high[slots]], weights, f"learned-{len(recent)}d"


@dataclass(frozen=True)
class _Day:
    """What a strategy's day works from: the scenario, the day, its state at 00:00, series, market, config, the
    strategy's past need errors, and ``exact`` (perfect foresight: the need is known, one scenario)."""

    scenario: Scenario
    day: dt.date
    state: Overrides
    series: DaySeries
    market: DayMarket
    config: BacktestConfig
    errors: Sequence[np.ndarray]
    exact: bool = False

    @property
    def ops(self) -> MarketOperations:
        return operations(self.scenario, self.config)

    @property
    def gate(self) -> int:
        return round(self.config.gate_closure_h * 2)

    def trades(
        self, trade: np.ndarray, fill: np.ndarray, seg: Segment, span: tuple[int, int], now: pd.Timestamp, run: Counters
    ) -> None:
        """Decide (in place) the intraday trades of day slots span[0]..span[1]-1 from the plan of ``seg``."""
        a, b = span[0], min(span[1], SLOTS_PER_DAY)
        if a >= b:
            return
        rel = slice(a - seg.first, b - seg.first)
        hours = seg.inputs.hours[rel]
        net = _net_kwh(seg.dispatch, seg.inputs.hours)[rel]
        load = np.sum([f.load_kw[rel] for f in seg.inputs.facilities], axis=0) * hours
        weights: tuple[float, ...]
        if self.exact:
            needs, weights, run.band_source = [net], (1.0,), "exact"
        else:
            needs, weights, run.band_source = need_scenarios(
                net, load, np.arange(a, b), self.errors, self.config, self.ops
            )
        trade[a:b] = decide_trades(
            day_index(self.day)[a:b],
            now,
            fill[a:b],
            needs,
            weights,
            self.market.intraday.iloc[a:b],
            self.market.imbalance.iloc[a:b],
            self.ops,
            self.gate * 30,
        )


def _bid_eve(day: dt.date) -> pd.Timestamp:
    """12:00 JST on the day before ``day``: when the 計画値 is made and every slot of ``day`` is still open."""
    return pd.Timestamp(dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12, 0)), tz=TZ)


def run_day(
    strategy: str,
    scenario: Scenario,
    day: dt.date,
    state: Overrides,
    series: DaySeries,
    market: DayMarket,
    config: BacktestConfig,
    errors: Sequence[np.ndarray] = (),
) -> DayRun:
    """Replay ``day`` for ``strategy`` from ``state`` (module doc); ``errors``: the strategy's need errors of the
    days before (kWh per slot, metered - planned net), for the intraday step's P10/P90."""
    if strategy not in ("baseline", "forecast", "perfect"):
        raise ValueError(f"strategy: unknown '{strategy}'; use baseline, forecast or perfect")
    ctx = _Day(scenario, day, state, series, market, config, errors, exact=strategy == "perfect")
    actual_inputs = _inputs(scenario, day, 0, series.pv_actual, series.load_actual, market.spot, state)
    pv_act = np.array([f.pv_kw for f in actual_inputs.facilities])
    load_act = np.array([f.load_kw for f in actual_inputs.facilities])
    hours = actual_inputs.hours
    counters = Counters()
    if strategy == "forecast":
        segments, fill, trade = _forecast_engine(ctx, counters, actual_inputs)
    else:
        if strategy == "perfect":
            segments = [Segment(0, actual_inputs, _plan(actual_inputs, config, counters))]
        else:
            planned = _inputs(scenario, day, 0, series.pv_forecast, series.load_forecast, market.spot, state)
            segments = [Segment(0, planned, baseline_dispatch(planned))]
        first = segments[0].dispatch
        bid = point_bid(day, first.buy_kw, first.sell_kw, ctx.ops)
        fill = fill_kwh(bid, pd.Series(market.spot, index=day_index(day)))
        trade = np.zeros(SLOTS_PER_DAY)
        ctx.trades(trade, fill, segments[0], (0, SLOTS_PER_DAY), _bid_eve(day), counters)
    executed = execute(segments, pv_act, load_act)
    return DayRun(executed, fill, trade, _net_kwh(executed.planned, hours), actual_inputs, counters)


def _position(ctx: _Day, fill: np.ndarray, trade: np.ndarray, first: int, hours: np.ndarray) -> MarketPosition:
    """The position a plan from day slot ``first`` is held to: slots first..first+gate-1 locked to fill + trades,
    later ones to the fill (a kWh beyond it costs the intraday premium, or the lock penalty where untradeable)."""
    n = SLOTS_PER_DAY - first
    locked = np.zeros(n, dtype=bool)
    if first > 0:
        locked[: ctx.gate] = True
    held = np.where(locked, (fill + trade)[first:], fill[first:])
    open_ok = tradeable(ctx.market.intraday)[first:] & ~locked
    cost = np.where(open_ok, ctx.config.intraday_premium_jpy_per_kwh, ctx.config.lock_penalty_jpy_per_kwh)
    return MarketPosition(held / hours, cost, locked)


def _forecast_engine(
    ctx: _Day, run: Counters, actual_inputs: PlanInputs
) -> tuple[list[Segment], np.ndarray, np.ndarray]:
    """Bid at 10:00 D-1, the 12:00 plan, then the intraday re-plans (module doc)."""
    scenario, day, state, series, market, config = ctx.scenario, ctx.day, ctx.state, ctx.series, ctx.market, ctx.config
    pv_fc, load_fc = series.pv_forecast, series.load_forecast
    pv_act = np.array([f.pv_kw for f in actual_inputs.facilities])
    load_act = np.array([f.load_kw for f in actual_inputs.facilities])
    columns = QUANTILES if config.bid == "curve" else ("p50",)
    plans_kw = {}
    for column in columns:
        bid_plan = _plan(_inputs(scenario, day, 0, pv_fc, load_fc, market.forecast[column], state), config, run)
        plans_kw[column] = (bid_plan.buy_kw, bid_plan.sell_kw)
    fill = fill_kwh(make_bid(day, plans_kw, market.forecast, ctx.ops), pd.Series(market.spot, index=day_index(day)))
    trade = np.zeros(SLOTS_PER_DAY)
    step, gate = config.replan_every_h * 2, ctx.gate
    starts = list(range(step, SLOTS_PER_DAY, step))
    noon = _inputs(scenario, day, 0, pv_fc, load_fc, market.spot, state)
    noon = positioned(noon, _position(ctx, fill, trade, 0, noon.hours))
    segments = [Segment(0, noon, _plan(noon, config, run))]
    ctx.trades(trade, fill, segments[0], (0, (starts[0] if starts else SLOTS_PER_DAY) + gate), _bid_eve(day), run)
    for k, first in enumerate(starts):
        so_far = execute(segments, pv_act[:, :first], load_act[:, :first])
        now = state_at(actual_inputs, so_far.actual, first, state)
        lead_h = (np.arange(SLOTS_PER_DAY) - first + 1) * SLOT_HOURS
        pv, load = series.at_lead(lead_h)
        plain = _inputs(scenario, day, first, pv, load, market.spot, _keep_day_start(now, state))
        position = _position(ctx, fill, trade, first, plain.hours)
        inputs = positioned(plain, position)
        dispatch = _plan(inputs, config, run)
        held = position.base_net_kw[:gate] * plain.hours[:gate]
        run.lock_deviation_kwh += float(np.abs(_net_kwh(dispatch, plain.hours)[:gate] - held).sum())
        segments.append(Segment(first, inputs, dispatch))
        made = day_index(day)[first] - pd.Timedelta(minutes=1)
        following = starts[k + 1] if k + 1 < len(starts) else SLOTS_PER_DAY
        ctx.trades(trade, fill, segments[-1], (first + gate, following + gate), made, run)
    return segments, fill, trade


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
