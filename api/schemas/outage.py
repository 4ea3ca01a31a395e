"""Outage-plan schemas (kWh, hours, tz-aware times)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, Field

from api.schemas.common import Schema


class OutageRequest(BaseModel):
    """An outage to plan for: when it starts, how long, how (greedy is fast, milp is time-limited HiGHS)."""

    start: AwareDatetime = Field(description="Outage start with a timezone, e.g. 2024-09-01T12:00:00+09:00.")
    hours: float = Field(72.0, ge=4, le=72, description="Outage length in hours (4..72; cars move in 4-h blocks).")
    method: str = Field("greedy", pattern=r"^(greedy|milp)$", description="'greedy' or 'milp'.")
    pv_factor: float = Field(1.0, ge=0, le=1, description="Fraction of the clear-sky PV forecast (0.3 = overcast).")
    time_limit_s: float = Field(20.0, gt=0, le=120, description="HiGHS time limit in seconds (milp).")


class ShelterOutcome(Schema):
    """Energy served and shed at one shelter over the outage (kWh)."""

    facility_id: str
    served_kwh: float
    shed_kwh: float


class OutagePlanOut(Schema):
    """Result of an outage plan run."""

    method: str
    status: str
    objective: float
    gap: float | None
    slots: int
    served_kwh: float
    shed_kwh: float
    shelters: list[ShelterOutcome]
    notes: list[str]
