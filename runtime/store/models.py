"""ORM models of the service database. Times are tz-aware UTC; power kW, energy kWh, money JPY."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from runtime.store.records import (
    CostBreakdown,
    EventDetails,
    ForecastRunSummary,
    PlanInputsSummary,
    Setpoints,
    SlackEntry,
)
from runtime.store.types import TypedJSON, UTCDateTime
from scenarios.timegrid import utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    """Declarative base of every table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime}


class Reading(Base):
    """One raw measurement in long format (one row per device point and time)."""

    __tablename__ = "readings"
    __table_args__ = (Index("ix_readings_device_point_ts", "device_id", "point", "ts"), Index("ix_readings_ts", "ts"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ts: Mapped[dt.datetime] = mapped_column(comment="Measurement time (UTC).")
    facility_id: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64), comment="Asset id within the facility, e.g. 'bat1'.")
    point: Mapped[str] = mapped_column(String(32), comment="Point name with unit, e.g. 'p_kw', 'soc'.")
    value: Mapped[float] = mapped_column(Float)
    quality: Mapped[str] = mapped_column(String(16), default="good", comment="good | stale | bad | substituted")


class Aggregate(Base):
    """30-minute aggregate of a device point (kept after raw readings expire)."""

    __tablename__ = "aggregates_30min"
    __table_args__ = (UniqueConstraint("slot_start", "facility_id", "device_id", "point", name="uq_aggregate_key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    slot_start: Mapped[dt.datetime] = mapped_column(index=True)
    facility_id: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64))
    point: Mapped[str] = mapped_column(String(32))
    mean: Mapped[float] = mapped_column(Float)
    minimum: Mapped[float] = mapped_column(Float)
    maximum: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)


class ForecastRun(Base):
    """One forecast run; its values are in ForecastValue."""

    __tablename__ = "forecast_runs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(64), comment="Which forecaster produced it.")
    summary: Mapped[ForecastRunSummary] = mapped_column(TypedJSON(ForecastRunSummary), default=ForecastRunSummary)


