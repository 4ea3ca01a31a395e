"""The market steps of the operator's day, behind one interface, as STAND-INS until ``optimizer/market`` and
``forecasts/prices.py`` land on main (the "market" work of issue 12). Every output of the backtest names them.

- Price forecast at 10:00 D-1 (``naive_price_forecast``): epftoolbox's naive benchmark, the prices of D-7 on
  Monday, Saturday and Sunday and of D-1 otherwise (the last day known at the bid deadline); the day before
  that day when it is missing; with no recorded day before D at all, the same weekday 52 weeks later (flagged).
- Day-ahead bid and clearing (``point_bid``, ``clear``): the plan's purchase and sale per slot, rounded to the
  bid unit, as price-taker steps, so every step is filled at the clearing price (the real JEPX Chugoku price).
- Intraday (``intraday_prices``): the recorded JEPX intraday results (national, per slot; shipped file); a
  position change trades at the slot's average (or high for buys / low for sales: ``intraday_price="adverse"``)
  when the slot had trades, else it stays an imbalance.
- Imbalance (``imbalance_jpy``): the scenario's rule (``runtime.loop.settle.imbalance_cost_jpy``: a shortage
  pays min(spot + spread, C), a surplus earns max(spot - spread, 0)).

Units: kWh per 30-min slot, JPY/kWh, JPY; slots named by their start (Asia/Tokyo).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pandas as pd

from forecasts.providers import read_jepx_intraday
from runtime.loop.settle import imbalance_cost_jpy
from scenarios.datasets import data_path, market_prices
from scenarios.model import ImbalanceParams
from scenarios.timegrid import SLOT, SLOTS_PER_DAY, TZ

STAND_INS = (
    "price forecast: naive weekly/daily (stand-in)",
    "bid: plan's purchase/sale as price-taker steps, filled at the clearing price (stand-in)",
    "imbalance: spot +/- spread capped at C (stand-in)",
)
"""What the backtest uses in place of the market work; printed with every result."""

PriceForecaster = Callable[[str, dt.date], tuple[np.ndarray, str]]
"""(price_source, delivery day) -> (48 forecast prices JPY/kWh, the method used)."""


def _day_prices(price_source: str, day: dt.date) -> np.ndarray | None:
    start = pd.Timestamp(day).tz_localize(TZ)
    try:
        return market_prices(price_source, start, start + SLOTS_PER_DAY * SLOT).to_numpy(dtype=float)
    except ValueError:
        return None


def naive_price_forecast(price_source: str, day: dt.date) -> tuple[np.ndarray, str]:
    """The naive forecast of ``day``'s 48 prices from the days known at 10:00 on the day before (module doc)."""
    lag = 7 if day.weekday() in (0, 5, 6) else 1
    for back, method in ((lag, "naive"), (1, "naive-d-1")):
        prices = _day_prices(price_source, day - dt.timedelta(days=back))
        if prices is not None:
            return prices, method
    proxy = _day_prices(price_source, day + dt.timedelta(weeks=52))
    if proxy is None:
        raise ValueError(f"prices: no recorded day to forecast {day} from; the price source has none near it")
    return proxy, "proxy-52-weeks-later"


def round_to_unit(kwh: np.ndarray, unit_kwh: float) -> np.ndarray:
    """Quantities (kWh) to whole bid units (nearest)."""
    return np.asarray(np.round(np.asarray(kwh, dtype=float) / unit_kwh) * unit_kwh)


def point_bid(buy_kw: np.ndarray, sell_kw: np.ndarray, hours: np.ndarray, unit_kwh: float) -> np.ndarray:
    """Net day-ahead bid per slot in kWh (+ buy, - sell) from a plan's JEPX purchase and sale (kW)."""
    return round_to_unit((np.asarray(buy_kw) - np.asarray(sell_kw)) * hours, unit_kwh)


def clear(bid_kwh: np.ndarray, price: np.ndarray) -> np.ndarray:
    """Filled net quantity per slot (kWh): price-taker steps are always filled (stand-in)."""
    if len(bid_kwh) != len(price) or np.isnan(price).any():
        raise ValueError("price: the clearing needs one real price per bid slot")
    return np.asarray(bid_kwh, dtype=float).copy()


@lru_cache(maxsize=1)
def _intraday_table() -> pd.DataFrame:
    return read_jepx_intraday(data_path("jepx_intraday_fy2023_fy2024.csv"))


def intraday_prices(day: dt.date, mode: str = "average") -> tuple[np.ndarray, np.ndarray]:
    """(buy price, sell price) per slot of ``day`` in JPY/kWh, NaN where the slot had no intraday trade or the
    day is outside the shipped file; ``mode`` 'average' (both the average) or 'adverse' (high, low)."""
    index = pd.date_range(pd.Timestamp(day).tz_localize(TZ), periods=SLOTS_PER_DAY, freq=SLOT)
    table = _intraday_table().reindex(index)
    if mode == "average":
        avg = table["average_jpy_per_kwh"].to_numpy(dtype=float)
        return avg, avg.copy()
    return table["high_jpy_per_kwh"].to_numpy(dtype=float), table["low_jpy_per_kwh"].to_numpy(dtype=float)


def imbalance_jpy(imbalance_kwh: np.ndarray, spot: np.ndarray, params: ImbalanceParams, day: dt.date) -> np.ndarray:
    """Settlement per slot in JPY (+ pay) of imbalance_kwh = actual need - position (+ shortage)."""
    when = pd.Timestamp(day).tz_localize(TZ).to_pydatetime()
    return np.array(
        [imbalance_cost_jpy(float(q), float(p), params, when) for q, p in zip(imbalance_kwh, spot, strict=True)]
    )
