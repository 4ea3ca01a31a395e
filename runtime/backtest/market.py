"""The market steps of the backtest's operator day: the real ones (``forecasts.prices``, ``optimizer.market``),
composed here (runtime) since forecasts and optimizer never import each other.

- Price forecast at 10:00 D-1 (:func:`price_forecast`): ``forecasts.prices.forecast_day_ahead_prices`` (ridge
  LEAR, P10/P50/P90) on the prices known then (up to the end of D-1). The shipped prices start on 2023-04-01, so
  the first weeks of FY2023 lack a year of history: the model is fitted on what exists (window 364 days, at
  least 84 complete days), then on a short window (14 validation days, at least 42), and before that the
  epftoolbox naive forecast (D-7 on Mon/Sat/Sun, else D-1; D-1 when that is missing) is used, the only stand-in
  left; on 2023-04-01 nothing is known at all and the same weekday 52 weeks later stands in (future data,
  flagged 'proxy-52-weeks-later'). Each day's row names the method.
- Bid (:func:`make_bid`): ``optimizer.market.bids``: a price-quantity curve from the plans on the P10/P50/P90
  prices (``bid="curve"``) or the P50 plan as price-taker steps (``bid="point"``), in the configured bid unit.
- Clearing (:func:`fill_kwh`): ``optimizer.market.clearing.clear_bid`` against the real JEPX Chugoku price.
- Intraday (:func:`intraday_frame`, :func:`decide_trades`): the shipped JEPX intraday results (national, per
  slot); ``optimizer.market.intraday.intraday_trades`` trades where that is cheaper than the expected imbalance
  under the need scenarios, at the slot's average; the settlement reports the same trades at the high (buys) /
  low (sales) apart, as the adverse case. A slot without trades (or a day outside the file) cannot be traded.
- Imbalance (:func:`imbalance_frame`): ``optimizer.market.imbalance.imbalance_prices`` (post-2022 rule: the
  higher of the balancing and the scarcity price, capped at C). Real imbalance prices and reserve margins are
  not shipped: the balancing price is the configured spot +/- spread and the reserve margin the configured
  assumption (both labelled in ``ASSUMPTIONS``).

Units: kWh per 30-min slot (+ = the group buys), JPY/kWh, JPY; slots named by their start (Asia/Tokyo).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from forecasts.prices import PriceForecast, daily_matrix, forecast_day_ahead_prices
from forecasts.providers import read_jepx_intraday
from optimizer.market.bids import DayAheadBid, curve_bid, point_bid
from optimizer.market.clearing import clear_bid
from optimizer.market.imbalance import imbalance_prices
from optimizer.market.intraday import intraday_trades
from scenarios.datasets import data_path, jepx_span, market_prices
from scenarios.market_ops import MarketOperations
from scenarios.model import ImbalanceParams
from scenarios.timegrid import SLOT, TZ, day_slots

log = logging.getLogger(__name__)

ASSUMPTIONS = (
    "price forecast: forecasts.prices ridge LEAR P10/P50/P90 from prices known at 10:00 D-1; "
    "naive weekly/daily (stand-in) only on days with too little history (column price_forecast)",
    "bid: optimizer.market.bids (curve from the P10/P50/P90 plans or P50 point bid) cleared by "
    "optimizer.market.clearing against the real JEPX Chugoku price (steps at the clearing price fill in full)",
    "intraday: optimizer.market.intraday at the shipped national JEPX intraday average per slot; "
    "the same trades at the slot's high/low reported apart (intraday_adverse_jpy)",
    "imbalance: optimizer.market.imbalance post-2022 rule; real imbalance prices and reserve margins are not "
    "shipped, so the balancing price is spot +/- the configured spread and the reserve margin the configured "
    "assumption (modelled, not recorded)",
)
"""What the backtest's market steps are; written with every result."""

QUANTILES = ("p10", "p50", "p90")


@lru_cache(maxsize=4)
def _history(price_source: str) -> pd.Series:
    first, last = jepx_span()
    return market_prices(price_source, first, last + SLOT)


def real_prices(price_source: str, day: dt.date) -> pd.Series:
    """The cleared day-ahead prices of ``day``'s 48 slots (JPY/kWh). ValueError if a slot is not recorded."""
    index = day_slots(day)
    prices = _history(price_source).reindex(index)
    if prices.isna().any():
        raise ValueError(f"--from/--to: {day} is outside the recorded JEPX prices of {price_source}")
    return prices


def _attempts() -> Sequence[tuple[str, Callable[[pd.Series, dt.date], PriceForecast]]]:
    return (
        ("lear", forecast_day_ahead_prices),
        ("lear-short", lambda h, d: forecast_day_ahead_prices(h, d, window_days=364, validation_days=14)),
    )


