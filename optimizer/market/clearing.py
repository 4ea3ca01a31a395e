"""Clearing a day-ahead bid against the real JEPX price of each slot (blind single-price auction).

A buy step is filled when the clearing price is at or below its limit, a sell step when it is at or above; a
step is filled in full or not at all (JEPX pro-rates steps exactly at the clearing price; here they fill in full,
an assumption stated in the result's ``notes``). The filled quantities are the group's spot position, the plan
continues from it: intraday trades and imbalance cover the rest (``optimizer.market.intraday``).

Units: kWh per 30-min slot, JPY/kWh, JPY; slots named by their start (Asia/Tokyo).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.market.bids import DayAheadBid

__all__ = ["SpotFill", "clear_bid"]


@dataclass(frozen=True)
class SpotFill:
    """The cleared spot position of a delivery day. ``frame``: per slot start, price_jpy_per_kwh (clearing),
    bought_kwh, sold_kwh, net_kwh (bought - sold), cost_jpy (bought x price - sold x price; fees not included)."""

    frame: pd.DataFrame
    notes: tuple[str, ...]

    @property
    def net_kwh(self) -> np.ndarray:
        """Net purchase per slot, kWh (negative: a net sale)."""
        return np.asarray(self.frame["net_kwh"].to_numpy(dtype=float))

    @property
    def cost_jpy(self) -> float:
        """Money paid for the day's spot purchases minus received for its sales, JPY."""
        return float(self.frame["cost_jpy"].sum())


def clear_bid(bid: DayAheadBid, price: pd.Series) -> SpotFill:
    """Fill ``bid`` at the real clearing prices ``price`` (JPY/kWh, indexed by the delivery day's slot starts).

    ValueError naming the slot if a price is missing."""
    index = bid.index
    aligned = price.reindex(index)
    if aligned.isna().any():
        missing = index[aligned.isna().to_numpy()][0]
        raise ValueError(f"price: no clearing price for slot {missing.isoformat()} of {bid.delivery_day}")
    position = {start: t for t, start in enumerate(index)}
    clearing = aligned.to_numpy(dtype=float)
    bought, sold = np.zeros(len(index)), np.zeros(len(index))
    for step in bid.steps:
        t = position[step.slot_start]
        if step.side == "buy" and step.price_jpy_per_kwh >= clearing[t]:
            bought[t] += step.quantity_kwh
        elif step.side == "sell" and step.price_jpy_per_kwh <= clearing[t]:
            sold[t] += step.quantity_kwh
    frame = pd.DataFrame({"price_jpy_per_kwh": clearing, "bought_kwh": bought, "sold_kwh": sold}, index=index)
    frame["net_kwh"] = frame["bought_kwh"] - frame["sold_kwh"]
    frame["cost_jpy"] = frame["net_kwh"] * frame["price_jpy_per_kwh"]
    return SpotFill(frame, ("steps at exactly the clearing price fill in full (JEPX may pro-rate them)",))
