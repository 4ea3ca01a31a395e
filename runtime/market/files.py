"""The market day's files, one set per delivery day in one folder (``EMS_MARKET_DIR``), and their readers: the
loop's market jobs hand their results to each other through these (a restart resumes from them) and the API
reads them.

Layout, timestamps ISO 8601 with +09:00 (slot starts, JST): ``price_forecast_<day>.csv`` (p10/p50/p90 JPY/kWh),
``bid_<day>.csv`` (slot_start, jepx_slot, side, price_jpy_per_kwh limit, quantity_kwh), ``fill_<day>.csv``
(slot_start, price_jpy_per_kwh, bought_kwh, sold_kwh, net_kwh, cost_jpy; + = paid), ``intraday_<day>.csv``
(per slot the trade chosen at each step: decided_at, trade_kwh + = buy, prices, expected costs JPY) and the
需要調達計画 (``runtime.market.plan_values``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.market.bids import BidStep, DayAheadBid
from optimizer.market.clearing import SpotFill
from runtime.market.plan_values import plan_file_name
from scenarios.timegrid import TZ

__all__ = ["MarketFiles"]


def _iso_index(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.index = pd.Index([pd.Timestamp(t).isoformat() for t in out.index], name="slot_start")
    return out


def _read_indexed(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, index_col="slot_start")
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.index, utc=True)).tz_convert(TZ)
    return frame


@dataclass(frozen=True)
class MarketFiles:
    """The folder of the market files (see the module docstring)."""

    root: Path

    def path(self, kind: str, day: dt.date, balancing_group: str = "") -> Path:
        """Path of one file: kind 'forecast', 'bid', 'fill', 'intraday' or 'plan' (needs the balancing group)."""
        if kind == "plan":
            return self.root / plan_file_name(balancing_group, day)
        names = {"forecast": "price_forecast", "bid": "bid", "fill": "fill", "intraday": "intraday"}
        if kind not in names:
            raise ValueError(f"kind: '{kind}' is not a market file; use one of {[*names, 'plan']}")
        return self.root / f"{names[kind]}_{day.isoformat()}.csv"

    def days(self) -> list[dt.date]:
        """Delivery days with a bid file, oldest first."""
        found = [p.stem.removeprefix("bid_") for p in self.root.glob("bid_*.csv")]
        return sorted(dt.date.fromisoformat(d) for d in found)

    def write_frame(self, kind: str, day: dt.date, frame: pd.DataFrame) -> Path:
        """Write a slot-indexed frame (forecast, fill, intraday)."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.path(kind, day)
        _iso_index(frame).to_csv(path, float_format="%.3f")
        return path

    def read_frame(self, kind: str, day: dt.date) -> pd.DataFrame:
        """A slot-indexed file back (index tz-aware, Asia/Tokyo). FileNotFoundError if not written."""
        return _read_indexed(self.path(kind, day))

    def write_bid(self, bid: DayAheadBid) -> Path:
        """Write the bid's steps."""
        self.root.mkdir(parents=True, exist_ok=True)
        frame = bid.frame()
        frame["slot_start"] = [pd.Timestamp(t).isoformat() for t in frame["slot_start"]]
        path = self.path("bid", bid.delivery_day)
        frame.to_csv(path, index=False)
        return path

    def read_bid(self, day: dt.date, unit_kwh: float) -> DayAheadBid:
        """The bid of ``day`` back (steps in file order)."""
        frame = pd.read_csv(self.path("bid", day))
        starts = pd.DatetimeIndex(pd.to_datetime(frame["slot_start"], utc=True)).tz_convert(TZ)
        bad = sorted(set(frame["side"]) - {"buy", "sell"})
        if bad:
            raise ValueError(f"{self.path('bid', day)}: side must be 'buy' or 'sell', not {bad}")
        steps = tuple(
            BidStep(start, side, float(price), float(qty))
            for start, side, price, qty in zip(
                starts, frame["side"], frame["price_jpy_per_kwh"], frame["quantity_kwh"], strict=True
            )
        )
        return DayAheadBid(day, steps, unit_kwh)

    def read_fill(self, day: dt.date) -> SpotFill:
        """The cleared position of ``day`` back."""
        return SpotFill(self.read_frame("fill", day), ("read from the market folder",))

    def traded_kwh(self, day: dt.date, index: pd.DatetimeIndex) -> np.ndarray:
        """Intraday trades recorded so far per slot (kWh, + = bought; 0 without a file)."""
        path = self.path("intraday", day)
        if not path.exists():
            return np.zeros(len(index))
        frame = _read_indexed(path)
        return np.asarray(frame.groupby(level=0)["trade_kwh"].sum().reindex(index).fillna(0.0).to_numpy())

    def append_intraday(self, day: dt.date, trades: pd.DataFrame, decided_at: pd.Timestamp) -> Path:
        """Append one intraday step's non-zero trades (with the time they were decided)."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.path("intraday", day)
        rows = trades[trades["trade_kwh"] != 0].assign(decided_at=decided_at.isoformat())
        _iso_index(rows).to_csv(path, mode="a", header=not path.exists(), float_format="%.3f")
        return path