def price_forecast(price_source: str, day: dt.date) -> tuple[dict[str, np.ndarray], str]:
    """The P10/P50/P90 forecast (JPY/kWh, 48 each) of ``day`` made at 10:00 on the day before, and its method
    ('lear', 'lear-short' or 'naive': module doc). Only prices up to the end of day - 1 are passed on."""
    history = _history(price_source)
    known = history[history.index < pd.Timestamp(day, tz=TZ)]
    for method, forecaster in _attempts():
        try:
            frame = forecaster(known, day).frame
        except ValueError:
            continue
        return {k: frame[k].to_numpy(dtype=float) for k in QUANTILES}, method
    table = daily_matrix(known) if len(known) else pd.DataFrame()
    lag = 7 if day.weekday() in (0, 5, 6) else 1
    for back, method in ((lag, "naive"), (1, "naive-d-1")):
        source = day - dt.timedelta(days=back)
        if source in table.index and not table.loc[source].isna().any():
            naive = table.loc[source].to_numpy(dtype=float)
            return {k: naive.copy() for k in QUANTILES}, method
    proxy = real_prices(price_source, day + dt.timedelta(weeks=52)).to_numpy(dtype=float)
    return {k: proxy.copy() for k in QUANTILES}, "proxy-52-weeks-later"


def make_bid(
    day: dt.date,
    plans_kw: Mapping[str, tuple[np.ndarray, np.ndarray]],
    forecast: Mapping[str, np.ndarray],
    ops: MarketOperations,
) -> DayAheadBid:
    """The 10:00 bid: a curve when plans on all three price columns are given, else the P50 plan's point bid.
    plans_kw: {column: (buy_kw, sell_kw)} per slot (kW)."""
    if all(k in plans_kw for k in QUANTILES):
        frame = pd.DataFrame({k: forecast[k] for k in QUANTILES}, index=day_slots(day))
        return curve_bid(day, plans_kw, frame, ops)
    buy, sell = plans_kw["p50"]
    return point_bid(day, buy, sell, ops)


def fill_kwh(bid: DayAheadBid, spot: pd.Series) -> np.ndarray:
    """Net filled day-ahead quantity per slot (kWh, + = bought) at the real clearing prices."""
    return clear_bid(bid, spot).net_kwh


@lru_cache(maxsize=1)
def _intraday_table() -> pd.DataFrame:
    return read_jepx_intraday(data_path("jepx_intraday_fy2023_fy2024.csv"))


def intraday_frame(day: dt.date) -> pd.DataFrame:
    """The shipped intraday results of ``day`` (average/high/low JPY/kWh per slot; NaN: no trade, or outside the
    file)."""
    return _intraday_table().reindex(day_slots(day))


def imbalance_frame(spot: pd.Series, params: ImbalanceParams, ops: MarketOperations) -> pd.DataFrame:
    """Shortage and surplus imbalance prices per slot (JPY/kWh) by the post-2022 rule (module doc)."""
    return imbalance_prices(spot, params, ops)


def decide_trades(
    index: pd.DatetimeIndex,
    now: pd.Timestamp,
    position_kwh: np.ndarray,
    needs_kwh: Sequence[np.ndarray],
    weights: Sequence[float],
    intraday: pd.DataFrame,
    imbalance: pd.DataFrame,
    ops: MarketOperations,
    gate_closure_min: int,
) -> np.ndarray:
    """Intraday trade per slot (kWh, + = buy) chosen at ``now`` for the slots of ``index`` still open: the one of
    no trade / closing the gap of a need scenario with the least trade + expected imbalance cost, at the average."""
    trades = intraday_trades(
        index,
        now,
        position_kwh,
        needs_kwh,
        weights,
        intraday,
        imbalance,
        unit_kwh=ops.intraday_unit_kwh,
        gate_closure_min=gate_closure_min,
    )
    return np.asarray(trades["trade_kwh"].to_numpy(dtype=float))


def trade_money(trade_kwh: np.ndarray, intraday: pd.DataFrame) -> tuple[float, float]:
    """(at the average, adverse at high/low) JPY of the trades (+ paid); NaN-priced slots never trade."""
    q = np.asarray(trade_kwh, dtype=float)
    avg = np.nan_to_num(intraday["average_jpy_per_kwh"].to_numpy(dtype=float))
    high = np.nan_to_num(intraday["high_jpy_per_kwh"].to_numpy(dtype=float))
    low = np.nan_to_num(intraday["low_jpy_per_kwh"].to_numpy(dtype=float))
    buy, sell = np.clip(q, 0, None), np.clip(-q, 0, None)
    return float((buy * avg - sell * avg).sum()), float((buy * high - sell * low).sum())


def tradeable(intraday: pd.DataFrame) -> np.ndarray:
    """True for the slots that had intraday trades (a finite average, high and low)."""
    cols = intraday[["average_jpy_per_kwh", "high_jpy_per_kwh", "low_jpy_per_kwh"]].to_numpy(dtype=float)
    return np.asarray(np.isfinite(cols).all(axis=1))
