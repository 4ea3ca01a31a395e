"""Audit log, events, overrides and imbalance schemas."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from api.schemas.common import RequestBody, Schema


class AuditOut(Schema):
    """One set-point write (kW)."""

    id: int
    ts: dt.datetime
    facility_id: str
    device_id: str
    point: str
    requested: float
    applied: float | None
    source: str
    actor: str
    dry_run: bool
    ok: bool
    message: str


class EventOut(Schema):
    """An event or alarm."""

    id: int
    ts: dt.datetime
    severity: str
    kind: str
    facility_id: str | None
    message: str
    acknowledged_by: str | None


class OverrideIn(RequestBody):
    """A manual set-point: battery kW (+ = discharge) or EV charger kW (+ = charge)."""

    facility_id: str = Field(min_length=1, max_length=64, description="Facility id.")
    device_id: str = Field(min_length=1, max_length=64, description="Battery or charger id at the facility.")
    value_kw: float = Field(ge=-10_000, le=10_000, description="Set-point in kW.")
    reason: str = Field("", max_length=500, description="Why.")


class OverrideOut(Schema):
    """An override request and its status."""

    id: int
    ts: dt.datetime
    facility_id: str
    device_id: str
    point: str
    value: float
    reason: str
    requested_by: str
    status: str
    decided_by: str | None


class ImbalanceOut(Schema):
    """Plan-following result of one slot: kWh (+ = shortfall) and JPY (+ = YGE pays)."""

    slot_start: dt.datetime
    plan_id: int | None
    planned_kwh: float
    actual_kwh: float
    imbalance_kwh: float
    price_jpy_per_kwh: float
    cost_jpy: float
