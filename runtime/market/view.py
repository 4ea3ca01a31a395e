"""What the API shows of the market day: the files of ``runtime.market.files`` as plain records (no pandas).

Units: kWh per slot, JPY/kWh, JPY; slot starts tz-aware (Asia/Tokyo).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from runtime.market.files import MarketFiles
from runtime.market.plan_values import COLUMNS, read_plan_values
from scenarios.market_ops import MarketOperations
from scenarios.timegrid import jepx_slot_number

__all__ = ["BidStepView", "MarketDayView", "PlanSlotView", "SlotFillView", "TradeView", "market_day_view"]


@dataclass(frozen=True)
class BidStepView:
    """One bid step: limit JPY/kWh, quantity kWh."""

    slot_start: dt.datetime
    jepx_slot: int
    side: str
    price_jpy_per_kwh: float
    quantity_kwh: float


@dataclass(frozen=True)
class SlotFillView:
    """A slot's clearing: price JPY/kWh, bought/sold kWh, cost JPY (+ = paid)."""

    slot_start: dt.datetime
    price_jpy_per_kwh: float
    bought_kwh: float
    sold_kwh: float
    cost_jpy: float


@dataclass(frozen=True)
class PlanSlotView:
    """A slot of the 需要調達計画, whole kWh (open = procurement - sales - demand)."""

    jepx_slot: int
    demand_kwh: int
    plant_kwh: int
    facility_export_kwh: int
    spot_purchase_kwh: int
    bilateral_kwh: int
    intraday_purchase_kwh: int
    spot_sale_kwh: int
    intraday_sale_kwh: int
    open_kwh: int


@dataclass(frozen=True)
class TradeView:
    """An intraday trade chosen by a step: kWh (+ = buy) at the decision's price JPY/kWh."""

    slot_start: dt.datetime
    decided_at: str
    trade_kwh: float
    price_jpy_per_kwh: float
    expected_total_jpy: float


@dataclass(frozen=True)
class MarketDayView:
    """Everything written for one delivery day so far (empty lists for steps not run yet)."""

    delivery_day: dt.date
    balancing_group: str
    bid: list[BidStepView]
    fill: list[SlotFillView]
    plan: list[PlanSlotView]
    intraday: list[TradeView]


def _stamp(value: object) -> dt.datetime:
    return pd.Timestamp(str(value)).to_pydatetime()


def _bid(files: MarketFiles, day: dt.date, ops: MarketOperations) -> list[BidStepView]:
    if not files.path("bid", day).exists():
        return []
    bid = files.read_bid(day, ops.bid_unit_kwh)
    return [
        BidStepView(
            s.slot_start.to_pydatetime(), jepx_slot_number(s.slot_start), s.side, s.price_jpy_per_kwh, s.quantity_kwh
        )
        for s in bid.steps
    ]


def _fill(files: MarketFiles, day: dt.date) -> list[SlotFillView]:
    if not files.path("fill", day).exists():
        return []
    frame = files.read_frame("fill", day)
    return [
        SlotFillView(
            _stamp(t), float(r["price_jpy_per_kwh"]), float(r["bought_kwh"]), float(r["sold_kwh"]), float(r["cost_jpy"])
        )
        for t, r in frame.iterrows()
    ]


def _plan(files: MarketFiles, day: dt.date, ops: MarketOperations) -> list[PlanSlotView]:
    path = files.path("plan", day, ops.balancing_group_code)
    if not path.exists():
        return []
    table = read_plan_values(path)
    names = {header: name for name, header in COLUMNS.items()}
    rows = table.rename(columns=names)
    return [
        PlanSlotView(jepx_slot=int(r["コマ"]), **{name: int(r[name]) for name in COLUMNS}) for _, r in rows.iterrows()
    ]


def _trades(files: MarketFiles, day: dt.date) -> list[TradeView]:
    if not files.path("intraday", day).exists():
        return []
    frame = files.read_frame("intraday", day)
    frame = frame[frame["trade_kwh"] != 0]
    out = []
    for t, r in frame.iterrows():
        price = r["buy_price"] if r["trade_kwh"] > 0 else r["sell_price"]
        decided = str(r["decided_at"]) if "decided_at" in frame.columns else ""
        out.append(TradeView(_stamp(t), decided, float(r["trade_kwh"]), float(price), float(r["expected_total_jpy"])))
    return out


def market_day_view(files: MarketFiles, day: dt.date, ops: MarketOperations) -> MarketDayView:
    """The delivery day's bid, fill, plan and intraday trades as written so far."""
    return MarketDayView(
        day,
        ops.balancing_group_code,
        _bid(files, day, ops),
        _fill(files, day),
        _plan(files, day, ops),
        _trades(files, day),
    )
