"""Events/alarms, the set-point audit log, override requests, imbalances, forecasts and job runs."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import delete, func, insert, select, update

from runtime.store.db import Store
from runtime.store.models import (
    Event,
    ForecastInput,
    ForecastRun,
    ForecastValue,
    Imbalance,
    JobRun,
    OverrideRequest,
    SetpointAudit,
    WeatherForecast,
)
from runtime.store.records import EventDetails, ForecastInputs, ForecastRunSummary, SetpointAuditIn
from scenarios.timegrid import TZ, utcnow

SEVERITIES = ("info", "warning", "alarm")


def raise_event(
    store: Store,
    kind: str,
    message: str,
    severity: str = "warning",
    facility_id: str | None = None,
    details: EventDetails | None = None,
    ts: dt.datetime | None = None,
) -> Event:
    """Record an event; severity is info | warning | alarm."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity: '{severity}' is not one of {SEVERITIES}")
    with store.session() as session:
        row = Event(
            ts=ts or utcnow(),
            severity=severity,
            kind=kind,
            facility_id=facility_id,
            message=message,
            details=details or EventDetails(),
        )
        session.add(row)
        return row


def list_events(
    store: Store,
    limit: int = 100,
    facility_id: str | None = None,
    kind: str | None = None,
    since: dt.datetime | None = None,
) -> list[Event]:
    """Newest events first, optionally filtered."""
    stmt = select(Event).order_by(Event.id.desc()).limit(limit)
    if facility_id is not None:
        stmt = stmt.where(Event.facility_id == facility_id)
    if kind is not None:
        stmt = stmt.where(Event.kind == kind)
    if since is not None:
        stmt = stmt.where(Event.ts >= since)
    with store.session() as session:
        return list(session.scalars(stmt))


def count_open_alarms(store: Store) -> int:
    """Alarms not yet acknowledged."""
    stmt = select(func.count()).select_from(Event).where(Event.severity == "alarm", Event.acknowledged_by.is_(None))
    with store.session() as session:
        return int(session.scalar(stmt) or 0)


def acknowledge_event(store: Store, event_id: int, user: str) -> Event | None:
    """Mark an event acknowledged by `user`; None if there is no such event."""
    with store.session() as session:
        row = session.get(Event, event_id)
        if row is not None:
            row.acknowledged_by = user
        return row


def record_audit(store: Store, entries: Sequence[SetpointAuditIn], ts: dt.datetime | None = None) -> int:
    """Append set-point audit rows stamped `ts` (default: the wall clock now); returns the count."""
    if entries:
        stamp = ts or utcnow()
        with store.session() as session:
            session.execute(insert(SetpointAudit), [{"ts": stamp, **dataclasses.asdict(e)} for e in entries])
    return len(entries)


def record_audit_ids(store: Store, entries: Sequence[SetpointAuditIn], ts: dt.datetime) -> list[int]:
    """Append audit rows stamped `ts` (before the writes they record are made); returns their ids in order."""
    if not entries:
        return []
    stmt = insert(SetpointAudit).returning(SetpointAudit.id, sort_by_parameter_order=True)
    with store.session() as session:
        return list(session.scalars(stmt, [{"ts": ts, **dataclasses.asdict(e)} for e in entries]))


def complete_audit(store: Store, ids: Sequence[int], entries: Sequence[SetpointAuditIn]) -> None:
    """Record the outcome (applied kW, ok, message) of the writes whose audit rows `ids` were stored before."""
    if ids:
        rows = [
            {"id": i, "applied": e.applied, "ok": e.ok, "message": e.message} for i, e in zip(ids, entries, strict=True)
        ]
        with store.session() as session:
            session.execute(update(SetpointAudit), rows)


def record_stamped_audit(store: Store, records: Sequence[tuple[str, dt.datetime, SetpointAuditIn]]) -> int:
    """Append audit rows drained from the audit spool, each with its spool uid and own time; rows whose uid is
    stored already (a drain repeated after a crash) are skipped. Returns the rows added."""
    if not records:
        return 0
    uids = [uid for uid, _, _ in records]
    with store.session() as session:
        held: set[str] = set()
        for i in range(0, len(uids), 500):
            chunk = uids[i : i + 500]
            held |= set(session.scalars(select(SetpointAudit.spool_uid).where(SetpointAudit.spool_uid.in_(chunk))))
        rows = [{"ts": ts, "spool_uid": uid, **dataclasses.asdict(e)} for uid, ts, e in records if uid not in held]
        if rows:
            session.execute(insert(SetpointAudit), rows)
    return len(rows)


def list_audit(store: Store, limit: int = 200, facility_id: str | None = None) -> list[SetpointAudit]:
    """Newest audit rows first."""
    stmt = select(SetpointAudit).order_by(SetpointAudit.id.desc()).limit(limit)
    if facility_id is not None:
        stmt = stmt.where(SetpointAudit.facility_id == facility_id)
    with store.session() as session:
        return list(session.scalars(stmt))


