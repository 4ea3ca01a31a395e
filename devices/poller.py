"""The poller: every device of a scenario read concurrently on a fixed cadence, readings to a sink.

Fast points (meter, battery, PV and EV power, SoC) are read every cycle; slow points (energy counters,
status, ratings) every ``slow_every`` cycles, and keep the time they were read (never a later fast cycle's).
Each device is bounded by its own time-out budget, and a failing device backs off in its connection, so one
dead device never delays the others. Readings are stamped with tz-aware UTC times and a quality
(see :class:`~devices.capabilities.Quality`). Each device's driver is built by its type in the driver registry
(:mod:`devices.registry`); devices are keyed by :class:`~scenarios.device_identity.DeviceKey`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from devices.capabilities import MAIN_FIELDS, CapabilityDriver, Quality, Reading, ReadingSink, Values, utc_now
from devices.catalog import builtin_registry
from devices.codec import CodecError
from devices.inventory import DeviceSpec
from devices.modbus_client import DeviceError, ModbusConnection
from devices.registry import DeviceConfigError, DeviceType, DriverRegistry
from devices.sunspec import DiscoveryError
from scenarios.assets import Battery, EVCharger, ModbusEndpoint, PVArray
from scenarios.device_identity import DeviceKey

if TYPE_CHECKING:
    from devices.echonet_client import EchonetClient
    from devices.ocpp_central import CentralSystem

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollerConfig:
    """Cadence (s), slow-point period (cycles), retries per request, back-off (s), connect delay (s),
    plausibility limit (multiple of the asset's rating beyond which a power reading is garbage), and how
    many devices may connect and walk their SunSpec chain at once (a first cycle over 1,000 devices would
    otherwise open 1,000 connections in the same instant; waiting for a slot does not count against a
    device's time-out budget). ``echonet_bind``: the local (address, UDP port) of the ECHONET Lite socket (3610 as
    the protocol says; tests and simulators on loopback use ("127.0.0.1", 0))."""

    cadence_s: float = 2.0
    slow_every: int = 10
    retries: int = 0
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    connect_delay_s: float = 0.0
    plausible_factor: float = 5.0
    max_discoveries: int = 64
    echonet_bind: tuple[str, int] = ("0.0.0.0", 3610)  # noqa: S104 - the protocol listens on 3610


@dataclass
class DeviceState:
    """A device's registered type, its driver and its last good values."""

    spec: DeviceSpec
    type: DeviceType
    driver: CapabilityDriver
    values: Values = field(default_factory=dict)
    measured_at: dt.datetime | None = None
    discovered: bool = False
    read_at: dict[str, dt.datetime] = field(default_factory=dict)
    slow_points: set[str] = field(default_factory=set)
    full_at: dt.datetime | None = None


@dataclass(frozen=True)
class Skipped:
    """A device the poller does not poll: its spec and why its driver could not be built (names the fix)."""

    spec: DeviceSpec
    reason: str


@dataclass(frozen=True)
class PointStatus:
    """A point's last good value, when it was actually read (UTC) and its quality now: stale when older than its
    cadence allows (fast points: 2 cycles; slow points: ``slow_every`` + 1 cycles)."""

    value: float | None
    read_at: dt.datetime
    quality: Quality


def rating_kw(spec: DeviceSpec) -> float:
    """The asset's power rating in kW (for plausibility checks)."""
    a = spec.asset
    if isinstance(a, PVArray):
        return a.inverter_kw
    if isinstance(a, Battery):
        return max(a.charge_kw, a.discharge_kw)
    if isinstance(a, EVCharger):
        return max(a.power_kw, a.discharge_kw)
    f = spec.facility
    return max(f.grid_contract_kw, f.pv_kwp, f.battery_kw, 1.0) * 2


class Poller:
    """Polls ``specs`` and hands each cycle's readings to ``sink`` (a connection per host:port, shared by units).

    Drivers come from ``registry`` (default: the shipped types). A device whose driver cannot be built (no
    registered type, a misspelt or malformed vendor map, a map of another kind) is not polled: it is logged once,
    kept in ``skipped`` with the reason, and every cycle reports it as an ``error`` reading saying why, in its
    place among the others; every other device is polled as usual.
    """

    def __init__(
        self,
        specs: Sequence[DeviceSpec],
        sink: ReadingSink | None = None,
        config: PollerConfig | None = None,
        registry: DriverRegistry | None = None,
        central: CentralSystem | None = None,
    ) -> None:
        self.config = config or PollerConfig()
        self.central = central
        self.sink = sink
        self.registry = registry or builtin_registry()
        self.connections: dict[tuple[str, int], ModbusConnection] = {}
        self._echonet: EchonetClient | None = None
        self.states: dict[DeviceKey, DeviceState] = {}
        self.skipped: dict[DeviceKey, Skipped] = {}
        self.order: list[DeviceKey] = []
        for spec in specs:
            self.order.append(spec.key)
            try:
                device_type = self.registry.for_spec(spec)
                self.states[spec.key] = DeviceState(spec, device_type, device_type.driver(spec, self))
            except (DeviceConfigError, ValueError, KeyError) as exc:
                reason = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
                self.skipped[spec.key] = Skipped(spec, reason)
                logger.warning("%s not polled: %s", spec.key, reason)
        self.cycles = 0
        self._discovery_slots = asyncio.Semaphore(max(self.config.max_discoveries, 1))

    def modbus(self, endpoint: ModbusEndpoint) -> ModbusConnection:
        """The shared Modbus connection of an endpoint's host:port (the drivers' transport)."""
        ep, c = endpoint, self.config
        key = (ep.host, ep.port)
        if key not in self.connections:
            self.connections[key] = ModbusConnection(
                ep.host,
                ep.port,
                timeout_s=ep.timeout_s,
                retries=c.retries,
                backoff_base_s=c.backoff_base_s,
                backoff_max_s=c.backoff_max_s,
                connect_delay_s=c.connect_delay_s,
            )
        return self.connections[key]

    def echonet(self) -> EchonetClient:
        """The shared ECHONET Lite client (one UDP socket on ``config.echonet_bind`` for every node)."""
        if self._echonet is None:
            from devices.echonet_client import EchonetClient  # pychonet is loaded only by a poller that needs it

            c = self.config
            self._echonet = EchonetClient(
                c.echonet_bind, backoff_base_s=c.backoff_base_s, backoff_max_s=c.backoff_max_s
            )
        return self._echonet

    def ocpp(self) -> CentralSystem:
        """The OCPP 1.6J central system given to the poller (DeviceConfigError if none: such chargers are skipped)."""
        if self.central is None:
            raise DeviceConfigError("no OCPP central system runs: start the service with its central system")
        return self.central

    def driver(self, key: DeviceKey) -> CapabilityDriver:
        """The driver of one device (the guarded write path uses it)."""
        return self.states[key].driver

    def budget_s(self, spec: DeviceSpec) -> float:
        """Safety net per device and cycle (s): time-out × attempts × 8 requests + connect delay.

        The per-request time-out is the real guard: a dead device fails its first request and then backs
        off, so it costs one time-out × attempts; this budget only bounds a device that answers slowly
        but within the time-out to every one of its (discovery) requests.
        """
        return spec.endpoint.timeout_s * (self.config.retries + 1) * 8 + self.config.connect_delay_s

    def _implausible(self, spec: DeviceSpec, values: Values) -> str | None:
        limit = rating_kw(spec) * self.config.plausible_factor
        for name, value in values.items():
            if value is None:
                continue
            if math.isnan(value) or (name.endswith("_kw") and abs(value) > limit):
                return f"{name}={value} outside ±{limit:g}"
            if name in ("soc", "vehicle_soc") and not 0 <= value <= 1:
                return f"{name}={value} outside 0..1"
        return None

    def allowed_age_s(self, slow: bool) -> float:
        """How old (s) a point may be before it is stale: 2 cycles for fast points, slow_every + 1 for slow ones."""
        c = self.config
        return c.cadence_s * ((max(c.slow_every, 1) + 1) if slow else 2)

    def point_status(self, key: DeviceKey, now: dt.datetime) -> dict[str, PointStatus]:
        """Each point's last good value with the time it was read and whether it is stale at `now`."""
        state = self.states[key]
        out = {}
        for name, when in state.read_at.items():
            stale = (now - when).total_seconds() > self.allowed_age_s(name in state.slow_points)
            out[name] = PointStatus(state.values.get(name), when, Quality.STALE if stale else Quality.GOOD)
        return out

    def _slow_overdue(self, state: DeviceState, now: dt.datetime) -> bool:
        """True when the slow points were never read or have outlived their cadence (a full read was missed)."""
        return state.full_at is None or (now - state.full_at).total_seconds() > self.allowed_age_s(True)

    def _remember(self, state: DeviceState, values: Values, full: bool, now: dt.datetime) -> None:
        if full:
            state.full_at = now
        else:
            state.slow_points = set(state.values) - set(values)
        state.values = {**state.values, **values}
        state.read_at.update({name: now for name in values})
        state.measured_at = now

    async def poll_device(self, state: DeviceState, full: bool, now: dt.datetime) -> Reading:
        """Read one device once and classify the result.

        A good reading holds only the points read now (slow points are not re-stamped with a fast cycle's time;
        they keep the time they were read, see :meth:`point_status`). Slow points whose cadence has lapsed (a
        full read failed) are read again at the next cycle. A stale reading repeats the values of the last
        successful read, with that read's time.
        """
        spec = state.spec
        full = full or self._slow_overdue(state, now)
        try:
            if not state.discovered:
                async with self._discovery_slots, asyncio.timeout(self.budget_s(spec)):
                    await state.driver.connect()
                state.discovered = True
            async with asyncio.timeout(self.budget_s(spec)):  # no extra task per device (unlike wait_for)
                values, invalid = await state.driver.read(full)
        except (DeviceError, DiscoveryError, CodecError, TimeoutError, KeyError) as exc:
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            quality = Quality.STALE if state.measured_at is not None else Quality.ERROR
            last = {k: v for k, v in state.values.items() if state.read_at.get(k) == state.measured_at}
            return Reading(spec.key, spec.kind, now, quality, last, state.measured_at, detail)
        problem = f"garbage scale factor in {invalid}" if invalid else self._implausible(spec, values)
        if problem:
            return Reading(spec.key, spec.kind, now, Quality.ERROR, values, now, problem)
        main = MAIN_FIELDS[spec.kind]
        if all(values.get(name) is None for name in main):
            return Reading(
                spec.key, spec.kind, now, Quality.MISSING, values, now, f"{' and '.join(main)} not implemented"
            )
        self._remember(state, values, full, now)
        return Reading(spec.key, spec.kind, now, Quality.GOOD, dict(values), now)

    async def cycle(self, full: bool | None = None) -> list[Reading]:
        """One poll of every device, concurrently; readings go to the sink and are returned."""
        if full is None:
            full = self.cycles % max(self.config.slow_every, 1) == 0
        self.cycles += 1
        now = utc_now()
        polled = await asyncio.gather(*(self.poll_device(s, full, now) for s in self.states.values()))
        by_key = {r.key: r for r in polled}
        for key, skipped in self.skipped.items():
            spec = skipped.spec
            by_key[key] = Reading(key, spec.kind, now, Quality.ERROR, {}, None, f"not polled: {skipped.reason}")
        readings = [by_key[key] for key in self.order]
        if self.sink is not None:
            self.sink.submit(readings)
        return readings

    async def run(self, stop: asyncio.Event) -> None:
        """Poll on the cadence until ``stop`` is set (a late cycle starts the next one at once)."""
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            started = loop.time()
            await self.cycle()
            wait = self.config.cadence_s - (loop.time() - started)
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)

    def close(self) -> None:
        """Close every connection."""
        for conn in self.connections.values():
            conn.close()
        if self._echonet is not None:
            self._echonet.close()
