"""Money of an executed day: the market settlement plus the shared cost function's other terms (JPY).

Per slot t (kWh, + = the group buys): fill_t is the day-ahead position (cleared bid), trade_t the intraday trades
(``day``), actual_t the metered JEPX net after the actual PV/load (``execute``).
- energy = sum fill+_t x spot_t - fill-_t x (spot_t - sale discount): the day-ahead settlement;
- intraday = sum trade+_t x buy price_t - trade-_t x sell price_t at the slot's recorded average (or, with
  ``intraday_price="adverse"``, high for buys and low for sales); both are also reported apart
  (intraday_average_jpy, intraday_adverse_jpy);
- imbalance = actual_t - fill_t - trade_t priced by the post-2022 rule (``optimizer.market.imbalance``);
- wheeling, link, wear, curtailment, penalty_*, terminal_value: the shared cost function
  (``optimizer.dayahead.costs.cost_breakdown``) on the actual dispatch, PV/load and real prices, whichever the
  strategy (the baseline is costed exactly like the engine). The stored-energy value counts on the last day of
  a task only (the state is carried within a task).
- demand and capacity are bills of a month's / a season's peak, so they are not summed per day: the day gives
  each facility's highest 30-min demand and the group's highest summed demand in capacity-season slots (kW),
  and ``report`` bills the month's and the season's peaks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.dayahead.costs import cost_breakdown, demand_kw
from optimizer.market.imbalance import imbalance_cost
from runtime.backtest.day import DayMarket, DayRun
from runtime.backtest.market import trade_money


@dataclass(frozen=True)
class Settlement:
    """A day's cost by term (JPY; + paid, - earned; penalties and terminal value as in the cost function), the
    intraday trades at the average and at high/low (JPY), its volumes (kWh): day-ahead bought / sold, intraday
    traded (absolute), imbalance (absolute); the day's 30-min demand peak per facility id and the group's peak
    in capacity-season slots (kW, 0 outside)."""

    terms: dict[str, float]
    intraday_average_jpy: float
    intraday_adverse_jpy: float
    facility_peak_kw: dict[str, float]
    group_capacity_peak_kw: float
    dayahead_buy_kwh: float
    dayahead_sell_kwh: float
    intraday_kwh: float
    imbalance_kwh: float


def settle_day(run: DayRun, market: DayMarket, with_stored_value: bool, intraday_price: str = "average") -> Settlement:
    """Settle ``run`` on ``market`` (module doc)."""
    inputs, actual = run.actual_inputs, run.executed.actual
    spot = inputs.price_jpy_per_kwh
    fill, trade = run.fill_kwh, run.trade_kwh
    imbalance = run.actual_net_kwh - run.position_kwh
    bought, sold = np.clip(fill, 0, None), np.clip(-fill, 0, None)
    terms = cost_breakdown(inputs, actual)
    terms["energy"] = float((bought * spot - sold * (spot - inputs.sale_discount_jpy_per_kwh)).sum())
    average, adverse = trade_money(trade, market.intraday)
    terms["intraday"] = adverse if intraday_price == "adverse" else average
    short = market.imbalance["short_jpy_per_kwh"].to_numpy(dtype=float)
    surplus = market.imbalance["surplus_jpy_per_kwh"].to_numpy(dtype=float)
    terms["imbalance"] = float(imbalance_cost(imbalance, short, surplus).sum())
    if not with_stored_value:
        terms.pop("terminal_value", None)
    for billed_per_period in ("demand", "capacity"):
        terms.pop(billed_per_period)
    demand = demand_kw(inputs, actual)
    season = list(inputs.capacity_slots)
    return Settlement(
        terms=terms,
        intraday_average_jpy=average,
        intraday_adverse_jpy=adverse,
        facility_peak_kw={f.id: float(demand[j].max()) for j, f in enumerate(inputs.facilities)},
        group_capacity_peak_kw=float(demand[:, season].sum(axis=0).max()) if season else 0.0,
        dayahead_buy_kwh=float(bought.sum()),
        dayahead_sell_kwh=float(sold.sum()),
        intraday_kwh=float(np.abs(trade).sum()),
        imbalance_kwh=float(np.abs(imbalance).sum()),
    )