def add_override(
    store: Store,
    facility_id: str,
    device_id: str,
    point: str,
    value: float,
    requested_by: str,
    status: str,
    reason: str = "",
) -> OverrideRequest:
    """Store an override request (status 'requested') or an operator override (status 'approved')."""
    with store.session() as session:
        row = OverrideRequest(
            ts=utcnow(),
            facility_id=facility_id,
            device_id=device_id,
            point=point,
            value=value,
            requested_by=requested_by,
            status=status,
            reason=reason,
            decided_by=requested_by if status == "approved" else None,
        )
        session.add(row)
        return row


def list_overrides(store: Store, status: str | None = None, facility_id: str | None = None) -> list[OverrideRequest]:
    """Override requests, newest first."""
    stmt = select(OverrideRequest).order_by(OverrideRequest.id.desc())
    if status is not None:
        stmt = stmt.where(OverrideRequest.status == status)
    if facility_id is not None:
        stmt = stmt.where(OverrideRequest.facility_id == facility_id)
    with store.session() as session:
        return list(session.scalars(stmt))


def decide_override(store: Store, override_id: int, status: str, user: str) -> OverrideRequest | None:
    """Set an override's status (approved | rejected | applied); None if there is none."""
    with store.session() as session:
        row = session.get(OverrideRequest, override_id)
        if row is not None:
            row.status = status
            row.decided_by = user
        return row


def mark_override_sent(store: Store, override_id: int, when: dt.datetime) -> dt.datetime | None:
    """Record `when` (tz-aware) as the override's first dispatch unless one is recorded already; returns the
    stored first-sent time (None if the override does not exist)."""
    if when.tzinfo is None:
        raise ValueError("mark_override_sent: `when` has no timezone; pass a tz-aware time")
    with store.session() as session:
        row = session.get(OverrideRequest, override_id)
        if row is None:
            return None
        if row.first_sent_at is None:
            row.first_sent_at = when
        return row.first_sent_at


def save_imbalance(
    store: Store,
    slot_start: dt.datetime,
    plan_id: int | None,
    planned_kwh: float,
    actual_kwh: float,
    price_jpy_per_kwh: float,
    cost_jpy: float,
) -> Imbalance:
    """Record (or replace) the imbalance of one slot."""
    with store.session() as session:
        session.execute(delete(Imbalance).where(Imbalance.slot_start == slot_start))
        row = Imbalance(
            slot_start=slot_start,
            plan_id=plan_id,
            planned_kwh=planned_kwh,
            actual_kwh=actual_kwh,
            imbalance_kwh=actual_kwh - planned_kwh,
            price_jpy_per_kwh=price_jpy_per_kwh,
            cost_jpy=cost_jpy,
        )
        session.add(row)
        return row


def list_imbalances(store: Store, start: dt.datetime, end: dt.datetime) -> list[Imbalance]:
    """Imbalances of slots in [start, end), in time order."""
    stmt = select(Imbalance).where(Imbalance.slot_start >= start, Imbalance.slot_start < end)
    with store.session() as session:
        return list(session.scalars(stmt.order_by(Imbalance.slot_start)))


def save_forecast(
    store: Store, source: str, frames: Mapping[str, pd.DataFrame], summary: ForecastRunSummary | None = None
) -> int:
    """Store a forecast run: `frames[facility_id]` has columns 'pv' and 'load' in kW on a slot index.

    The inputs each frame was built on (its ``attrs``, read as :class:`ForecastInputs`; tier 'unknown' if a
    forecaster does not record them) go to forecast_inputs, and the run's summary gets the facility count per PV
    input tier and the facilities whose weather was missing.
    """
    inputs = {
        fid: ForecastInputs.from_attrs({str(k): v for k, v in frame.attrs.items()}) for fid, frame in frames.items()
    }
    tiers = pd.Series([i.pv_input for i in inputs.values()], dtype=object).value_counts()
    summary = (summary or ForecastRunSummary()).updated(
        pv_inputs={str(k): int(v) for k, v in tiers.items()},
        weather_missing=sorted(f for f, i in inputs.items() if i.weather_missing),
    )
    with store.session() as session:
        run = ForecastRun(created_at=utcnow(), source=source, summary=summary)
        session.add(run)
        session.flush()
        session.add_all(
            ForecastInput(
                run_id=run.id,
                facility_id=fid,
                **i.model_copy(update={"weather_source": i.weather_source[:64]}).model_dump(),
            )
            for fid, i in inputs.items()
        )
        rows = [
            {
                "run_id": run.id,
                "facility_id": fid,
                "kind": kind,
                "slot_start": pd.Timestamp(str(ts)).to_pydatetime(),
                "kw": float(v),
            }
            for fid, frame in frames.items()
            for kind in frame.columns
            for ts, v in frame[kind].items()
        ]
        if rows:
            session.execute(insert(ForecastValue), rows)
        return int(run.id)


