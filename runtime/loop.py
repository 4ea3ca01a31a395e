"""The service loop as plain functions: poll → store, forecast, optimise, dispatch, settle imbalance.

Each step takes the `Service` and the current time `now` (tz-aware) so tests call them directly without
sleeping. Units: kW, kWh, JPY, SoC fraction; slots are 30 min named by their start (Asia/Tokyo).
Fallbacks: stale readings → last good values (quality 'substituted', event) and after `safe_after_s`
safe set-points (0 kW); planning runs the one chain of runtime.fallback (a failed input assembly or solve →
LP relaxation → last valid plan shifted → rule-based baseline → safe plan, with an event).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from runtime import fallback
from runtime.loop_plans import price_series
from runtime.settings import Settings
from runtime.store import journal, plans, readings
from runtime.store.db import Store
from runtime.store.models import Plan
from runtime.store.readings import ReadingIn
from scenarios.device_identity import DeviceKey, DeviceKind
from scenarios.model import Scenario
from scenarios.timegrid import TZ, default_horizon

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sample:
    """One device's values from one poll (units and signs of ``devices.capabilities``); `measured_at` None if
    never read."""

    facility_id: str
    device_id: str
    kind: DeviceKind
    values: dict[str, float | None]
    quality: str
    measured_at: dt.datetime | None

    @property
    def key(self) -> DeviceKey:
        """The device's key (facility, asset id)."""
        return DeviceKey(self.facility_id, self.device_id)


@dataclass(frozen=True)
class WriteOutcome:
    """Result of a guarded set-point write: the applied kW (None if not applied), ok flag and message."""

    applied: float | None
    ok: bool
    message: str = ""


class Telemetry(Protocol):
    """Devices as the loop sees them (real devices or simulators)."""

    async def poll(self, now: dt.datetime) -> list[Sample]:
        """Read every device once."""

    async def write(
        self, facility_id: str, device_id: str, kind: DeviceKind, value_kw: float, actor: str, dry_run: bool
    ) -> WriteOutcome:
        """Write a kW set-point through the guarded path (clamp, allow-list, dry-run, device audit)."""


@dataclass(frozen=True)
class PlanRequest:
    """What the planner gets: horizon, forecasts (kW per facility), prices, measured SoC, overrides."""

    scenario: Scenario
    index: pd.DatetimeIndex
    first_slot_fraction: float
    pv_kw: dict[str, pd.Series]
    load_kw: dict[str, pd.Series]
    price: pd.Series
    battery_soc: dict[str, float]
    unavailable_batteries: frozenset[str] = frozenset()
    settings: Settings | None = None
    notes: tuple[str, ...] = ()


Forecaster = Callable[[Scenario, pd.DatetimeIndex], dict[str, pd.DataFrame]]
Planner = Callable[[PlanRequest], plans.PlanIn]


@dataclass
class Service:
    """Everything the loop and the API share: settings, scenario, store and the pluggable parts."""

    settings: Settings
    scenario: Scenario
    store: Store
    telemetry: Telemetry | None
    forecaster: Forecaster
    planner: Planner
    durations_s: dict[str, float] = field(default_factory=dict)
    runs: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    last_good: dict[tuple[str, str], tuple[dt.datetime, dict[str, float]]] = field(default_factory=dict)
    stale_devices: set[tuple[str, str]] = field(default_factory=set)
    sent: dict[tuple[str, str], float] = field(default_factory=dict)
    active_alerts: set[str] = field(default_factory=set)

    def alert_once(
        self, key: str, kind: str, message: str, severity: str = "warning", facility_id: str | None = None
    ) -> None:
        """Raise an event when condition `key` becomes active (not again while it stays active)."""
        if key not in self.active_alerts:
            self.active_alerts.add(key)
            journal.raise_event(self.store, kind, message, severity=severity, facility_id=facility_id)

    def clear_alert(self, key: str) -> None:
        """Condition `key` is over; the next occurrence raises a new event."""
        self.active_alerts.discard(key)

    def timed(self, job: str, started: float, ok: bool) -> None:
        """Record a job's duration (s) and outcome for /metrics."""
        self.durations_s[job] = time.perf_counter() - started
        self.runs[job] = self.runs.get(job, 0) + 1
        if not ok:
            self.failures[job] = self.failures.get(job, 0) + 1


def _rows(sample: Sample, ts: dt.datetime, values: dict[str, float], quality: str) -> list[ReadingIn]:
    return [ReadingIn(ts, sample.facility_id, sample.device_id, k, v, quality) for k, v in values.items()]


def _substitute(svc: Service, sample: Sample, now: dt.datetime) -> list[ReadingIn]:
    key = (sample.facility_id, sample.device_id)
    if key not in svc.stale_devices:
        svc.stale_devices.add(key)
        journal.raise_event(
            svc.store,
            "stale_readings",
            f"{sample.key}: {sample.quality}; using last good values",
            facility_id=key[0],
            details={"device": key[1], "quality": sample.quality},
        )
    if key not in svc.last_good:
        return []
    _, values = svc.last_good[key]
    return _rows(sample, now, values, "substituted")


async def poll(svc: Service, now: dt.datetime) -> int:
    """Read every device, store good values, substitute last good ones for stale devices; returns rows stored."""
    started, rows = time.perf_counter(), []
    if svc.telemetry is None:
        return 0
    for sample in await svc.telemetry.poll(now):
        values = {k: float(v) for k, v in sample.values.items() if v is not None}
        key = (sample.facility_id, sample.device_id)
        if sample.quality == "good" and values:
            ts = sample.measured_at or now
            svc.last_good[key] = (ts, values)
            if key in svc.stale_devices:
                svc.stale_devices.discard(key)
                journal.raise_event(
                    svc.store,
                    "readings_recovered",
                    f"{sample.key} answers again",
                    severity="info",
                    facility_id=key[0],
                )
            rows.extend(_rows(sample, ts, values, "good"))
        else:
            rows.extend(_substitute(svc, sample, now))
    readings.write_readings(svc.store, rows)
    journal.mark_job(svc.store, "poll", now, True, f"{len(rows)} rows")
    svc.timed("poll", started, True)
    return len(rows)


