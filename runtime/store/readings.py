"""Readings: batched inserts in long format, latest values, 30-minute aggregates and retention.

Timestamps are tz-aware (stored UTC); values carry the unit in the point name (``p_kw``, ``soc``, ``e_kwh``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypedDict

import pandas as pd
from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from runtime.store.db import Store
from runtime.store.models import Aggregate, LatestValue, Reading
from scenarios.timegrid import SLOT_FREQ, floor_to_slot

BATCH = 2000
SUBSTITUTED = "substituted"  # quality of a last good value restated while its device does not answer


@dataclass(frozen=True)
class ReadingIn:
    """One measurement to store; `ts` must be tz-aware."""

    ts: dt.datetime
    facility_id: str
    device_id: str
    point: str
    value: float
    quality: str = "good"


class ReadingRow(TypedDict):
    """A readings/latest_values row as handed to SQLAlchemy's executemany."""

    ts: dt.datetime
    facility_id: str
    device_id: str
    point: str
    value: float
    quality: str


def _rows(readings: Iterable[ReadingIn]) -> list[ReadingRow]:
    rows: list[ReadingRow] = []
    for r in readings:
        if r.ts.tzinfo is None:
            raise ValueError(f"reading {r.facility_id}/{r.device_id}/{r.point}: ts has no timezone")
        rows.append(
            ReadingRow(
                ts=r.ts,
                facility_id=r.facility_id,
                device_id=r.device_id,
                point=r.point,
                value=float(r.value),
                quality=r.quality,
            )
        )
    return rows


def _upsert_latest(session: Session, rows: list[ReadingRow]) -> None:
    """Keep the newest value per point. A 'substituted' row restates the last good value: it marks the
    latest value substituted but keeps its time, so the live status shows the true age of the data."""
    newest: dict[tuple[str, str, str], ReadingRow] = {}
    for row in rows:
        key = (row["facility_id"], row["device_id"], row["point"])
        if key not in newest or row["ts"] >= newest[key]["ts"]:
            newest[key] = row
    measured = [r for r in newest.values() if r["quality"] != SUBSTITUTED]
    restated = [r for r in newest.values() if r["quality"] == SUBSTITUTED]
    dialect = session.get_bind().dialect.name
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for chunk, columns in ((measured, ("ts", "value", "quality")), (restated, ("quality",))):
        if not chunk:
            continue
        stmt = builder(LatestValue).values(chunk)
        excluded = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=["facility_id", "device_id", "point"],
            set_={c: getattr(excluded, c) for c in columns},
            where=LatestValue.ts <= excluded.ts,
        )
        session.execute(stmt)


def write_readings(store: Store, readings: Iterable[ReadingIn], batch: int = BATCH) -> int:
    """Insert readings in batches (one executemany per batch) and update latest values; returns the count."""
    rows = _rows(readings)
    with store.session() as session:
        for i in range(0, len(rows), batch):
            chunk = rows[i : i + batch]
            session.execute(insert(Reading), chunk)
            _upsert_latest(session, chunk)
    return len(rows)


def write_buffered_readings(store: Store, readings: Sequence[ReadingIn]) -> int:
    """Write readings buffered while storage failed, skipping those stored already (same facility, device,
    point and time: a write whose commit succeeded although the client saw an error, then retried); one
    transaction. Returns the rows added."""
    if not readings:
        return 0
    rows = _rows(readings)
    start, end = min(r["ts"] for r in rows), max(r["ts"] for r in rows)
    stmt = select(Reading.facility_id, Reading.device_id, Reading.point, Reading.ts).where(
        Reading.ts >= start, Reading.ts <= end
    )
    with store.session() as session:
        held = {(f, d, p, pd.Timestamp(t).tz_convert("UTC")) for f, d, p, t in session.execute(stmt)}
        new = [
            r
            for r in rows
            if (r["facility_id"], r["device_id"], r["point"], pd.Timestamp(r["ts"]).tz_convert("UTC")) not in held
        ]
        for i in range(0, len(new), BATCH):
            chunk = new[i : i + BATCH]
            session.execute(insert(Reading), chunk)
            _upsert_latest(session, chunk)
    return len(new)


@dataclass(frozen=True)
class LatestPoint:
    """The newest value of one device point (ts tz-aware UTC)."""

    facility_id: str
    device_id: str
    point: str
    ts: dt.datetime
    value: float
    quality: str


