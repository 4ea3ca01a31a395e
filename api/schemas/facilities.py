"""Facility and live-status schemas (kW, SoC fraction, age in seconds)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from api.schemas.common import Schema
from scenarios.device_identity import DeviceKind


class FacilityOut(Schema):
    """A facility of the scenario."""

    id: str
    name_ja: str
    name_en: str
    kind: str
    shelter: bool
    supplied: bool
    latitude: float
    longitude: float
    pv_kwp: float = Field(description="PV nameplate in kWp.")
    battery_kwh: float = Field(description="Battery capacity in kWh.")
    battery_kw: float = Field(description="Battery discharge power in kW.")
    chargers: int
    grid_contract_kw: float


class PointOut(Schema):
    """One device point's newest value."""

    device_id: str
    kind: DeviceKind | None = Field(
        description="Device kind (pv_inverter | battery | ev_charger | meter); null if the scenario no longer has "
        "the device."
    )
    point: str
    value: float
    ts: dt.datetime
    age_s: float
    quality: str


class StatusOut(Schema):
    """Live values of a facility: kW (PV + generation, battery + discharge, EV + charging, meter + import)."""

    facility_id: str
    name_ja: str
    name_en: str
    shelter: bool
    supplied: bool
    pv_kw: float | None
    battery_kw: float | None
    battery_soc: float | None = Field(description="Mean SoC fraction 0..1.")
    ev_kw: float | None
    meter_kw: float | None
    age_s: float | None = Field(description="Age in seconds of the least fresh point.")
    quality: str
    points: list[PointOut]


class CitySummaryOut(Schema):
    """City totals in kW over reporting facilities."""

    facilities: int
    reporting: int
    stale: int
    shelters: int
    pv_kw: float
    battery_kw: float
    battery_soc: float | None
    ev_kw: float
    grid_kw: float
    oldest_age_s: float | None
    plan_version: int | None
    plan_kind: str | None
    open_alarms: int
