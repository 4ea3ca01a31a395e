"""A whole market day for one delivery day, for the CLI and the API: forecast and bid (10:00 the day before),
clearing, the plan on the published prices and the 需要調達計画 file (12:00), and the first intraday step (12:00).

Files (``write_market_day``), one set per delivery day, timestamps ISO 8601 with +09:00 (slot starts, JST):
``price_forecast_<day>.csv`` (p10/p50/p90, real, naive, JPY/kWh), ``bid_<day>.csv`` (jepx_slot, side,
price_jpy_per_kwh limit, quantity_kwh), ``fill_<day>.csv`` (clearing price, bought/sold/net kWh, cost JPY; + =
paid), the plan file (``runtime.market.plan_values``) and ``intraday_<day>.csv`` (trade_kwh + = buy, prices,
expected costs JPY).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecasts.prices import forecast_day_ahead_prices, naive_day_ahead_prices
from optimizer.dayahead.result import PlanResult, SolveOptions
from optimizer.market.clearing import SpotFill
from runtime.market.day import (
    BidRun,
    bid_day,
    clear_day,
    intraday_day,
    intraday_prices,
    plan_day,
    price_history,
    real_prices,
)
from runtime.market.files import MarketFiles
from runtime.market.plan_values import PlanValues, plan_values, write_plan_values
from scenarios.model import Scenario
from scenarios.timegrid import TZ

__all__ = ["MarketDayRun", "MarketDaySummary", "price_forecast_frame", "run_market_day", "write_market_day"]


@dataclass(frozen=True)
class MarketDaySummary:
    """Figures of one market day: kWh, JPY/kWh (MAE), JPY."""

    delivery_day: str
    bid_steps: int
    bid_buy_kwh: float
    bid_sell_kwh: float
    bought_kwh: float
    sold_kwh: float
    spot_cost_jpy: float
    forecast_mae_jpy_per_kwh: float
    naive_mae_jpy_per_kwh: float
    open_kwh: float
    intraday_bought_kwh: float
    intraday_sold_kwh: float
    expected_imbalance_no_trade_jpy: float
    expected_total_after_trades_jpy: float


@dataclass(frozen=True)
class MarketDayRun:
    """Everything the day's steps produced (see the module docstring)."""

    bid: BidRun
    fill: SpotFill
    plan: PlanResult
    values: PlanValues
    intraday: pd.DataFrame
    real: pd.Series
    naive: pd.Series

    def summary(self) -> MarketDaySummary:
        """The day's figures."""
        p50 = self.bid.forecast.p50.to_numpy()
        trades = self.intraday["trade_kwh"].to_numpy()
        return MarketDaySummary(
            delivery_day=self.bid.bid.delivery_day.isoformat(),
            bid_steps=len(self.bid.bid.steps),
            bid_buy_kwh=float(self.bid.bid.total_kwh("buy").sum()),
            bid_sell_kwh=float(self.bid.bid.total_kwh("sell").sum()),
            bought_kwh=float(self.fill.frame["bought_kwh"].sum()),
            sold_kwh=float(self.fill.frame["sold_kwh"].sum()),
            spot_cost_jpy=self.fill.cost_jpy,
            forecast_mae_jpy_per_kwh=float(np.mean(np.abs(p50 - self.real.to_numpy()))),
            naive_mae_jpy_per_kwh=float(np.mean(np.abs(self.naive.to_numpy() - self.real.to_numpy()))),
            open_kwh=float(self.values.frame["open_kwh"].sum()),
            intraday_bought_kwh=float(trades[trades > 0].sum()),
            intraday_sold_kwh=float(-trades[trades < 0].sum()),
            expected_imbalance_no_trade_jpy=float(self.intraday["expected_imbalance_no_trade_jpy"].sum()),
            expected_total_after_trades_jpy=float(self.intraday["expected_total_jpy"].sum()),
        )


def _at(day: dt.date, hhmm: str) -> pd.Timestamp:
    """``hhmm`` (JST) on ``day``."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    return pd.Timestamp(dt.datetime.combine(day, dt.time(hour, minute)), tz=TZ)


def run_market_day(
    scenario: Scenario, delivery_day: dt.date, curves: bool = True, options: SolveOptions | None = None
) -> MarketDayRun:
    """Run the steps of ``delivery_day`` on the shipped recorded prices (ValueError outside FY2023-FY2024)."""
    ops = scenario.market.operations
    history = price_history(scenario, delivery_day)
    bid = bid_day(scenario, delivery_day, history=history, options=options, curves=curves)
    fill = clear_day(scenario, bid.bid)
    real = fill.frame["price_jpy_per_kwh"]
    plan = plan_day(bid.plans["p50"].inputs, real, options)
    day_before = delivery_day - dt.timedelta(days=1)
    created = _at(day_before, ops.plan_deadline)
    intraday = intraday_day(scenario, plan, fill.net_kwh, created, intraday_prices(delivery_day))
    values = plan_values(plan, fill, ops, created)
    return MarketDayRun(bid, fill, plan, values, intraday, real, naive_day_ahead_prices(history, delivery_day))


def price_forecast_frame(scenario: Scenario, delivery_day: dt.date) -> pd.DataFrame:
    """The day's price forecast (p10/p50/p90) beside the published prices (real) and the naive benchmark, JPY/kWh
    on the 48 slot starts."""
    history = price_history(scenario, delivery_day)
    forecast = forecast_day_ahead_prices(history, delivery_day)
    real = real_prices(scenario, delivery_day)
    naive = naive_day_ahead_prices(history, delivery_day)
    return forecast.frame.assign(real=real.to_numpy(), naive=naive.to_numpy())


def write_market_day(run: MarketDayRun, out_dir: Path) -> dict[str, Path]:
    """Write the day's files into ``out_dir`` (created; layout in ``runtime.market.files``); returns them by kind."""
    files = MarketFiles(out_dir)
    day = run.bid.bid.delivery_day
    forecast = run.bid.forecast.frame.assign(real=run.real.to_numpy(), naive=run.naive.to_numpy())
    return {
        "forecast": files.write_frame("forecast", day, forecast),
        "bid": files.write_bid(run.bid.bid),
        "fill": files.write_frame("fill", day, run.fill.frame),
        "intraday": files.write_frame("intraday", day, run.intraday),
        "plan": write_plan_values(run.values, out_dir),
    }
