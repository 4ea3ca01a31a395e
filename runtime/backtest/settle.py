"""Money of an executed day: the market settlement plus the shared cost function's other terms (JPY).

Per slot t (kWh, + = the group buys): fill_t is the day-ahead position (cleared bid), planned_t the JEPX net
of the plan in force, actual_t the metered JEPX net after the actual PV/load (``execute``).
- energy = sum fill+_t x spot_t - fill-_t x (spot_t - sale discount): the day-ahead settlement;
- intraday = sum trade+_t x buy price_t - trade-_t x sell price_t, with trade_t = planned_t - fill_t where the
  slot had intraday trades (else 0): the position moved to the plan before gate closure;
- imbalance = the scenario's imbalance price on actual_t - fill_t - trade_t (``market.imbalance_jpy``);
- wheeling, link, wear, curtailment, penalty_*, terminal_value: the shared cost function
  (``optimizer.dayahead.costs.cost_breakdown``) on the actual dispatch, PV/load and real prices, whichever the
  strategy (the baseline is costed exactly like the engine). The stored-energy value counts on the last day of
  a week only (the state is carried within a week).
- demand and capacity are bills of a month's / a season's peak, so they are not summed per day: the day gives
  each facility's highest 30-min demand and the group's highest summed demand in capacity-season slots (kW),
  and ``report`` bills the month's and the season's peaks across the weeks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from optimizer.dayahead.costs import cost_breakdown, demand_kw
from runtime.backtest.day import DayRun
from runtime.backtest.market import imbalance_jpy
from scenarios.model import ImbalanceParams


@dataclass(frozen=True)
class Settlement:
    """A day's cost by term (JPY; + paid, - earned; penalties and terminal value as in the cost function) and
    its volumes (kWh): day-ahead bought / sold, intraday traded (absolute), imbalance (absolute); the day's
    30-min demand peak per facility id and the group's peak in capacity-season slots (kW, 0 outside)."""

    terms: dict[str, float]
    facility_peak_kw: dict[str, float]
    group_capacity_peak_kw: float
    dayahead_buy_kwh: float
    dayahead_sell_kwh: float
    intraday_kwh: float
    imbalance_kwh: float


def settle_day(
    run: DayRun,
    intraday: tuple[np.ndarray, np.ndarray],
    params: ImbalanceParams,
    day: dt.date,
    with_stored_value: bool,
) -> Settlement:
    """Settle ``run`` (module doc); ``intraday`` = (buy, sell) prices per slot (NaN: no trade that slot)."""
    inputs, actual = run.actual_inputs, run.executed.actual
    spot, hours = inputs.price_jpy_per_kwh, inputs.hours
    buy_price, sell_price = intraday
    fill = run.fill_kwh
    trade = np.where(np.isnan(buy_price) | np.isnan(sell_price), 0.0, run.planned_net_kwh - fill)
    actual_net = (actual.buy_kw - actual.sell_kw) * hours
    imbalance = actual_net - fill - trade
    bought, sold = np.clip(fill, 0, None), np.clip(-fill, 0, None)
    terms = cost_breakdown(inputs, actual)
    terms["energy"] = float((bought * spot - sold * (spot - inputs.sale_discount_jpy_per_kwh)).sum())
    trade_buy, trade_sell = np.clip(trade, 0, None), np.clip(-trade, 0, None)
    terms["intraday"] = float(np.nansum(trade_buy * buy_price) - np.nansum(trade_sell * sell_price))
    terms["imbalance"] = float(imbalance_jpy(imbalance, spot, params, day).sum())
    if not with_stored_value:
        terms.pop("terminal_value", None)
    for billed_per_period in ("demand", "capacity"):
        terms.pop(billed_per_period)
    demand = demand_kw(inputs, actual)
    season = list(inputs.capacity_slots)
    return Settlement(
        terms=terms,
        facility_peak_kw={f.id: float(demand[j].max()) for j, f in enumerate(inputs.facilities)},
        group_capacity_peak_kw=float(demand[:, season].sum(axis=0).max()) if season else 0.0,
        dayahead_buy_kwh=float(bought.sum()),
        dayahead_sell_kwh=float(sold.sum()),
        intraday_kwh=float(np.abs(trade).sum()),
        imbalance_kwh=float(np.abs(imbalance).sum()),
    )
