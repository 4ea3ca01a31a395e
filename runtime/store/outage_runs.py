"""Outage plan runs kept in the database: what the map and the outage page need of a plan after a restart (the
full plan, for the CSV/JSON downloads, stays in the API's in-memory run store).

Per shelter: hours until the first dark slot (the outage length if never dark), its time (tz-aware), kWh served
and shed, tier 1 fully served; per EV move: car, from, to, depart/arrive (tz-aware), kWh delivered and used to
travel. Times stored UTC (ISO 8601 in the JSON columns).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select

from optimizer.outage.result import OutagePlan
from runtime.store.db import Store
from runtime.store.models import OutageRun
from scenarios.timegrid import utcnow

__all__ = ["StoredMove", "StoredOutageRun", "StoredShelter", "get_run", "latest_run", "save_run"]


@dataclass(frozen=True)
class StoredShelter:
    """A shelter's outcome in a stored run (h, kWh)."""

    shelter: str
    hours_until_dark: float
    dark_at: dt.datetime | None
    served_kwh: float
    shed_kwh: float
    tier1_full: bool


@dataclass(frozen=True)
class StoredMove:
    """An EV move of a stored run (kWh; times tz-aware)."""

    car: str
    from_site: str
    to_shelter: str
    depart: dt.datetime
    arrive: dt.datetime
    delivered_kwh: float
    travel_kwh: float


@dataclass(frozen=True)
class StoredOutageRun:
    """A stored run: id, when and by whom, the outage (start tz-aware, hours), method and status, shelters, moves."""

    run_id: str
    created_at: dt.datetime
    owner: str
    start: dt.datetime
    hours: float
    method: str
    status: str
    shelters: dict[str, StoredShelter]
    moves: list[StoredMove]


def _time(value: Any) -> dt.datetime | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    stamp: dt.datetime = pd.Timestamp(value).tz_convert("UTC").to_pydatetime()
    return stamp


def _shelter_rows(plan: OutagePlan) -> list[dict[str, Any]]:
    table = plan.shelter_table()
    return [
        {
            "shelter": str(shelter),
            "hours_until_dark": float(row["hours_until_dark"]),
            "dark_at": None if row["dark_at"] is None or pd.isna(row["dark_at"]) else str(row["dark_at"]),
            "served_kwh": float(row["served_kwh"]),
            "shed_kwh": float(row["shed_kwh"]),
            "tier1_full": bool(row["tier1_full"]),
        }
        for shelter, row in table.iterrows()
    ]


def _move_rows(plan: OutagePlan) -> list[dict[str, Any]]:
    return [
        {
            "car": m.car,
            "from": m.from_site,
            "to": m.to_shelter,
            "depart": pd.Timestamp(m.depart).isoformat(),
            "arrive": pd.Timestamp(m.arrive).isoformat(),
            "delivered_kwh": float(m.delivered_kwh),
            "travel_kwh": float(m.travel_kwh),
        }
        for m in plan.moves
    ]


def save_run(
    store: Store, run_id: str, plan: OutagePlan, owner: str = "", created_at: dt.datetime | None = None
) -> None:
    """Keep what the pages show of `plan` under `run_id` (the id of its downloads)."""
    row = OutageRun(
        run_id=run_id,
        created_at=created_at or utcnow(),
        owner=owner,
        start=pd.Timestamp(plan.data.start).tz_convert("UTC").to_pydatetime(),
        hours=float(plan.data.n_slots * plan.h),
        method=plan.method,
        status=str(plan.status),
        shelters=_shelter_rows(plan),
        itinerary=_move_rows(plan),
    )
    with store.session() as session:
        session.add(row)


def _stored(row: OutageRun) -> StoredOutageRun:
    shelters = {
        s["shelter"]: StoredShelter(
            s["shelter"],
            float(s["hours_until_dark"]),
            _time(s["dark_at"]),
            float(s["served_kwh"]),
            float(s["shed_kwh"]),
            bool(s["tier1_full"]),
        )
        for s in row.shelters
    }
    moves = [
        StoredMove(
            m["car"],
            m["from"],
            m["to"],
            pd.Timestamp(m["depart"]).to_pydatetime(),
            pd.Timestamp(m["arrive"]).to_pydatetime(),
            float(m["delivered_kwh"]),
            float(m["travel_kwh"]),
        )
        for m in row.itinerary
    ]
    return StoredOutageRun(
        row.run_id, row.created_at, row.owner, row.start, row.hours, row.method, row.status, shelters, moves
    )


def latest_run(store: Store) -> StoredOutageRun | None:
    """The newest stored run, None before the first."""
    with store.session() as session:
        row = session.scalars(select(OutageRun).order_by(OutageRun.created_at.desc()).limit(1)).first()
        return None if row is None else _stored(row)


def get_run(store: Store, run_id: str) -> StoredOutageRun | None:
    """The stored run `run_id`, None if unknown."""
    with store.session() as session:
        row = session.get(OutageRun, run_id)
        return None if row is None else _stored(row)
