"""Shared schema pieces."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo

EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2099, 12, 31)


class Schema(BaseModel):
    """Base of response schemas: built from attributes of runtime objects."""

    model_config = ConfigDict(from_attributes=True)


class RequestBody(BaseModel):
    """Base of request bodies: strict types (``true`` is not 1 kW, ``"3"`` is not 3) and no unknown fields (a
    field the server would ignore, such as ``"until"``, is refused rather than silently dropped). Dates and
    times are parsed from their ISO 8601 strings (the fields say strict=False)."""

    model_config = ConfigDict(extra="forbid", strict=True)


def _date_in_range(value: dt.date, info: ValidationInfo) -> dt.date:
    day = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"{info.field_name}: {day} is outside {EARLIEST}..{LATEST}; give a date in that range")
    return value


Day = Annotated[dt.date, Field(strict=False), AfterValidator(_date_in_range)]
"""A calendar day (ISO 8601, e.g. 2024-07-01) within 2000-01-01..2099-12-31."""
Moment = Annotated[AwareDatetime, Field(strict=False), AfterValidator(_date_in_range)]
"""A time with its zone (ISO 8601, e.g. 2024-09-01T12:00:00+09:00) within 2000-01-01..2099-12-31."""


class Message(Schema):
    """A plain message."""

    detail: str


class Health(Schema):
    """Service health: database reachable, scenario loaded, loop counters."""

    status: str
    version: str = Field(description="Version of the installed yamaguchi-ems package (pyproject.toml).")
    database: str
    scenario: str
    facilities: int
    loop_runs: dict[str, int]
    loop_failures: dict[str, int]
    stale_devices: int
    failing: list[str] = Field(
        default_factory=list, description="Parts failing (e.g. 'storage'); non-empty means HTTP 503."
    )
    waiting: dict[str, int] = Field(
        default_factory=dict, description="Records waiting for storage: readings, events, audit (spooled)."
    )
    storage_checked_age_s: float | None = Field(
        None, description="Seconds since storage was last probed (by the loop, or by /health without a loop)."
    )
