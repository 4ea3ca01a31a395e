# mypy: allow-untyped-defs, allow-incomplete-defs
"""Hand-written market files for the dashboard's tests (tiny scenario, TEST_NOW = 2024-06-10 12:10 JST): the
delivery day 2024-06-10 with a bid, three intraday trades (two buys, one sale) and its 需要調達計画, and the day
2024-06-11 with a bid only (its plan not written yet). TRADES and PLAN hold what the supply page must show."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.market.bids import BidStep, DayAheadBid
from runtime.market.files import MarketFiles
from runtime.market.plan_values import COLUMNS, PlanValues, write_plan_values
from scenarios.market_ops import MarketOperations
from scenarios.timegrid import TZ, day_slots

DAY = dt.date(2024, 6, 10)
NEXT = dt.date(2024, 6, 11)
TRADES = (  # slot start JST, kWh (+ = buy), buy price, sell price JPY/kWh, expected total JPY
    ("2024-06-10T15:00+09:00", 50.0, 11.5, 10.5, 575.0),
    ("2024-06-10T15:30+09:00", 100.0, 12.25, 11.0, 1225.0),
    ("2024-06-10T18:00+09:00", -50.0, 14.0, 13.5, -675.0),
)
DECIDED_AT = pd.Timestamp("2024-06-10T11:30+09:00")
BOUGHT_KWH, SOLD_KWH = 150.0, 50.0


def plan_frame() -> pd.DataFrame:
    """48 slots of 2024-06-10 in whole kWh: demand 20 + slot % 3, plant 10, spot 8, the trades above."""
    index = day_slots(DAY)
    k = np.arange(48)
    intraday = np.zeros(48, dtype=np.int64)
    for start, kwh, *_ in TRADES:
        intraday[index.get_loc(pd.Timestamp(start).tz_convert(TZ))] += int(kwh)
    energy = {
        "demand_kwh": 20 + k % 3,
        "plant_kwh": np.full(48, 10),
        "facility_export_kwh": np.zeros(48, dtype=np.int64),
        "spot_purchase_kwh": np.full(48, 8),
        "bilateral_kwh": np.zeros(48, dtype=np.int64),
        "intraday_purchase_kwh": np.maximum(intraday, 0),
        "spot_sale_kwh": np.zeros(48, dtype=np.int64),
        "intraday_sale_kwh": np.maximum(-intraday, 0),
    }
    energy["open_kwh"] = (
        energy["plant_kwh"]
        + energy["spot_purchase_kwh"]
        + energy["intraday_purchase_kwh"]
        - energy["intraday_sale_kwh"]
        - energy["demand_kwh"]
    )
    frame = pd.DataFrame({name: energy[name] for name in COLUMNS}, index=index.rename("slot_start"))
    frame.insert(0, "jepx_slot", k + 1)
    return frame


def _bid(day: dt.date, ops: MarketOperations) -> DayAheadBid:
    steps = tuple(BidStep(t, "buy", 30.0, ops.bid_unit_kwh) for t in day_slots(day))
    return DayAheadBid(day, steps, ops.bid_unit_kwh)


def write(folder: Path, ops: MarketOperations) -> Path:
    """Write both days into `folder`; returns the plan file of 2024-06-10."""
    files = MarketFiles(folder)
    files.write_bid(_bid(DAY, ops))
    files.write_bid(_bid(NEXT, ops))
    trades = pd.DataFrame(
        [t[1:] for t in TRADES],
        index=pd.DatetimeIndex([pd.Timestamp(t[0]) for t in TRADES]),
        columns=["trade_kwh", "buy_price", "sell_price", "expected_total_jpy"],
    )
    files.append_intraday(DAY, trades, DECIDED_AT)
    created = pd.Timestamp("2024-06-09T12:00+09:00")
    return write_plan_values(PlanValues(DAY, ops.balancing_group_code, plan_frame(), created), folder)
