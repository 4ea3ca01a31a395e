"""Day-ahead (JEPX spot) bids for one delivery day, built at the 10:00 deadline the day before from plans on
forecast prices.

Conventions: a slot is named by its start (tz-aware, Asia/Tokyo); quantities are kWh per 30-min slot (a plan's
kW x 0.5 h), rounded to the bid unit (``MarketOperations.bid_unit_kwh``, 50 kWh = 0.1 MW x 30 min); prices are
JPY/kWh. A buy step is filled when the clearing price is at or below its limit, a sell step when it is at or
above (``optimizer.market.clearing``).

Two ways to bid:

- :func:`point_bid`: the plan on the P50 prices, as price-taker steps (buy at the highest bid price, sell at the
  lowest): always filled, so the position is the plan.
- :func:`curve_bid`: price-quantity curves from plans made on the P10, P50 and P90 price scenarios (the
  scenario points (price_k, quantity_k) of Fleten & Kristoffersen's bidding, as JEPX step bids). In each slot the
  buy quantity the P90 plan still wants is bought at any price; the extra the P50 plan wants is bid at the P50
  price, the extra of the P10 plan at the P10 price; sells mirror it (the P10 plan's sale at any price, the extra
  at P50 and P90). A curve pays where the plans differ by at least one bid unit; elsewhere it collapses to the
  price-taker step. Quantities are made monotone first (buying does not rise with the price, selling does not
  fall), so the curve is a valid JEPX bid.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from scenarios.market_ops import MarketOperations
from scenarios.timegrid import SLOT_HOURS, day_slots, jepx_slot_number

__all__ = ["BidStep", "DayAheadBid", "curve_bid", "point_bid", "round_to_unit"]

Side = Literal["buy", "sell"]


@dataclass(frozen=True)
class BidStep:
    """One step of a slot's bid: ``quantity_kwh`` (> 0, a multiple of the bid unit) at limit
    ``price_jpy_per_kwh`` for delivery in the slot starting at ``slot_start`` (tz-aware)."""

    slot_start: pd.Timestamp
    side: Side
    price_jpy_per_kwh: float
    quantity_kwh: float


@dataclass(frozen=True)
class DayAheadBid:
    """All steps of one delivery day's bid (48 slots of ``delivery_day``, JST), in slot order."""

    delivery_day: dt.date
    steps: tuple[BidStep, ...]
    unit_kwh: float

    @property
    def index(self) -> pd.DatetimeIndex:
        """The 48 slot starts of the delivery day (Asia/Tokyo)."""
        return day_slots(self.delivery_day)

    def frame(self) -> pd.DataFrame:
        """Steps as a table: slot_start, jepx_slot (1..48), side, price_jpy_per_kwh, quantity_kwh."""
        rows = [
            (s.slot_start, jepx_slot_number(s.slot_start), s.side, s.price_jpy_per_kwh, s.quantity_kwh)
            for s in self.steps
        ]
        return pd.DataFrame(rows, columns=["slot_start", "jepx_slot", "side", "price_jpy_per_kwh", "quantity_kwh"])

    def total_kwh(self, side: Side) -> np.ndarray:
        """Sum of the steps' quantities of one side per slot, kWh (48 values): what a fill at any price gives."""
        position = {start: t for t, start in enumerate(self.index)}
        out = np.zeros(len(position))
        for s in self.steps:
            if s.side == side:
                out[position[s.slot_start]] += s.quantity_kwh
        return out


def round_to_unit(kwh: np.ndarray, unit_kwh: float) -> np.ndarray:
    """Energies (kWh, >= 0) rounded to the nearest multiple of ``unit_kwh`` (halves round up: 25 -> 50 at 50)."""
    values = np.asarray(kwh, dtype=float)
    if (values < -1e-9).any():
        raise ValueError("quantity_kwh: bid quantities must be >= 0 (buys and sells are separate arrays)")
    return np.asarray(np.floor(np.maximum(values, 0.0) / unit_kwh + 0.5 + 1e-9) * unit_kwh, dtype=float)


def _check_day(delivery_day: dt.date, n: int, field: str) -> pd.DatetimeIndex:
    index = day_slots(delivery_day)
    if n != len(index):
        raise ValueError(f"{field}: {n} values; a delivery day has {len(index)} slots (JEPX 1..48)")
    return index