def latest_values(store: Store, facility_id: str | None = None) -> list[LatestPoint]:
    """Newest value of every point (optionally of one facility), ordered by facility, device, point.

    Read as plain rows (no ORM identity map): this backs every live-status request."""
    lv = LatestValue
    stmt = select(lv.facility_id, lv.device_id, lv.point, lv.ts, lv.value, lv.quality).order_by(
        lv.facility_id, lv.device_id, lv.point
    )
    if facility_id is not None:
        stmt = stmt.where(lv.facility_id == facility_id)
    with store.engine.connect() as conn:
        return [LatestPoint(*row) for row in conn.execute(stmt)]


def readings_between(
    store: Store,
    start: dt.datetime,
    end: dt.datetime,
    facility_id: str | None = None,
    device_id: str | None = None,
    point: str | None = None,
) -> list[Reading]:
    """Raw readings in [start, end), oldest first, optionally filtered."""
    stmt: Select[Reading] = select(Reading).where(Reading.ts >= start, Reading.ts < end)
    for column, value in ((Reading.facility_id, facility_id), (Reading.device_id, device_id), (Reading.point, point)):
        if value is not None:
            stmt = stmt.where(column == value)
    with store.session() as session:
        return list(session.scalars(stmt.order_by(Reading.ts, Reading.id)))


def count_readings(store: Store) -> int:
    """Number of raw readings stored."""
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(Reading)) or 0)


def aggregate_slots(store: Store, start: dt.datetime, end: dt.datetime) -> int:
    """(Re)compute 30-min aggregates of readings in [start, end); returns the number of aggregate rows."""
    rows = readings_between(store, start, end)
    if not rows:
        return 0
    frame = pd.DataFrame(
        [
            {"ts": r.ts, "facility_id": r.facility_id, "device_id": r.device_id, "point": r.point, "value": r.value}
            for r in rows
        ]
    )
    frame["slot_start"] = pd.to_datetime(frame["ts"], utc=True).dt.floor(SLOT_FREQ)
    grouped = frame.groupby(["slot_start", "facility_id", "device_id", "point"])["value"]
    stats = grouped.agg(["mean", "min", "max", "count"]).reset_index()
    out = [
        {
            "slot_start": s.slot_start.to_pydatetime(),
            "facility_id": s.facility_id,
            "device_id": s.device_id,
            "point": s.point,
            "mean": float(s["mean"]),
            "minimum": float(s["min"]),
            "maximum": float(s["max"]),
            "count": int(s["count"]),
        }
        for _, s in stats.iterrows()
    ]
    with store.session() as session:
        for row in out:
            session.execute(
                delete(Aggregate).where(
                    Aggregate.slot_start == row["slot_start"],
                    Aggregate.facility_id == row["facility_id"],
                    Aggregate.device_id == row["device_id"],
                    Aggregate.point == row["point"],
                )
            )
        session.execute(insert(Aggregate), out)
    return len(out)


def aggregates_between(
    store: Store, start: dt.datetime, end: dt.datetime, facility_id: str | None = None, point: str | None = None
) -> Sequence[Aggregate]:
    """Aggregates with slot_start in [start, end)."""
    stmt = select(Aggregate).where(Aggregate.slot_start >= start, Aggregate.slot_start < end)
    if facility_id is not None:
        stmt = stmt.where(Aggregate.facility_id == facility_id)
    if point is not None:
        stmt = stmt.where(Aggregate.point == point)
    with store.session() as session:
        return list(session.scalars(stmt.order_by(Aggregate.slot_start)))


def apply_retention(store: Store, now: dt.datetime, days: int) -> int:
    """Aggregate, then delete raw readings older than `days` before `now`; returns rows deleted."""
    cutoff = floor_to_slot(now) - pd.Timedelta(days=days)
    with store.session() as session:
        oldest = session.scalar(select(func.min(Reading.ts)).where(Reading.ts < cutoff))
    if oldest is None:
        return 0
    aggregate_slots(store, floor_to_slot(oldest).to_pydatetime(), cutoff.to_pydatetime())
    with store.session() as session:
        result = session.execute(delete(Reading).where(Reading.ts < cutoff.to_pydatetime()))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
