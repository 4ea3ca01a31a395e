"""Outage plan runs kept in the database: what the map and the outage page show of a plan, and its downloads
(runtime.store.outage_files), so both survive a restart.

Per shelter: hours until the first dark slot (the outage length if never dark), its time (tz-aware), kWh served
and shed, tier 1 fully served; and, for runs stored since migration 0703 (None before), the rest of
OutagePlan.shelter_table (critical kWh, hours served, kWh from PV / battery net / EVs) with the service tiers:
tier-1 kWh served and needed and hours fully served, tier-2 kWh served and needed and hours, comfort (tier 3) kWh
served and needed and hours. Per EV move: car, from, to, depart/arrive (tz-aware), kWh delivered and used to
travel; since 0703 also the SoC on arrival (fraction), the outlet, until and empty-at. Times stored UTC (ISO 8601
in the JSON columns).
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
from runtime.store.outage_files import file_rows, render_files, run_files_kept
from scenarios.timegrid import utcnow

__all__ = [
    "TIER_FIELDS",
    "StoredMove",
    "StoredOutageRun",
    "StoredShelter",
    "get_run",
    "latest_run",
    "save_run",
    "shelter_rows",
]


TIER_FIELDS = (
    "critical_kwh",
    "hours_served",
    "pv_kwh",
    "battery_kwh",
    "ev_kwh",
    "tier1_kwh",
    "tier1_demand_kwh",
    "tier1_hours",
    "tier2_kwh",
    "tier2_demand_kwh",
    "tier2_hours",
    "comfort_kwh",
    "comfort_demand_kwh",
    "comfort_hours",
)
"""Per-shelter figures stored since migration 0703 (kWh, h; absent from older rows)."""


@dataclass(frozen=True)
class StoredShelter:
    """A shelter's outcome in a stored run (h, kWh). The fields after tier1_full are None in runs stored before
    migration 0703: critical kWh, hours with the critical load fully served, kWh from PV, battery (net discharge)
    and EVs; tier 1 served / needed kWh and hours fully served; tier 2 (the rest of the critical load) served /
    needed kWh and hours with tiers 1 and 2 fully served; comfort (tier 3) served / needed kWh and hours with
    every tier fully served (0 where the shelter states no comfort tier). Partly served slots count no hours."""

    shelter: str
    hours_until_dark: float
    dark_at: dt.datetime | None
    served_kwh: float
    shed_kwh: float
    tier1_full: bool
    critical_kwh: float | None = None
    hours_served: float | None = None
    pv_kwh: float | None = None
    battery_kwh: float | None = None
    ev_kwh: float | None = None
    tier1_kwh: float | None = None
    tier1_demand_kwh: float | None = None
    tier1_hours: float | None = None
    tier2_kwh: float | None = None
    tier2_demand_kwh: float | None = None
    tier2_hours: float | None = None
    comfort_kwh: float | None = None
    comfort_demand_kwh: float | None = None
    comfort_hours: float | None = None


@dataclass(frozen=True)
class StoredMove:
    """An EV move of a stored run (kWh; times tz-aware). Since migration 0703 also the car's SoC on arrival
    (fraction 0..1), the outlet it feeds through ('V2H', 'V2L', or 'charge' at a charge point), when it leaves
    (`until`) and when it reaches its floor there (`empty_at`, None: never); runs stored before have None."""

    car: str
    from_site: str
    to_shelter: str
    depart: dt.datetime
    arrive: dt.datetime
    delivered_kwh: float
    travel_kwh: float
    arrival_soc: float | None = None
    outlet: str | None = None
    until: dt.datetime | None = None
    empty_at: dt.datetime | None = None


@dataclass(frozen=True)
class StoredOutageRun:
    """A stored run: id, when and by whom, the outage (start tz-aware, hours), method and status, shelters, moves,
    whether its downloads are kept."""

    run_id: str
    created_at: dt.datetime
    owner: str
    start: dt.datetime
    hours: float
    method: str
    status: str
    shelters: dict[str, StoredShelter]
    moves: list[StoredMove]
    files_kept: bool = False
    """True if the run's downloads are stored (runs since migration 0703)."""


def _time(value: Any) -> dt.datetime | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    stamp: dt.datetime = pd.Timestamp(value).tz_convert("UTC").to_pydatetime()
    return stamp


def _demands(plan: OutagePlan) -> dict[str, tuple[float, float, float]]:
    """Per shelter: (tier-1, tier-2, comfort) kWh needed over the outage."""
    h, data = plan.h, plan.data
    tier1, critical, comfort = data.tier1_matrix(), data.critical_matrix(), data.comfort_matrix()
    return {
        s.id: (
            float(tier1[:, j].sum() * h),
            float((critical[:, j] - tier1[:, j]).sum() * h),
            float(comfort[:, j].sum() * h),
        )
        for j, s in enumerate(data.shelters)
    }