def horizon_index(now: dt.datetime, slots: int = 96) -> tuple[pd.DatetimeIndex, float]:
    """Rolling horizon of a fixed `slots` slots from the slot containing `now` (first slot may be partial).

    The length is fixed (not "to the end of tomorrow") so that the rolling planner keeps its built model and
    only updates data at each re-plan; a shrinking horizon would change the model's shape every slot.
    """
    horizon = default_horizon(now, max_slots=slots)
    index = pd.date_range(horizon.index[0], periods=slots, freq="30min", name="slot_start")
    return index, horizon.first_slot_fraction


def forecast(svc: Service, now: dt.datetime) -> int:
    """Forecast PV and load (kW) per facility over the horizon and store the run; returns its id."""
    started = time.perf_counter()
    index, _ = horizon_index(now)
    frames = svc.forecaster(svc.scenario, index)
    run_id = journal.save_forecast(
        svc.store,
        getattr(svc.forecaster, "__name__", "forecaster"),
        frames,
        {"start": index[0].isoformat(), "slots": len(index), "facilities": len(frames)},
    )
    journal.mark_job(svc.store, "forecast", now, True, f"run {run_id}")
    svc.timed("forecast", started, True)
    return run_id


def measured_soc(svc: Service) -> dict[str, float]:
    """Latest battery SoC (fraction) per 'facility/battery' key from stored values."""
    kinds = {(f.id, b.id) for f in svc.scenario.facilities for b in f.batteries}
    return {
        f"{r.facility_id}/{r.device_id}": r.value
        for r in readings.latest_values(svc.store)
        if r.point == "soc" and (r.facility_id, r.device_id) in kinds
    }


def _forecast_series(svc: Service, now: dt.datetime, index: pd.DatetimeIndex) -> tuple[dict[str, pd.Series], ...]:
    _, frames = journal.latest_forecast(svc.store)
    if not frames or any(index[-1] not in frame.index for frame in frames.values()):
        forecast(svc, now)
        _, frames = journal.latest_forecast(svc.store)
    pv = {f: frame["pv"].reindex(index).fillna(0.0) for f, frame in frames.items() if "pv" in frame}
    load = {f: frame["load"].reindex(index).fillna(0.0) for f, frame in frames.items() if "load" in frame}
    return pv, load


def build_request(
    svc: Service,
    now: dt.datetime,
    unavailable: Sequence[str] = (),
    price: pd.Series | None = None,
    price_area: str | None = None,
) -> PlanRequest:
    """The planner's input from the latest forecast, measured SoC and prices (overrides for what-ifs)."""
    index, fraction = horizon_index(now)
    pv, load = _forecast_series(svc, now, index)
    notes: tuple[str, ...] = ()
    if price is None:
        price, note = price_series(svc.scenario, index, price_area)
        notes = (note,)
    else:
        price = price.reindex(index).ffill().bfill()
    return PlanRequest(
        svc.scenario, index, fraction, pv, load, price, measured_soc(svc), frozenset(unavailable), svc.settings, notes
    )


def optimise(svc: Service, now: dt.datetime) -> Plan:
    """Plan the rolling horizon from the latest SoC through the one fallback chain (runtime.fallback: assemble
    -> solve -> LP relaxation -> last plan shifted -> baseline -> safe). Never raises for a failed solve or
    input; returns the stored plan. The job counts as failed unless the MILP itself gave the plan."""
    started = time.perf_counter()
    row, rung = fallback.plan_for_loop(svc, now, lambda: build_request(svc, now), horizon_index(now)[0])
    ok = rung == "solve"
    journal.mark_job(svc.store, "optimise", now, ok, f"plan v{row.version} {row.kind}")
    svc.timed("optimise", started, ok)
    return row


def whatif(
    svc: Service, now: dt.datetime, unavailable: Sequence[str], price: pd.Series | None, price_area: str | None = None
) -> Plan:
    """A what-if plan with batteries unavailable and/or another price series (explicit, or another JEPX
    area's); stored as kind 'whatif'."""
    request = build_request(svc, now, unavailable, price, price_area)
    plan_in = svc.planner(request)
    plan_in.kind, plan_in.status, plan_in.created_at = "whatif", "proposed", now
    plan_in.inputs_summary = {
        **plan_in.inputs_summary,
        "unavailable_batteries": sorted(unavailable),
        "price_override": price is not None,
        "price_area": price_area,
        "notes": list(request.notes),
        "solver_kind": plan_in.solver_status,
    }
    return plans.save_plan(svc.store, plan_in)


def slot_position(plan: Plan, now: dt.datetime, svc: Service) -> int | None:
    """Index of the slot containing `now` in the plan's slots, or None if outside."""
    start = pd.Timestamp(now).tz_convert(TZ).floor("30min")
    for i, s in enumerate(plans.plan_slots(svc.store, plan.id)):
        if pd.Timestamp(s.slot_start) == start:
            return i
    return None


def summary(svc: Service) -> dict[str, Any]:
    """Loop counters for /metrics and /health."""
    return {
        "durations_s": dict(svc.durations_s),
        "runs": dict(svc.runs),
        "failures": dict(svc.failures),
        "stale_devices": len(svc.stale_devices),
    }
