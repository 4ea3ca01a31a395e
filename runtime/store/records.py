"""Typed records the service stores as JSON columns and the API shows: a plan's inputs summary, its slack report and
fallback reasons, a forecast run's summary, an event's details; and the typed rows a step hands to the store
(plan slots, set-point audit entries).

The JSON records are frozen pydantic models read back with validation, so a stored row loads as the same record on
SQLite and PostgreSQL; every field has a default, so rows stored before a field existed still load (the field
takes its default), and unknown keys of older rows are kept (``extra="allow"``), never dropped on a round trip.
Units: kW, kWh, JPY, JPY/kWh, SoC 0..1, seconds; times tz-aware.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

from pydantic import BaseModel, ConfigDict, Field

Setpoints = dict[str, dict[str, list[float]]]
"""``{facility_id: {device_id: [kW per slot]}}``: battery + = discharge, EV charger + = charging the car."""

CostBreakdown = dict[str, float]
"""JPY by cost term of a plan's objective (``energy``, ``wheeling``, ``penalty_*``, ...; ``jepx_net_jpy`` for a
safe plan)."""


class JsonRecord(BaseModel):
    """Base of the stored JSON records: frozen, unknown keys kept."""

    model_config = ConfigDict(frozen=True, extra="allow")

    def updated(self, **changes: object) -> Self:
        """A copy with `changes` applied and validated (the record itself is frozen)."""
        return self.model_validate({**self.model_dump(), **changes})


class FallbackReason(JsonRecord):
    """A rung of the fallback chain that gave no plan, and why."""

    rung: str = Field(description="solve | lp_relaxation | last_plan_shifted | baseline | safe")
    reason: str = ""


class SlackEntry(JsonRecord):
    """One soft target a plan missed (optimizer.dayahead.slack.MissedTarget as stored)."""

    kind: str = Field(description="ev_departure | ev_trip | shelter_reserve | shelter_no_storage | contract_peak")
    subject: str = Field("", description="EV or facility id.")
    slot: dt.datetime | None = Field(None, description="First slot missed (slot start).")
    shortfall: float = Field(0.0, description="Shortfall in `unit` (kWh or kW).")
    unit: str = ""
    penalty_jpy: float = Field(0.0, description="Penalty in JPY the plan pays for it.")
    reason: str = Field("", description="The binding limit that explains it.")


class PlanInputsSummary(JsonRecord):
    """What a plan was built on and how it was made; a field the plan's kind does not use stays None or empty.

    Optimiser plans fill the sizes and solve figures; a plan from the fallback chain records its ``rung`` and, after
    a fallback, ``reason`` and ``fallback_reasons``; a shifted plan names its base; a what-if plan its overrides.
    """

    facilities: int | None = Field(None, description="Facilities in the optimiser's inputs.")
    batteries: int | None = None
    evs: int | None = None
    slots: int | None = Field(None, description="Slots of the horizon (30 min each).")
    termination: str | None = Field(None, description="HiGHS termination of the solve.")
    mip_gap: float | None = Field(None, description="Relative MIP gap at the end of the solve (fraction).")
    solve_s: float | None = Field(None, description="Solve time in seconds.")
    build_s: float | None = Field(None, description="Model build time in seconds.")
    notes: list[str] = Field(default_factory=list, description="Notes on the inputs (e.g. the JEPX proxy year used).")
    rung: str | None = Field(None, description="Rung of the fallback chain the plan came from.")
    reason: str = Field("", description="Why the rungs before gave no plan ('' if the first rung gave it).")
    fallback_reasons: list[FallbackReason] = Field(default_factory=list)
    battery_soc: dict[str, float] = Field(
        default_factory=dict, description="Measured SoC (fraction) per 'facility/battery' the plan started from."
    )
    base_plan_id: int | None = Field(None, description="A shifted plan's base plan (id).")
    base_version: int | None = Field(None, description="A shifted plan's base plan (version).")
    prices_known: bool | None = Field(None, description="A safe plan: whether JEPX prices were known.")
    unavailable_batteries: list[str] = Field(default_factory=list, description="A what-if's batteries out of service.")
    price_override: bool | None = Field(None, description="A what-if with its own price series.")
    price_area: str | None = Field(None, description="A what-if's JEPX price area, if another than the scenario's.")
    solver_kind: str | None = Field(None, description="A what-if's solver status.")


class ForecastRunSummary(JsonRecord):
    """A stored forecast run: horizon start, slot and facility counts, facilities per PV input tier, and the
    facilities whose weather was missing while the sun was up."""

    start: dt.datetime | None = None
    slots: int | None = None
    facilities: int | None = None
    pv_inputs: dict[str, int] = Field(default_factory=dict, description="{PV input tier: facility count}.")
    weather_missing: list[str] = Field(default_factory=list)


class ForecastInputs(BaseModel):
    """What one facility's forecast was built on, as a forecaster records it in the frame's ``attrs`` (stored per
    facility in forecast_inputs). A forecaster that records nothing gets the defaults (tier 'unknown')."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    pv_input: str = Field("unknown", description="ghi_dni_dhi | ghi | cloud_cover | clear_sky | none (no PV).")
    weather_missing: bool = Field(False, description="Weather values missing while the sun was up.")
    weather_source: str = Field("", description="provider[:station] of the weather used; '' = none.")
    yield_corrected: bool = Field(False, description="PV scaled by a measured-yield correction.")
    yield_scale: float = Field(1.0, description="Facility PV scale (kWp-weighted mean of the arrays'), 1 = none.")
    yield_scales: dict[str, float] = Field(default_factory=dict, description="{array id: scale}.")
    load_from_telemetry: bool = Field(False, description="Load learned from stored telemetry.")
    station_km: float | None = Field(
        None, description="km from the weather's recorded position to the facility; None = no weather or no position."
    )

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, object]) -> ForecastInputs:
        """The record of a forecast frame's ``attrs`` (other keys ignored)."""
        return cls.model_validate({k: v for k, v in attrs.items() if k in cls.model_fields})


class EventDetails(JsonRecord):
    """What an event refers to (each field only where it applies; other keys are kept as given)."""

    device: str | None = Field(None, description="Device id at the event's facility.")
    quality: str | None = Field(None, description="Reading quality that raised the event.")
    plan_id: int | None = Field(None, description="The plan the event is about.")


@dataclass(frozen=True)
class PlanSlotIn:
    """One slot of a plan to store: the balancing group's procurement in kW (slot averages) and the price."""

    slot_start: dt.datetime
    plant_kw: float = 0.0
    jepx_buy_kw: float = 0.0
    jepx_sell_kw: float = 0.0
    pv_kw: float = 0.0
    battery_kw: float = 0.0
    interchange_kw: float = 0.0
    load_kw: float = 0.0
    price_jpy_per_kwh: float = 0.0


@dataclass(frozen=True)
class SetpointAuditIn:
    """One set-point write (or dry run) to record: requested and applied kW, where it came from, the outcome."""

    facility_id: str
    device_id: str
    point: str
    requested: float
    applied: float | None
    source: str
    actor: str = "loop"
    dry_run: bool = False
    ok: bool = True
    message: str = ""
