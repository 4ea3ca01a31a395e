"""One delivery day's market steps over a scenario (the thin layer the CLI, the loop and the backtest call).

Timeline for delivery day D+1 (JST): before 10:00 on D, forecast D+1's prices from the prices known then
(:func:`price_history`: the shipped JEPX file up to D) and plan the day on the P10, P50 and P90 price columns;
at 10:00 bid (:func:`bid_day`, curves from the three plans or the P50 plan as price-taker steps); after the
clearing (about 10:00-10:30, prices of D+1 published) fill the bid (:func:`clear_day`) and plan the day on the
real prices (:func:`plan_day`): the difference between that plan's net purchase and the spot fill is what the
group still has to trade intraday (``optimizer.market.intraday``) or leave to imbalance; at 12:00 write the
需要調達計画 (``runtime.market.plan_values``).

Units: kW for plan powers, kWh per 30-min slot for market quantities, JPY/kWh, JPY. Slots named by their start.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from forecasts.load import forecast_facility_load
from forecasts.prices import PriceForecast, forecast_day_ahead_prices
from forecasts.providers import read_jepx_intraday
from forecasts.pv import forecast_facility_pv
from optimizer.dayahead.from_scenario import Overrides, build_inputs
from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.position import MarketPosition, PositionedInputs
from optimizer.dayahead.result import PlanResult, SolveOptions
from optimizer.market.bids import DayAheadBid, curve_bid, point_bid
from optimizer.market.clearing import SpotFill, clear_bid
from optimizer.market.hedge import hedged_net_kwh
from optimizer.market.imbalance import imbalance_prices
from optimizer.market.intraday import intraday_trades, open_slots
from runtime.loop.fallback import plan_result
from scenarios.datasets import data_path, jepx_span, market_prices
from scenarios.model import Scenario
from scenarios.timegrid import SLOT, SLOT_HOURS, TZ, day_slots

__all__ = [
    "BidRun",
    "bid_day",
    "clear_day",
    "held_position",
    "intraday_day",
    "intraday_prices",
    "market_inputs",
    "market_kw",
    "need_scenarios_kwh",
    "plan_day",
    "price_history",
    "real_prices",
    "with_prices",
]

QUANTILE_COLUMNS = ("p10", "p50", "p90")
INTRADAY_FILE = "jepx_intraday_fy2023_fy2024.csv"


@dataclass(frozen=True)
class BidRun:
    """The 10:00 bid of a delivery day: the price forecast, the plan on each price column it bid from (p50 only for
    a point bid), and the bid."""

    forecast: PriceForecast
    plans: dict[str, PlanResult]
    bid: DayAheadBid


def price_history(scenario: Scenario, delivery_day: dt.date) -> pd.Series:
    """Day-ahead prices (JPY/kWh) of the scenario's price source known at the 10:00 bid for ``delivery_day``: every
    slot from the start of the shipped data to the end of delivery_day - 1. ValueError if that day is not covered."""
    first, _last = jepx_span()
    end = pd.Timestamp(delivery_day, tz=TZ)
    return market_prices(scenario.market.price_source, first, end)


def real_prices(scenario: Scenario, delivery_day: dt.date) -> pd.Series:
    """The published (cleared) day-ahead prices of ``delivery_day``'s 48 slots, JPY/kWh."""
    index = day_slots(delivery_day)
    return market_prices(scenario.market.price_source, index[0], index[-1] + SLOT).reindex(index)


def market_inputs(
    scenario: Scenario,
    index: pd.DatetimeIndex,
    price: pd.Series,
    overrides: Overrides | None = None,
    weather: pd.DataFrame | None = None,
    load_history: Mapping[str, pd.Series] | None = None,
) -> PlanInputs:
    """Plan inputs from the forecasts package (PV and load per facility) on ``price`` (JPY/kWh on ``index``), so
    the terminal value of stored energy follows the prices the plan is made on (forecast or real)."""
    pv = {f.id: forecast_facility_pv(f, index, weather=weather) for f in scenario.supplied if f.pv_arrays}
    history = load_history or {}
    load = {
        f.id: forecast_facility_load(f, index, history=history.get(f.id))
        for f in scenario.supplied
        if f.load is not None
    }
    return build_inputs(scenario, index, pv, load, price.reindex(index), overrides=overrides)