class ForecastValue(Base):
    """Forecast power in kW of one facility quantity ('pv' or 'load') for one slot."""

    __tablename__ = "forecast_values"
    __table_args__ = (Index("ix_forecast_values_run_fac", "run_id", "facility_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("forecast_runs.id", ondelete="CASCADE"))
    facility_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    slot_start: Mapped[dt.datetime] = mapped_column()
    kw: Mapped[float] = mapped_column(Float)


class ForecastInput(Base):
    """What one facility's forecast in a run was built on (issue 7: the input used is recorded with it)."""

    __tablename__ = "forecast_inputs"
    __table_args__ = (UniqueConstraint("run_id", "facility_id", name="uq_forecast_input"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("forecast_runs.id", ondelete="CASCADE"))
    facility_id: Mapped[str] = mapped_column(String(64))
    pv_input: Mapped[str] = mapped_column(
        String(16), comment="PV input tier: ghi_dni_dhi | ghi | cloud_cover | clear_sky | none (no PV)."
    )
    weather_missing: Mapped[bool] = mapped_column(Boolean, comment="Weather values missing while the sun was up.")
    weather_source: Mapped[str] = mapped_column(String(64), default="", comment="provider[:station]; '' = none.")
    yield_corrected: Mapped[bool] = mapped_column(Boolean, comment="PV scaled by a measured-yield correction.")
    yield_scale: Mapped[float] = mapped_column(Float, comment="Facility PV scale (kWp-weighted mean), 1 = none.")
    yield_scales: Mapped[dict[str, float]] = mapped_column(
        TypedJSON(dict[str, float]), default=dict, comment="{array id: scale}."
    )
    load_from_telemetry: Mapped[bool] = mapped_column(Boolean, default=False)
    station_km: Mapped[float | None] = mapped_column(
        Float,
        nullable=True,
        comment="Distance in km from the weather's recorded position to the facility; NULL = unknown/none.",
    )


class WeatherForecast(Base):
    """A fetched weather forecast (the provider's JSON as received) with its issue time, for the PV forecaster."""

    __tablename__ = "weather_forecasts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True, comment="When it was fetched (UTC).")
    provider: Mapped[str] = mapped_column(String(32), comment="e.g. open-meteo:jma_seamless.")
    latitude: Mapped[float] = mapped_column(Float, comment="Requested position, degrees N.")
    longitude: Mapped[float] = mapped_column(Float, comment="Requested position, degrees E.")
    payload: Mapped[dict[str, Any]] = mapped_column(TypedJSON(dict[str, Any]), comment="The response JSON.")


class Plan(Base):
    """A versioned plan with its inputs summary, status, cost breakdown (JPY) and slack report."""

    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer, unique=True, comment="Monotonic plan version.")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    horizon_start: Mapped[dt.datetime] = mapped_column()
    horizon_end: Mapped[dt.datetime] = mapped_column()
    kind: Mapped[str] = mapped_column(String(16), comment="optimal | shifted | safe | whatif")
    status: Mapped[str] = mapped_column(String(16), comment="proposed | approved | superseded | rejected")
    solver_status: Mapped[str] = mapped_column(String(64), default="")
    objective_jpy: Mapped[float | None] = mapped_column(Float, nullable=True)
    inputs_summary: Mapped[PlanInputsSummary] = mapped_column(TypedJSON(PlanInputsSummary), default=PlanInputsSummary)
    cost_breakdown: Mapped[CostBreakdown] = mapped_column(TypedJSON(CostBreakdown), default=dict)
    slack_report: Mapped[list[SlackEntry]] = mapped_column(TypedJSON(list[SlackEntry]), default=list)
    setpoints: Mapped[Setpoints] = mapped_column(
        TypedJSON(Setpoints), default=dict, comment="{facility: {device: [kW per slot]}}"
    )
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approved_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    decided_by: Mapped[str | None] = mapped_column(
        String(64), nullable=True, comment="Who approved or rejected the plan."
    )
    decided_at: Mapped[dt.datetime | None] = mapped_column(nullable=True, comment="When it was decided (UTC).")


class PlanSlot(Base):
    """The balancing group's procurement plan for one slot of a plan (kW averages over the slot)."""

    __tablename__ = "plan_slots"
    __table_args__ = (UniqueConstraint("plan_id", "slot_start", name="uq_plan_slot"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    slot_start: Mapped[dt.datetime] = mapped_column()
    plant_kw: Mapped[float] = mapped_column(Float, default=0.0)
    jepx_buy_kw: Mapped[float] = mapped_column(Float, default=0.0)
    jepx_sell_kw: Mapped[float] = mapped_column(Float, default=0.0)
    pv_kw: Mapped[float] = mapped_column(Float, default=0.0)
    battery_kw: Mapped[float] = mapped_column(Float, default=0.0, comment="Net discharge (+) / charge (-).")
    interchange_kw: Mapped[float] = mapped_column(Float, default=0.0)
    load_kw: Mapped[float] = mapped_column(Float, default=0.0)
    price_jpy_per_kwh: Mapped[float] = mapped_column(Float, default=0.0)


class Imbalance(Base):
    """Plan following result of one slot: planned vs metered energy of the balancing group."""

    __tablename__ = "imbalances"
    slot_start: Mapped[dt.datetime] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    planned_kwh: Mapped[float] = mapped_column(Float)
    actual_kwh: Mapped[float] = mapped_column(Float)
    imbalance_kwh: Mapped[float] = mapped_column(Float, comment="actual - planned grid draw (+ = shortfall).")
    price_jpy_per_kwh: Mapped[float] = mapped_column(Float)
    cost_jpy: Mapped[float] = mapped_column(Float, comment="Estimated imbalance settlement cost (+ = pay).")


class SetpointAudit(Base):
    """Every set-point write (or dry-run), with who/why and what was clamped."""

    __tablename__ = "setpoint_audit"
    __table_args__ = (UniqueConstraint("spool_uid", name="uq_setpoint_audit_spool_uid"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ts: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    facility_id: Mapped[str] = mapped_column(String(64), index=True)
    device_id: Mapped[str] = mapped_column(String(64))
    point: Mapped[str] = mapped_column(String(32))
    requested: Mapped[float] = mapped_column(Float)
    applied: Mapped[float | None] = mapped_column(Float, nullable=True)
    source: Mapped[str] = mapped_column(String(32), comment="plan | override | safe | shifted")
    actor: Mapped[str] = mapped_column(String(64), default="loop")
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    message: Mapped[str] = mapped_column(Text, default="")
    spool_uid: Mapped[str | None] = mapped_column(
        String(32), nullable=True, comment="Uid in the audit spool, for a row drained from it."
    )


class Event(Base):
    """An event or alarm (fallbacks, device faults, approvals)."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ts: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    severity: Mapped[str] = mapped_column(String(16), comment="info | warning | alarm")
    kind: Mapped[str] = mapped_column(String(48), index=True)
    facility_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[EventDetails] = mapped_column(TypedJSON(EventDetails), default=EventDetails)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class OverrideRequest(Base):
    """A manual set-point override: requested by a facility manager or sent by an operator."""

    __tablename__ = "override_requests"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ts: Mapped[dt.datetime] = mapped_column(default=utcnow)
    facility_id: Mapped[str] = mapped_column(String(64), index=True)
    device_id: Mapped[str] = mapped_column(String(64))
    point: Mapped[str] = mapped_column(String(32))
    value: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), comment="requested | approved | rejected | applied")
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    first_sent_at: Mapped[dt.datetime | None] = mapped_column(
        nullable=True, comment="When a dispatch first sent this override (UTC); it holds to the end of that slot."
    )


class User(Base):
    """A login: role operator | facility_manager | disaster_office; facility for managers."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(32))
    facility_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    password_ok: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default=false(),
        comment="True when the password was checked against the policy as it was set.",
    )


class ApiKey(Base):
    """An API key (only its hash is stored); prefix identifies it in logs."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    label: Mapped[str] = mapped_column(String(64), default="")
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(nullable=True, comment="Revocation time (UTC).")


class LoginSession(Base):
    """A server-side login session: only the keyed hash of its bearer token/cookie is stored; logout, a password
    change or disabling the user sets revoked_at, and the token stops working at once."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="HMAC-SHA256 of the token.")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(comment="Login time (UTC).")
    expires_at: Mapped[dt.datetime] = mapped_column(comment="End of validity (UTC).")
    revoked_at: Mapped[dt.datetime | None] = mapped_column(nullable=True, comment="Logout or revocation time (UTC).")
    address: Mapped[str] = mapped_column(String(64), default="", server_default="", comment="Client address at login.")


class JobRun(Base):
    """Last successful run of each loop job (so a restart resumes the schedule)."""

    __tablename__ = "job_runs"
    job: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_run: Mapped[dt.datetime] = mapped_column()
    last_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    message: Mapped[str] = mapped_column(Text, default="")


class LatestValue(Base):
    """The newest reading of each device point (upserted by every batch; serves live status fast)."""

    __tablename__ = "latest_values"
    facility_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    point: Mapped[str] = mapped_column(String(32), primary_key=True)
    ts: Mapped[dt.datetime] = mapped_column()
    value: Mapped[float] = mapped_column(Float)
    quality: Mapped[str] = mapped_column(String(16))


class OutageRun(Base):
    """An outage plan run (API or dashboard), kept so the map and the outage page show it after a restart: per
    shelter the hours until dark and the kWh served/shed, and the EV itinerary (see runtime.store.outage_runs)."""

    __tablename__ = "outage_runs"
    run_id: Mapped[str] = mapped_column(String(32), primary_key=True, comment="The run id of the downloads.")
    created_at: Mapped[dt.datetime] = mapped_column(index=True, comment="When the plan was made (UTC).")
    owner: Mapped[str] = mapped_column(String(64), default="", comment="Who asked for it.")
    start: Mapped[dt.datetime] = mapped_column(comment="Start of the outage (UTC).")
    hours: Mapped[float] = mapped_column(Float, comment="Length of the outage planned, h.")
    method: Mapped[str] = mapped_column(String(32), comment="Planner method (milp, greedy, ...).")
    status: Mapped[str] = mapped_column(String(32), comment="Solver status.")
    shelters: Mapped[list[dict[str, Any]]] = mapped_column(JSON, comment="Per shelter: hours until dark, kWh.")
    itinerary: Mapped[list[dict[str, Any]]] = mapped_column(JSON, comment="EV moves (OutagePlan.moves).")


class OutageRunFile(Base):
    """One download of a stored outage run (shelters.csv, itinerary.csv, cars.csv, plan.json), kept byte for byte
    (gzip) so it answers the same after a restart; runs stored before migration 0703 have none."""

    __tablename__ = "outage_run_files"
    run_id: Mapped[str] = mapped_column(
        ForeignKey("outage_runs.run_id", ondelete="CASCADE"), primary_key=True, comment="The run (outage_runs)."
    )
    name: Mapped[str] = mapped_column(String(32), primary_key=True, comment="File name, e.g. cars.csv.")
    media_type: Mapped[str] = mapped_column(String(64), comment="Content type of the download.")
    size_bytes: Mapped[int] = mapped_column(Integer, comment="Length of the download, bytes (uncompressed).")
    body_gz: Mapped[bytes] = mapped_column(LargeBinary, comment="The download's bytes, gzip-compressed.")


class HeavyJobRow(Base):
    """A heavy job (outage plan, what-if) as last known: its status survives a restart of the service."""

    __tablename__ = "heavy_jobs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, comment="Job id (URL-safe).")
    kind: Mapped[str] = mapped_column(String(16), comment="outage | whatif")
    owner: Mapped[str] = mapped_column(String(64), comment="Who submitted it.")
    status: Mapped[str] = mapped_column(
        String(24), index=True, comment="queued | running | done | failed | lost on restart"
    )
    submitted_at: Mapped[dt.datetime] = mapped_column(comment="When it was submitted (UTC).")
    finished_at: Mapped[dt.datetime | None] = mapped_column(nullable=True, comment="When it ended (UTC).")
    error: Mapped[str] = mapped_column(Text, default="", comment="Why it failed or was lost (one line).")
    run_id: Mapped[str | None] = mapped_column(
        String(32),
        nullable=True,
        default=None,
        comment="The stored outage run (outage_runs.run_id) of a finished outage job; NULL otherwise.",
    )