def _kwh(kw: np.ndarray, unit: float) -> np.ndarray:
    return round_to_unit(np.asarray(kw, dtype=float) * SLOT_HOURS, unit)


def point_bid(delivery_day: dt.date, buy_kw: np.ndarray, sell_kw: np.ndarray, ops: MarketOperations) -> DayAheadBid:
    """Price-taker bid of one plan: buy_kw / sell_kw (plan's JEPX purchase and sale per slot, kW, 48 values)
    become kWh in bid units, bought at the highest and sold at the lowest bid price."""
    index = _check_day(delivery_day, len(buy_kw), "buy_kw")
    _check_day(delivery_day, len(sell_kw), "sell_kw")
    buys, sells = _kwh(buy_kw, ops.bid_unit_kwh), _kwh(sell_kw, ops.bid_unit_kwh)
    steps: list[BidStep] = []
    for t, start in enumerate(index):
        if buys[t] > 0:
            steps.append(BidStep(start, "buy", ops.max_bid_price_jpy_per_kwh, float(buys[t])))
        if sells[t] > 0:
            steps.append(BidStep(start, "sell", ops.min_bid_price_jpy_per_kwh, float(sells[t])))
    return DayAheadBid(delivery_day, tuple(steps), ops.bid_unit_kwh)


def _monotone(low: np.ndarray, mid: np.ndarray, high: np.ndarray, falling: bool) -> tuple[np.ndarray, ...]:
    """Quantities at the P10/P50/P90 prices made monotone in price (falling for buys, rising for sells)."""
    if falling:
        high2 = high
        mid2 = np.maximum(mid, high2)
        return np.maximum(low, mid2), mid2, high2
    low2 = low
    mid2 = np.maximum(mid, low2)
    return low2, mid2, np.maximum(high, mid2)


def curve_bid(
    delivery_day: dt.date,
    plans_kw: Mapping[str, tuple[np.ndarray, np.ndarray]],
    prices: pd.DataFrame,
    ops: MarketOperations,
) -> DayAheadBid:
    """Price-quantity bid from three plans (see the module docstring).

    plans_kw: {"p10": (buy_kw, sell_kw), "p50": ..., "p90": ...}: each plan's JEPX purchase and sale per slot (kW)
    when planned on that price column; prices: the forecast frame (columns p10/p50/p90, JPY/kWh, 48 rows)."""
    missing = [k for k in ("p10", "p50", "p90") if k not in plans_kw or k not in prices.columns]
    if missing:
        raise ValueError(f"plans_kw/prices: the curve needs the p10, p50 and p90 plans and prices; missing {missing}")
    index = _check_day(delivery_day, len(prices), "prices")
    unit = ops.bid_unit_kwh
    buy = {k: _kwh(plans_kw[k][0], unit) for k in ("p10", "p50", "p90")}
    sell = {k: _kwh(plans_kw[k][1], unit) for k in ("p10", "p50", "p90")}
    b10, b50, b90 = _monotone(buy["p10"], buy["p50"], buy["p90"], falling=True)
    s10, s50, s90 = _monotone(sell["p10"], sell["p50"], sell["p90"], falling=False)
    p10, p50, p90 = (np.asarray(prices[k], dtype=float) for k in ("p10", "p50", "p90"))
    steps: list[BidStep] = []
    for t, start in enumerate(index):
        layers: list[tuple[Side, float, float]] = [
            ("buy", ops.max_bid_price_jpy_per_kwh, b90[t]),
            ("buy", p50[t], b50[t] - b90[t]),
            ("buy", p10[t], b10[t] - b50[t]),
            ("sell", ops.min_bid_price_jpy_per_kwh, s10[t]),
            ("sell", p50[t], s50[t] - s10[t]),
            ("sell", p90[t], s90[t] - s50[t]),
        ]
        for side, price, qty in layers:
            if qty > 1e-9:
                limit = float(np.clip(price, ops.min_bid_price_jpy_per_kwh, ops.max_bid_price_jpy_per_kwh))
                steps.append(BidStep(start, side, round(limit, 2), float(qty)))
    return DayAheadBid(delivery_day, tuple(steps), unit)
