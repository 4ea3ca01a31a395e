"""Plan schemas: kW per slot (slot start, tz-aware), JPY, JPY/kWh."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

from api.schemas.common import RequestBody, Schema


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


class FallbackReasonOut(Schema):
    """A rung of the fallback chain that gave no plan, and why."""

    rung: str = Field(description="solve | lp_relaxation | last_plan_shifted | baseline | safe")
    reason: str


class SlackEntryOut(Schema):
    """One soft target the plan missed, by how much, what it costs and why."""

    kind: str = Field(description="ev_departure | ev_trip | shelter_reserve | shelter_no_storage | contract_peak")
    subject: str = Field(description="EV or facility id.")
    slot: dt.datetime | None = Field(description="First slot missed (slot start).")
    shortfall: float = Field(description="Shortfall in `unit` (kWh or kW).")
    unit: str
    penalty_jpy: float = Field(description="Penalty in JPY the plan pays for it.")
    reason: str = Field(description="The binding limit that explains it.")


class PlanInputsSummaryOut(Schema):
    """What the plan was built on and how it was made; fields the plan's kind does not use are null or empty."""

    facilities: int | None = Field(description="Facilities in the optimiser's inputs.")
    batteries: int | None
    evs: int | None
    slots: int | None = Field(description="Slots of the horizon (30 min each).")
    termination: str | None = Field(description="HiGHS termination of the solve.")
    mip_gap: float | None = Field(description="Relative MIP gap at the end of the solve (fraction).")
    solve_s: float | None = Field(description="Solve time in seconds.")
    build_s: float | None = Field(description="Model build time in seconds.")
    notes: list[str] = Field(description="Notes on the inputs (e.g. the JEPX proxy year used).")
    rung: str | None = Field(description="Rung of the fallback chain the plan came from.")
    reason: str = Field(description="Why the rungs before gave no plan ('' if the first rung gave it).")
    fallback_reasons: list[FallbackReasonOut]
    battery_soc: dict[str, float] = Field(description="Measured SoC (fraction) per 'facility/battery' at the start.")
    base_plan_id: int | None = Field(description="A shifted plan's base plan (id).")
    base_version: int | None = Field(description="A shifted plan's base plan (version).")
    prices_known: bool | None = Field(description="A safe plan: whether JEPX prices were known.")
    unavailable_batteries: list[str] = Field(description="A what-if's batteries out of service.")
    price_override: bool | None = Field(description="A what-if with its own price series.")
    price_area: str | None = Field(description="A what-if's JEPX price area, if another than the scenario's.")
    solver_kind: str | None = Field(description="A what-if's solver status.")


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
    decided_by: str | None = Field(description="Who approved or rejected it ('auto' under auto_approve).")
    decided_at: dt.datetime | None = Field(description="When it was approved or rejected.")


class CostSummaryOut(Schema):
    """A plan's costs as an operator reads them (JPY): money (+ paid, - earned) by term apart from the
    soft-target penalties (not money) and the value of the energy left in storage at the end."""

    money_jpy: dict[str, float] = Field(description="Energy, wheeling, link, demand, capacity, wear, ... in JPY.")
    money_total_jpy: float
    penalties_jpy: dict[str, float] = Field(description="Soft-target penalties by target (not money), JPY.")
    penalties_total_jpy: float
    stored_energy_value_jpy: float = Field(description="Value of the energy left in storage at the end, JPY.")


class PlanOut(PlanSummaryOut):
    """A plan with inputs summary, cost breakdown (flat, by term) and its money/penalty summary, slack report,
    set-points and slots."""

    inputs_summary: PlanInputsSummaryOut
    cost_breakdown: dict[str, float] = Field(description="JPY by cost term of the plan's objective.")
    cost_summary: CostSummaryOut
    slack_report: list[SlackEntryOut]
    setpoints: dict[str, dict[str, list[float]]] = Field(
        description="{facility: {device: [kW per slot]}}: battery + = discharge, EV charger + = charging the car."
    )
    slots: list[PlanSlotOut]


class WhatIfRequest(RequestBody):
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


class DecisionRequest(RequestBody):
    """Approve or reject."""

    decision: str = Field(pattern=r"^(approved|rejected)$", description="'approved' or 'rejected'.")
