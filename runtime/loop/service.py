"""The service state the loop steps and the API share, and the parts plugged into it.

``Service`` holds the settings, scenario, store and the pluggable parts (telemetry, forecaster, planner) plus the
loop's live state (last good values, stale devices, set-points sent, active alerts, job counters). The steps are
plain functions in their own modules (``runtime.loop.poll``, ``forecast``, ``optimise``, ``dispatch``,
``settle``), each taking the service and the current time `now` (tz-aware) so tests call them directly.
Units: kW, kWh, JPY, SoC fraction; slots are 30 min named by their start (Asia/Tokyo).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import pandas as pd

from runtime.jobs.journal import JobJournal
from runtime.jobs.pool import HeavyJobs
from runtime.reads import ReadCache
from runtime.settings import Settings
from runtime.store import plans
from runtime.store.db import Store
from runtime.store.models import Plan, PlanSlot
from runtime.store.outbox import Outbox
from scenarios.device_identity import DeviceKey, DeviceKind
from scenarios.model import Scenario
from scenarios.timegrid import utcnow


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
    """What the planner gets: horizon, forecasts (kW per facility), prices, measured SoC, overrides, and the
    measured demand the billing terms start from (runtime.loop.demand: 30-min peaks this month and over 12
    months per facility in kW, kWh metered in a partial first slot, the group's capacity-season peak in kW) and
    the V2H energy each EV charger gave in the 24 h before (kWh per 'facility/charger', runtime.loop.v2h); the
    SoC (fraction) a connected car reports at each EV charger ('facility/charger')."""

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
    peak_this_month_kw: dict[str, float] = field(default_factory=dict)
    peak_12_months_kw: dict[str, float] = field(default_factory=dict)
    metered_kwh_first_slot: dict[str, float] = field(default_factory=dict)
    capacity_peak_kw: float | None = None
    extra_reserve_kwh: dict[str, float] = field(default_factory=dict)
    v2h_kwh_24h: dict[str, float] = field(default_factory=dict)
    ev_soc_at_charger: dict[str, float] = field(default_factory=dict)


Clock = Callable[[], dt.datetime]
"""The wall clock (tz-aware) the scheduler's jobs and the API's routes read their `now` from."""
Forecaster = Callable[[Scenario, pd.DatetimeIndex], dict[str, pd.DataFrame]]
Planner = Callable[[PlanRequest], plans.PlanIn]


@dataclass
class Service:
    """Everything the loop and the API share: settings, scenario, store, the pluggable parts and the clock.

    The steps take `now` as an argument; only the entry points (scheduler jobs, API routes) read ``clock()``, so a
    test or a replay passes its own clock (default: ``scenarios.timegrid.utcnow``)."""

    settings: Settings
    scenario: Scenario
    store: Store
    telemetry: Telemetry | None
    forecaster: Forecaster
    planner: Planner
    clock: Clock = utcnow
    http_client: httpx.Client | None = None  # injected transport for downloads (tests); None = a new client
    durations_s: dict[str, float] = field(default_factory=dict)
    runs: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    last_good: dict[tuple[str, str], tuple[dt.datetime, dict[str, float]]] = field(default_factory=dict)
    stale_devices: set[tuple[str, str]] = field(default_factory=set)
    sent: dict[tuple[str, str], float] = field(default_factory=dict)
    active_alerts: set[str] = field(default_factory=set)
    bands_cache: dict[str, Any] = field(default_factory=dict)  # learned forecast bands per kind (runtime.loop.bands)
    jobs: HeavyJobs = field(init=False)
    """Heavy requests (outage plans, what-ifs) solved in worker processes, bounded (runtime.jobs.pool)."""
    outbox: Outbox = field(init=False)
    """The storage state and what waits for storage (buffered readings, events, spooled audit records)."""
    reads: ReadCache = field(init=False)
    """Prepared bodies of the read endpoints and resolved credentials, reused until storage changes."""
    plan_memory: tuple[Plan, list[PlanSlot]] | None = None
    """The plan in force with its slots as last read, for dispatching from memory while storage fails."""

    def __post_init__(self) -> None:
        s = self.settings
        self.outbox = Outbox(s.spool_dir, s.buffer_max_rows, s.buffer_max_s)
        self.jobs = HeavyJobs(s.heavy_jobs, s.heavy_queue, journal=JobJournal(lambda: self.store))
        self.reads = ReadCache(lambda: self.store.changes, self._now, s.read_cache, s.read_cache_max_age_s)

    def _now(self) -> dt.datetime:
        """The service's clock now (`clock` may be replaced after construction, e.g. by a test)."""
        return self.clock()

    def alert_once(
        self,
        key: str,
        kind: str,
        message: str,
        severity: str = "warning",
        facility_id: str | None = None,
        ts: dt.datetime | None = None,
    ) -> None:
        """Raise an event (stamped `ts`, the step's clock) when condition `key` becomes active (not again while it
        stays active)."""
        if key not in self.active_alerts:
            self.active_alerts.add(key)
            self.outbox.event(self.store, kind, message, severity=severity, facility_id=facility_id, ts=ts)

    def clear_alert(self, key: str) -> None:
        """Condition `key` is over; the next occurrence raises a new event."""
        self.active_alerts.discard(key)

    def timed(self, job: str, started: float, ok: bool) -> None:
        """Record a job's duration (s) and outcome for /metrics."""
        self.durations_s[job] = time.perf_counter() - started
        self.runs[job] = self.runs.get(job, 0) + 1
        if not ok:
            self.failures[job] = self.failures.get(job, 0) + 1


@dataclass(frozen=True)
class LoopCounters:
    """The loop's counters for /metrics and /health: last duration (s), runs and failures per job, stale devices."""

    durations_s: dict[str, float]
    runs: dict[str, int]
    failures: dict[str, int]
    stale_devices: int


def loop_counters(svc: Service) -> LoopCounters:
    """A snapshot of the service's loop counters."""
    return LoopCounters(dict(svc.durations_s), dict(svc.runs), dict(svc.failures), len(svc.stale_devices))
