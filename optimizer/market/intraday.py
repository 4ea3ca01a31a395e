"""Intraday (時間前市場) trading until gate closure, from a rolling re-plan.

Gate closure of a slot is ``gate_closure_min`` (60) minutes before its start: from then on the slot's plan is
locked to what was submitted (:func:`lock_closed_slots`) and nothing more can be traded for it. For every slot
still open, :func:`intraday_trades` compares trading the difference between the group's latest need and its
position on the intraday market with leaving it to imbalance: it tries no trade and the trade that would close
the gap of each need scenario (P10/P50/P90 of the latest forecasts, rounded to the intraday unit) and keeps the
one with the least trade cost + expected imbalance cost (ties: the smaller trade). Buying pays the slot's buy
price, selling earns its sell price: the published average in the live service; with ``adverse=True`` (the
backtest) the day's high for buys and low for sells. A slot with no intraday trades that day (NaN price) cannot be
traded.

Units: kWh per 30-min slot (positive trade = buy), JPY/kWh, JPY; slots named by their tz-aware start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from optimizer.market.bids import round_to_unit
from optimizer.market.imbalance import expected_imbalance_cost
from scenarios.timegrid import require_aware, require_aware_index

__all__ = ["gate_closure", "intraday_trades", "lock_closed_slots", "open_slots", "signed_round"]


def gate_closure(slot_start: pd.Timestamp, gate_closure_min: int = 60) -> pd.Timestamp:
    """When trading and plan changes for the slot starting at ``slot_start`` stop (tz-aware)."""
    return require_aware(slot_start, "slot_start") - pd.Timedelta(minutes=gate_closure_min)


def open_slots(index: pd.DatetimeIndex, now: dt.datetime | pd.Timestamp, gate_closure_min: int = 60) -> np.ndarray:
    """True for the slots whose gate closure is still after ``now`` (tz-aware): those may be traded and re-planned."""
    starts = require_aware_index(index, "index")
    return np.asarray(starts - pd.Timedelta(minutes=gate_closure_min) > require_aware(now, "now"))


def lock_closed_slots(
    submitted: np.ndarray,
    replanned: np.ndarray,
    index: pd.DatetimeIndex,
    now: dt.datetime | pd.Timestamp,
    gate_closure_min: int = 60,
) -> np.ndarray:
    """A re-plan's schedule with every slot past gate closure set back to the submitted plan (same unit)."""
    if len(submitted) != len(index) or len(replanned) != len(index):
        raise ValueError("submitted/replanned: one value per slot of index is needed")
    return np.where(open_slots(index, now, gate_closure_min), replanned, submitted)


def signed_round(kwh: np.ndarray, unit_kwh: float) -> np.ndarray:
    """Signed energies (kWh) rounded to the nearest multiple of ``unit_kwh`` (by magnitude)."""
    values = np.asarray(kwh, dtype=float)
    return np.asarray(np.sign(values) * round_to_unit(np.abs(values), unit_kwh), dtype=float)


def _trade_cost(q: np.ndarray, buy: np.ndarray, sell: np.ndarray) -> np.ndarray:
    return np.asarray(np.where(q > 0, q * buy, q * sell), dtype=float)


def intraday_trades(
    index: pd.DatetimeIndex,
    now: dt.datetime | pd.Timestamp,
    position_kwh: np.ndarray,
    need_scenarios_kwh: Sequence[np.ndarray],
    weights: Sequence[float],
    intraday: pd.DataFrame,
    imbalance: pd.DataFrame,
    *,
    unit_kwh: float = 50.0,
    gate_closure_min: int = 60,
    adverse: bool = False,
) -> pd.DataFrame:
    """The intraday trade of each slot (see the module docstring).

    position_kwh: the group's net purchase so far (spot fill + earlier trades, kWh per slot); need_scenarios_kwh:
    the net need per slot (kWh) in each scenario, with probabilities ``weights``; intraday: the slots' intraday
    results (columns average/high/low_jpy_per_kwh); imbalance: ``imbalance_prices`` (short/surplus_jpy_per_kwh).
    Returns per slot: open, buy_price, sell_price, trade_kwh, trade_cost_jpy, expected_imbalance_no_trade_jpy,
    expected_imbalance_jpy (after the trade), expected_total_jpy (trade + imbalance)."""
    position = np.asarray(position_kwh, dtype=float)
    day = intraday.reindex(index)
    buy = day["high_jpy_per_kwh" if adverse else "average_jpy_per_kwh"].to_numpy(dtype=float)
    sell = day["low_jpy_per_kwh" if adverse else "average_jpy_per_kwh"].to_numpy(dtype=float)
    prices = imbalance.reindex(index)
    short, surplus = prices["short_jpy_per_kwh"].to_numpy(float), prices["surplus_jpy_per_kwh"].to_numpy(float)
    if np.isnan(short).any() or np.isnan(surplus).any():
        raise ValueError("imbalance: a shortage and surplus price is needed for every slot of index")
    tradeable = open_slots(index, now, gate_closure_min) & np.isfinite(buy) & np.isfinite(sell)
    candidates = [np.zeros_like(position)] + [
        signed_round(np.asarray(n) - position, unit_kwh) for n in need_scenarios_kwh
    ]
    none_cost = expected_imbalance_cost(position, need_scenarios_kwh, weights, short, surplus)
    best_q, best_total = np.zeros_like(position), none_cost.copy()
    safe_buy, safe_sell = np.nan_to_num(buy), np.nan_to_num(sell)
    for candidate in candidates[1:]:
        q = np.where(tradeable, candidate, 0.0)
        total = _trade_cost(q, safe_buy, safe_sell) + expected_imbalance_cost(
            position + q, need_scenarios_kwh, weights, short, surplus
        )
        better = (total < best_total - 1e-9) | ((np.abs(total - best_total) <= 1e-9) & (np.abs(q) < np.abs(best_q)))
        best_q = np.where(better, q, best_q)
        best_total = np.where(better, total, best_total)
    trade_cost = _trade_cost(best_q, safe_buy, safe_sell)
    return pd.DataFrame(
        {
            "open": tradeable,
            "buy_price": buy,
            "sell_price": sell,
            "trade_kwh": best_q,
            "trade_cost_jpy": trade_cost,
            "expected_imbalance_no_trade_jpy": none_cost,
            "expected_imbalance_jpy": best_total - trade_cost,
            "expected_total_jpy": best_total,
        },
        index=index,
    )