def with_prices(inputs: PlanInputs, price: np.ndarray) -> PlanInputs:
    """The same inputs on another price vector (JPY/kWh per slot), re-validated."""
    return dataclasses.replace(inputs, price_jpy_per_kwh=np.asarray(price, dtype=float))


def market_kw(result: PlanResult) -> tuple[np.ndarray, np.ndarray]:
    """A plan's JEPX purchase and sale per slot (kW)."""
    return np.asarray(result.dispatch.buy_kw, dtype=float), np.asarray(result.dispatch.sell_kw, dtype=float)


def bid_day(
    scenario: Scenario,
    delivery_day: dt.date,
    history: pd.Series | None = None,
    inputs: PlanInputs | None = None,
    options: SolveOptions | None = None,
    curves: bool = True,
    hedge: bool = True,
) -> BidRun:
    """Forecast ``delivery_day``'s prices, plan it and bid (see the module docstring).

    history: prices known at the bid (default :func:`price_history`; later slots are ignored by the forecast);
    inputs: the day's plan inputs (48 slots from 00:00 JST; default :func:`market_inputs` on the P50 prices);
    curves: price-quantity curves from the P10/P50/P90 plans (three solves) or the P50 plan as price takers;
    hedge (point bids): move the P50 plan's position where the need's uncertainty makes that cheaper in
    expectation (``optimizer.market.hedge``; with the default symmetric imbalance model it stays)."""
    known = price_history(scenario, delivery_day) if history is None else history
    forecast = forecast_day_ahead_prices(known, delivery_day)
    index = day_slots(delivery_day)
    base = inputs or market_inputs(scenario, index, forecast.p50)
    if not base.index.equals(index):
        raise ValueError(f"inputs: the bid plans the 48 slots of {delivery_day} from 00:00 JST")
    ops = scenario.market.operations
    columns = QUANTILE_COLUMNS if curves else ("p50",)
    plans = {k: plan_result(with_prices(base, forecast.frame[k].to_numpy()), options) for k in columns}
    if curves:
        bid = curve_bid(delivery_day, {k: market_kw(p) for k, p in plans.items()}, forecast.frame, ops)
    elif hedge:
        bid = _hedged_point_bid(scenario, plans["p50"], forecast.p50)
    else:
        bid = point_bid(delivery_day, *market_kw(plans["p50"]), ops)
    return BidRun(forecast, plans, bid)


def _hedged_point_bid(scenario: Scenario, plan: PlanResult, price: pd.Series) -> DayAheadBid:
    """Point bid of the P50 plan's net purchase moved by ``hedged_net_kwh`` (need scenarios, forecast prices)."""
    ops, index = scenario.market.operations, pd.DatetimeIndex(plan.inputs.index)
    buy, sell = market_kw(plan)
    net = (buy - sell) * plan.inputs.hours
    spot = price.reindex(index)
    imbalance = imbalance_prices(spot, scenario.market.imbalance, ops)
    needs = need_scenarios_kwh(plan, ops.need_error_fraction)
    hedged = hedged_net_kwh(
        index, net, needs, ops.quantile_weights.as_tuple(), spot.to_numpy(), imbalance, ops.bid_unit_kwh
    )
    return point_bid(index[0].date(), np.maximum(hedged, 0.0) / 0.5, np.maximum(-hedged, 0.0) / 0.5, ops)


def clear_day(scenario: Scenario, bid: DayAheadBid, price: pd.Series | None = None) -> SpotFill:
    """Fill the bid at the published prices of its delivery day (default :func:`real_prices`)."""
    return clear_bid(bid, real_prices(scenario, bid.delivery_day) if price is None else price)


def plan_day(
    inputs: PlanInputs,
    price: pd.Series,
    options: SolveOptions | None = None,
    position: MarketPosition | None = None,
) -> PlanResult:
    """The delivery day planned on its published prices (after the clearing): the plan the 計画値 and the intraday
    steps start from. position: the held market position as a constraint of the plan (:func:`held_position`;
    None: unconstrained)."""
    priced = with_prices(inputs, price.reindex(inputs.index).to_numpy(dtype=float))
    if position is not None:
        values = {f.name: getattr(priced, f.name) for f in dataclasses.fields(priced)}
        priced = PositionedInputs(**values, position=position)
    return plan_result(priced, options)