def latest_forecast(store: Store) -> tuple[ForecastRun | None, dict[str, pd.DataFrame]]:
    """The newest forecast run and its values as {facility_id: DataFrame(pv, load) in kW}."""
    with store.session() as session:
        run = session.scalars(select(ForecastRun).order_by(ForecastRun.id.desc()).limit(1)).first()
        if run is None:
            return None, {}
        values = list(session.scalars(select(ForecastValue).where(ForecastValue.run_id == run.id)))
    if not values:
        return run, {}
    frame = pd.DataFrame([{"f": v.facility_id, "k": v.kind, "t": v.slot_start, "kw": v.kw} for v in values])
    frame["t"] = pd.to_datetime(frame["t"], utc=True).dt.tz_convert(TZ)
    out = {
        str(fid): g.pivot_table(index="t", columns="k", values="kw").rename_axis(index="slot_start", columns=None)
        for fid, g in frame.groupby("f")
    }
    return run, out


def forecast_inputs(store: Store, run_id: int | None = None) -> dict[str, ForecastInput]:
    """What each facility's forecast of run `run_id` (default: the newest run) was built on, by facility id."""
    with store.session() as session:
        if run_id is None:
            run_id = session.scalar(select(func.max(ForecastRun.id)))
            if run_id is None:
                return {}
        rows = session.scalars(select(ForecastInput).where(ForecastInput.run_id == run_id))
        return {r.facility_id: r for r in rows}


def mark_job(store: Store, job: str, when: dt.datetime, ok: bool, message: str = "") -> None:
    """Record a job run (the schedule resumes from these after a restart)."""
    with store.session() as session:
        row = session.get(JobRun, job)
        if row is None:
            session.add(JobRun(job=job, last_run=when, last_ok=ok, message=message))
        else:
            row.last_run, row.last_ok, row.message = when, ok, message


def job_runs(store: Store) -> dict[str, JobRun]:
    """Last run of each job by name."""
    with store.session() as session:
        return {r.job: r for r in session.scalars(select(JobRun))}


def save_weather(
    store: Store, issued_at: dt.datetime, provider: str, latitude: float, longitude: float, payload: dict[str, Any]
) -> int:
    """Store a fetched weather forecast (the provider's JSON) with its issue time; returns its id."""
    with store.session() as session:
        row = WeatherForecast(
            issued_at=issued_at, provider=provider[:32], latitude=latitude, longitude=longitude, payload=payload
        )
        session.add(row)
        session.flush()
        return int(row.id)


def latest_weather(store: Store) -> WeatherForecast | None:
    """The newest stored weather forecast, or None."""
    with store.session() as session:
        return session.scalars(
            select(WeatherForecast).order_by(WeatherForecast.issued_at.desc(), WeatherForecast.id.desc()).limit(1)
        ).first()


def stored_forecasts_for_pairs(
    store: Store,
    facility_ids: Sequence[str],
    start: dt.datetime,
    end: dt.datetime,
    kind: str = "load",
    every_h: float = 3.0,
) -> pd.DataFrame:
    """Stored forecasts of ``kind`` for targets in [start, end) of the given facilities, one row per (run, facility,
    slot): ``issue`` (the run's time, UTC), ``facility_id``, ``target`` (slot start, JST), ``forecast`` (kW). At
    most one run per ``every_h`` hours is taken (the first of each block, by issue time), which keeps a month of
    30-min runs small while still covering every lead time."""
    columns = ["issue", "facility_id", "target", "forecast"]
    with store.session() as session:
        runs = session.execute(
            select(ForecastRun.id, ForecastRun.created_at)
            .where(ForecastRun.created_at >= start - dt.timedelta(days=2), ForecastRun.created_at < end)
            .order_by(ForecastRun.created_at)
        ).all()
        kept: dict[int, dt.datetime] = {}
        last_block: int | None = None
        for run_id, created in runs:
            issue = created if created.tzinfo is not None else created.replace(tzinfo=dt.UTC)
            block = int(issue.timestamp() // (every_h * 3600))
            if block != last_block:
                kept[int(run_id)], last_block = issue, block
        if not kept:
            return pd.DataFrame(columns=columns)
        rows = session.execute(
            select(ForecastValue.run_id, ForecastValue.facility_id, ForecastValue.slot_start, ForecastValue.kw).where(
                ForecastValue.run_id.in_(list(kept)),
                ForecastValue.facility_id.in_(list(facility_ids)),
                ForecastValue.kind == kind,
                ForecastValue.slot_start >= start,
                ForecastValue.slot_start < end,
            )
        ).all()
    frame = pd.DataFrame(rows, columns=["run", "facility_id", "target", "forecast"])
    frame["issue"] = pd.to_datetime(frame["run"].map(kept), utc=True)
    frame["target"] = pd.to_datetime(frame["target"], utc=True).dt.tz_convert(TZ)
    return frame[columns]
