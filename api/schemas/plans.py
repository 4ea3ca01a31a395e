"""Plan schemas: kW per slot (slot start, tz-aware), JPY, JPY/kWh."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, Field

from api.schemas.common import Schema


class PlanSlotOut(Schema):
    """Procurement of the balancing group in one 30-min slot (kW averages)."""

    slot_start: dt.datetime
    plant_kw: float
    jepx_buy_kw: float
    jepx_sell_kw: float
    pv_kw: float
    battery_kw: float = Field(description="Net battery discharge (+) / charge (-) in kW.")
    interchange_kw: float
    load_kw: float
    price_jpy_per_kwh: float


class PlanSummaryOut(Schema):
    """A plan without its slots."""

    id: int
    version: int
    created_at: dt.datetime
    horizon_start: dt.datetime
    horizon_end: dt.datetime
    kind: str
    status: str
    solver_status: str
    objective_jpy: float | None
    approved_by: str | None
    approved_at: dt.datetime | None


class PlanOut(PlanSummaryOut):
    """A plan with inputs summary, cost breakdown, slack report, set-points and slots."""

    inputs_summary: dict[str, Any]
    cost_breakdown: dict[str, Any]
    slack_report: list[Any]
    setpoints: dict[str, dict[str, list[float]]]
    slots: list[PlanSlotOut]


class WhatIfRequest(BaseModel):
    """A what-if run: batteries out of service and/or a flat or per-slot price series."""

    unavailable_batteries: list[str] = Field(
        default_factory=list, max_length=200, description="Battery keys 'facility/battery' out of service."
    )
    price_jpy_per_kwh: list[Annotated[float, Field(ge=0, le=1000)]] | None = Field(
        None,
        min_length=1,
        max_length=96,
        description="Prices per slot from the current slot (JPY/kWh, 0..1000); "
        "a shorter list is extended with its last value.",
    )
    price_area: str | None = Field(
        None,
        pattern=r"^(chugoku|system)$",
        description="JEPX series to plan with instead: 'chugoku' or 'system' price.",
    )


class DecisionRequest(BaseModel):
    """Approve or reject."""

    decision: str = Field(pattern=r"^(approved|rejected)$", description="'approved' or 'rejected'.")