def held_position(
    index: pd.DatetimeIndex,
    fill_kwh: np.ndarray,
    traded_kwh: np.ndarray,
    now: dt.datetime | pd.Timestamp,
    intraday: pd.DataFrame,
    gate_closure_min: int = 60,
    premium_jpy_per_kwh: float = 1.0,
    lock_penalty_jpy_per_kwh: float = 100.0,
) -> MarketPosition:
    """The position a re-plan at ``now`` is held to (``optimizer.dayahead.position``; kWh per 30-min slot in, kW
    out): slots past gate closure locked to fill + trades, a deviation there or in a slot without intraday trades
    (NaN average in ``intraday``) costing ``lock_penalty_jpy_per_kwh``; open slots held to the fill, a kWh beyond
    it costing ``premium_jpy_per_kwh`` (both planning weights)."""
    open_now = open_slots(index, now, gate_closure_min)
    held = np.where(open_now, fill_kwh, np.asarray(fill_kwh) + np.asarray(traded_kwh))
    traded = np.isfinite(intraday.reindex(index)["average_jpy_per_kwh"].to_numpy(dtype=float))
    cost = np.where(open_now & traded, premium_jpy_per_kwh, lock_penalty_jpy_per_kwh)
    return MarketPosition(held / SLOT_HOURS, cost, ~open_now)


def need_scenarios_kwh(result: PlanResult, error_fraction: float) -> list[np.ndarray]:
    """The group's net market need per slot (kWh: plan purchase - sale) in a P10, P50 and P90 scenario: the plan's
    own (P50), and that -/+ ``error_fraction`` x the group's forecast load (the P10/P90 reserve of the load)."""
    if not 0 <= error_fraction < 1:
        raise ValueError(f"error_fraction: {error_fraction} must be in [0, 1)")
    buy, sell = market_kw(result)
    hours = np.asarray(result.inputs.hours, dtype=float)
    need = (buy - sell) * hours
    load = np.sum([f.load_kw for f in result.inputs.facilities], axis=0) * hours
    return [need - error_fraction * load, need, need + error_fraction * load]


@lru_cache(maxsize=1)
def _intraday_table() -> pd.DataFrame:
    return read_jepx_intraday(data_path(INTRADAY_FILE))


def intraday_prices(delivery_day: dt.date) -> pd.DataFrame:
    """The shipped JEPX intraday results (national) of ``delivery_day``'s 48 slots: open/high/low/close/average
    JPY/kWh, volume_kwh, trades; NaN prices where nothing traded. ValueError outside the shipped FY2023-FY2024."""
    table = _intraday_table()
    index = day_slots(delivery_day)
    if index[0] < table.index[0] or index[-1] > table.index[-1]:
        raise ValueError(f"delivery_day: {delivery_day} is outside the shipped intraday results (FY2023-FY2024)")
    return table.reindex(index)


def intraday_day(
    scenario: Scenario,
    plan: PlanResult,
    position_kwh: np.ndarray,
    now: dt.datetime | pd.Timestamp,
    intraday: pd.DataFrame,
    adverse: bool = False,
) -> pd.DataFrame:
    """One intraday step: trade what the latest ``plan`` (on the latest forecasts) still needs beyond
    ``position_kwh`` (spot fill + earlier trades, kWh per slot) in every slot whose gate closure is after ``now``,
    where that is cheaper than the expected imbalance (``optimizer.market.intraday.intraday_trades``). Imbalance
    priced by the post-2022 rule on the plan's spot prices; needs from :func:`need_scenarios_kwh`."""
    ops, market = scenario.market.operations, scenario.market
    index = pd.DatetimeIndex(plan.inputs.index)
    spot = pd.Series(np.asarray(plan.inputs.price_jpy_per_kwh, dtype=float), index=index)
    prices = imbalance_prices(spot, market.imbalance, ops)
    return intraday_trades(
        index,
        now,
        position_kwh,
        need_scenarios_kwh(plan, ops.need_error_fraction),
        ops.quantile_weights.as_tuple(),
        intraday,
        prices,
        unit_kwh=ops.intraday_unit_kwh,
        gate_closure_min=market.gate_closure_min,
        adverse=adverse,
    )