def shelter_rows(plan: OutagePlan) -> list[dict[str, Any]]:
    """Per shelter, as stored (JSON-ready; dark_at ISO 8601 or None): OutagePlan.shelter_table's values and the
    kWh each tier needs (`tier1_demand_kwh`, `tier2_demand_kwh`, `comfort_demand_kwh`)."""
    table, demands = plan.shelter_table(), _demands(plan)
    rows = []
    for shelter, row in table.iterrows():
        tier1, tier2, comfort = demands[str(shelter)]
        figures = {k: float(row[k]) for k in TIER_FIELDS if k in row.index}
        rows.append(
            {
                "shelter": str(shelter),
                "hours_until_dark": float(row["hours_until_dark"]),
                "dark_at": None if row["dark_at"] is None or pd.isna(row["dark_at"]) else str(row["dark_at"]),
                "served_kwh": float(row["served_kwh"]),
                "shed_kwh": float(row["shed_kwh"]),
                "tier1_full": bool(row["tier1_full"]),
                **figures,
                "tier1_demand_kwh": tier1,
                "tier2_demand_kwh": tier2,
                "comfort_demand_kwh": comfort,
            }
        )
    return rows


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
            "arrival_soc": float(m.arrival_soc),
            "outlet": m.outlet,
            "until": None if m.until is None else pd.Timestamp(m.until).isoformat(),
            "empty_at": None if m.empty_at is None else pd.Timestamp(m.empty_at).isoformat(),
        }
        for m in plan.moves
    ]


def _move(m: dict[str, Any]) -> StoredMove:
    """A stored itinerary row (arrival SoC, outlet, until and empty-at None where the row predates them)."""
    soc = m.get("arrival_soc")
    return StoredMove(
        m["car"],
        m["from"],
        m["to"],
        pd.Timestamp(m["depart"]).to_pydatetime(),
        pd.Timestamp(m["arrive"]).to_pydatetime(),
        float(m["delivered_kwh"]),
        float(m["travel_kwh"]),
        None if soc is None else float(soc),
        m.get("outlet"),
        _time(m.get("until")),
        _time(m.get("empty_at")),
    )


def save_run(
    store: Store, run_id: str, plan: OutagePlan, owner: str = "", created_at: dt.datetime | None = None
) -> None:
    """Keep what the pages show of `plan` under `run_id`, with its downloads (one transaction)."""
    row = OutageRun(
        run_id=run_id,
        created_at=created_at or utcnow(),
        owner=owner,
        start=pd.Timestamp(plan.data.start).tz_convert("UTC").to_pydatetime(),
        hours=float(plan.data.n_slots * plan.h),
        method=plan.method,
        status=str(plan.status),
        shelters=shelter_rows(plan),
        itinerary=_move_rows(plan),
    )
    files = file_rows(run_id, render_files(plan))
    with store.session() as session:
        session.add(row)
        session.flush()  # the run before its files (foreign key)
        session.add_all(files)


def _shelter(s: dict[str, Any]) -> StoredShelter:
    """A stored shelter row (the figures of TIER_FIELDS None where the row predates them)."""
    figures = {k: None if s.get(k) is None else float(s[k]) for k in TIER_FIELDS}
    return StoredShelter(
        s["shelter"],
        float(s["hours_until_dark"]),
        _time(s["dark_at"]),
        float(s["served_kwh"]),
        float(s["shed_kwh"]),
        bool(s["tier1_full"]),
        **figures,
    )


def _stored(row: OutageRun, files_kept: bool) -> StoredOutageRun:
    shelters = {s["shelter"]: _shelter(s) for s in row.shelters}
    moves = [_move(m) for m in row.itinerary]
    return StoredOutageRun(
        row.run_id, row.created_at, row.owner, row.start, row.hours, row.method, row.status, shelters, moves, files_kept
    )


def latest_run(store: Store) -> StoredOutageRun | None:
    """The newest stored run (by created_at, ties by the greater run_id, as the retention orders them), None before
    the first."""
    newest = select(OutageRun).order_by(OutageRun.created_at.desc(), OutageRun.run_id.desc()).limit(1)
    with store.session() as session:
        row = session.scalars(newest).first()
        return None if row is None else _stored(row, run_files_kept(session, row.run_id))


def get_run(store: Store, run_id: str) -> StoredOutageRun | None:
    """The stored run `run_id`, None if unknown."""
    with store.session() as session:
        row = session.get(OutageRun, run_id)
        return None if row is None else _stored(row, run_files_kept(session, row.run_id))
