"""Market-day schemas (runtime.market.view): bids, fills, the 需要調達計画 and intraday trades."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from api.schemas.common import Schema


class BidStepOut(Schema):
    """One day-ahead bid step: filled if the clearing price is at or below (buy) / above (sell) the limit."""

    slot_start: dt.datetime = Field(description="Slot start, ISO 8601 with +09:00.")
    jepx_slot: int = Field(description="JEPX slot number 1..48.")
    side: str = Field(description="'buy' or 'sell'.")
    price_jpy_per_kwh: float = Field(description="Limit price, JPY/kWh.")
    quantity_kwh: float = Field(description="Quantity, kWh (a multiple of the bid unit).")


class SlotFillOut(Schema):
    """A slot's clearing."""

    slot_start: dt.datetime
    price_jpy_per_kwh: float = Field(description="Clearing (area) price, JPY/kWh.")
    bought_kwh: float
    sold_kwh: float
    cost_jpy: float = Field(description="bought x price - sold x price, JPY (+ = paid).")


class PlanSlotOut(Schema):
    """A slot of the 需要調達計画, whole kWh."""

    jepx_slot: int
    demand_kwh: int
    plant_kwh: int
    facility_export_kwh: int
    spot_purchase_kwh: int
    bilateral_kwh: int
    intraday_purchase_kwh: int
    spot_sale_kwh: int
    intraday_sale_kwh: int
    open_kwh: int = Field(description="Procurement - sales - demand, kWh (+ = long).")


class TradeOut(Schema):
    """An intraday trade chosen by the loop (the operator's order list)."""

    slot_start: dt.datetime
    decided_at: str = Field(description="When the step chose it, ISO 8601 with +09:00.")
    trade_kwh: float = Field(description="kWh, + = buy, - = sell.")
    price_jpy_per_kwh: float = Field(description="Expected intraday price, JPY/kWh.")
    expected_total_jpy: float = Field(description="Trade cost + expected imbalance cost of the slot, JPY.")


class MarketDayOut(Schema):
    """One delivery day's market steps as written so far."""

    delivery_day: dt.date
    balancing_group: str
    bid: list[BidStepOut]
    fill: list[SlotFillOut]
    plan: list[PlanSlotOut]
    intraday: list[TradeOut]
