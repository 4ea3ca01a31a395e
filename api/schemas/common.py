"""Shared schema pieces."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Schema(BaseModel):
    """Base of response schemas: built from attributes of runtime objects."""

    model_config = ConfigDict(from_attributes=True)


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
