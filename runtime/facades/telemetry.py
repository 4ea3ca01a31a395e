"""Thin functions between the service/CLI and ``devices``: run simulators, poll, scan, guarded writes.

* :func:`running_simulators` / :func:`start_simulators`: simulators of every Modbus device of a scenario,
  in-process (one loopback server per device), with the port map (device id → port).
* :func:`poll_once`: one poll of every device of a scenario, readings with quality and UTC times.
* :func:`scan`: discover a SunSpec device and read every point of its known models.
* :class:`DeviceTelemetry`: the loop's ``Telemetry`` (poll → ``Sample``; guarded kW writes with audit).
* :func:`device_problems`: the scenario's devices that no registered driver can drive (``ems scenario check``).
* :func:`raise_skipped_events`: one event per device the service does not poll (its driver cannot be built).
* :func:`quiet_device_logs`: called by entry points that talk to devices.

Vendor maps come from the packaged ones and the folders of the ``device_maps`` setting (``EMS_DEVICE_MAPS``),
passed in as ``map_dirs`` by the entry points.

Devices are named by :class:`~scenarios.device_identity.DeviceKey` (text form ``"facility/asset"`` in port map
files); kinds are :class:`~scenarios.device_identity.DeviceKind`. Units as in :mod:`devices.capabilities`
(battery + = discharge, EV + = charging the car, meter + = import; kW, kWh, SoC 0..1).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from devices.capabilities import AuditEntry, ListSink, Reading
from devices.catalog import builtin_registry
from devices.inventory import scenario_devices, with_ports
from devices.maplibrary import library
from devices.modbus_client import ModbusConnection, quiet_pymodbus
from devices.poller import Poller, PollerConfig
from devices.scan import scan_unit
from devices.simulators.fleet import Fleet, start_fleet
from devices.simulators.server import Fault
from devices.writes import SetpointWriter
from runtime.loop.service import Sample, WriteOutcome
from runtime.store import journal
from runtime.store.db import Store
from runtime.store.records import EventDetails
from scenarios.checks import Problem
from scenarios.device_identity import DeviceKey, DeviceKind
from scenarios.model import Scenario

if TYPE_CHECKING:
    from devices.ocpp_central import CentralSystem

logger = logging.getLogger(__name__)
PortMap = dict[DeviceKey, int]
__all__ = [
    "AuditEntry",
    "DeviceTelemetry",
    "Fault",
    "Fleet",
    "Reading",
    "ScanResult",
    "device_problems",
    "poll_once",
    "quiet_device_logs",
    "raise_skipped_events",
    "read_port_map",
    "running_simulators",
    "scan",
    "start_simulators",
    "write_port_map",
]


def quiet_device_logs() -> None:
    """Silence the Modbus library's own per-request log lines (our errors carry the context); entry points that
    talk to devices call it once."""
    quiet_pymodbus()


def device_problems(scenario: Scenario, map_dirs: Sequence[Path] = ()) -> list[Problem]:
    """Every device of ``scenario`` that no registered driver can drive (a misspelt or malformed vendor map, a map
    for another kind, a SunSpec setting on a vendor-map device, SunSpec asked of a kind with no SunSpec driver),
    located at its ``register_map`` (or ``base_address``); maps from ``map_dirs`` and the packaged ones."""
    return builtin_registry().problems(scenario, library(map_dirs))


async def start_simulators(
    scenario: Scenario,
    *,
    port_base: int | None = 0,
    host: str = "127.0.0.1",
    faults: dict[DeviceKey, Fault] | None = None,
    map_dirs: Sequence[Path] = (),
) -> Fleet:
    """Start simulators for every device; ``port_base`` None = scenario ports, 0 = ephemeral, N = N + index.
    A device that cannot be simulated is left out (``fleet.skipped`` says why)."""
    return await start_fleet(scenario, host=host, port_base=port_base, faults=faults, maps=library(map_dirs))


@asynccontextmanager
async def running_simulators(
    scenario: Scenario,
    *,
    port_base: int | None = 0,
    host: str = "127.0.0.1",
    faults: dict[DeviceKey, Fault] | None = None,
    map_dirs: Sequence[Path] = (),
) -> AsyncIterator[Fleet]:
    """Async context manager: simulators running inside, stopped on exit. ``fleet.port_map`` gives the ports."""
    fleet = await start_simulators(scenario, port_base=port_base, host=host, faults=faults, map_dirs=map_dirs)
    try:
        yield fleet
    finally:
        await fleet.stop()


def write_port_map(port_map: PortMap, path: Path, host: str = "127.0.0.1") -> None:
    """Write ``{"host": ..., "ports": {"facility/device": port}}`` as JSON."""
    ports = {str(key): port for key, port in port_map.items()}
    path.write_text(json.dumps({"host": host, "ports": ports}, indent=1) + "\n", encoding="utf-8")


def read_port_map(path: Path) -> tuple[str, PortMap]:
    """Read a port map written by :func:`write_port_map`; ValueError naming the field if malformed."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("ports"), dict):
        raise ValueError(f"{path}: expected an object with 'ports' (device key → port), e.g. from `ems simulate`")
    ports = {DeviceKey.parse(str(k), f"{path}: ports key"): int(v) for k, v in data["ports"].items()}
    return str(data.get("host", "127.0.0.1")), ports


def make_poller(
    scenario: Scenario,
    port_map: PortMap | None = None,
    host: str = "127.0.0.1",
    config: PollerConfig | None = None,
    sink: ListSink | None = None,
    map_dirs: Sequence[Path] = (),
    central: CentralSystem | None = None,
) -> Poller:
    """A poller over every Modbus device of ``scenario`` (moved to ``port_map`` ports if given); a device whose
    driver cannot be built is skipped and reported in every cycle (``poller.skipped``). ECHONET Lite devices are
    read at their node addresses, OCPP chargers through ``central`` (without one they are skipped)."""
    specs = scenario_devices(scenario, library(map_dirs))
    if port_map:
        specs = with_ports(specs, port_map, host)
    return Poller(specs, sink, config, central=central)


async def poll_once(
    scenario: Scenario,
    *,
    port_map: PortMap | None = None,
    host: str = "127.0.0.1",
    config: PollerConfig | None = None,
    map_dirs: Sequence[Path] = (),
    simulated: bool = False,
) -> list[Reading]:
    """One full poll of every device (fast and slow points); readings in device order. ``simulated``: the ECHONET
    Lite nodes are simulators (``ems simulate``), which answer the sender's port, so the socket binds an ephemeral
    loopback port instead of 3610. OCPP chargers need the service's central system: here they are reported as not
    polled."""
    if simulated:
        config = dataclasses.replace(config or PollerConfig(), echonet_bind=("127.0.0.1", 0))
    poller = make_poller(scenario, port_map, host, config, map_dirs=map_dirs)
    try:
        return await poller.cycle(full=True)
    finally:
        poller.close()


@dataclass
class ScanResult:
    """A scanned SunSpec device: base address, models (id, address, L, point values), warnings."""

    base_address: int
    models: list[tuple[int, int, int, dict[str, float | int | str | None]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


async def scan(host: str, port: int, unit: int = 1, timeout_s: float = 2.0) -> ScanResult:
    """Discover a SunSpec device and read every point of every known model, repeating groups included (values
    scaled, sentinels None; ``devices.scan``)."""
    conn = ModbusConnection(host, port, timeout_s=timeout_s, retries=1)
    try:
        scanned = await scan_unit(conn, unit)
    finally:
        conn.close()
    result = ScanResult(scanned.base_address, warnings=list(scanned.warnings))
    for model in scanned.models:
        result.models.append((model.model_id, model.address, model.length, model.values))
        result.warnings += [f"model {model.model_id} {name}: garbage scale factor" for name in model.garbage]
    return result


class DeviceTelemetry:
    """The loop's Telemetry over the devices of a scenario (real ones, or simulators via ``port_map``)."""

    def __init__(
        self,
        scenario: Scenario,
        port_map: PortMap | None = None,
        host: str = "127.0.0.1",
        config: PollerConfig | None = None,
        map_dirs: Sequence[Path] = (),
        central: CentralSystem | None = None,
        echonet_bind: tuple[str, int] | None = None,
    ) -> None:
        """``central``: the OCPP central system the chargers connect to; ``echonet_bind``: the local address of the
        ECHONET Lite socket (default 0.0.0.0:3610; simulated nodes: ``protocols.SIMULATED_ECHONET_BIND``)."""
        self.sink = ListSink()
        if echonet_bind is not None:
            config = dataclasses.replace(config or PollerConfig(), echonet_bind=echonet_bind)
        self.poller = make_poller(scenario, port_map, host, config, map_dirs=map_dirs, central=central)
        self.writer = SetpointWriter(self.poller, self.sink)

    @property
    def skipped(self) -> dict[DeviceKey, str]:
        """Devices not polled, and why (their driver could not be built: the reason names the fix)."""
        return {key: s.reason for key, s in self.poller.skipped.items()}

    async def poll(self, now: dt.datetime) -> list[Sample]:
        """Read every device once (full read every ``slow_every`` cycles); also refresh held set-points.

        ``now`` (the loop's clock) is not needed here: each sample carries the time its device answered.
        """
        readings = await self.poller.cycle()
        await self.writer.refresh_due()
        return [
            Sample(r.key.facility_id, r.key.device_id, r.kind, dict(r.values), r.quality.value, r.measured_at)
            for r in readings
        ]

    async def write(
        self, facility_id: str, device_id: str, kind: DeviceKind, value_kw: float, actor: str, dry_run: bool
    ) -> WriteOutcome:
        """Guarded write of a kW set-point (battery + = discharge, EV charger + = charging the car).

        Refused without touching the device if the device is not a ``kind`` (the sign conventions differ)."""
        key = DeviceKey(facility_id, device_id)
        state = self.poller.states.get(key)
        if state is not None and state.spec.kind is not kind:
            return WriteOutcome(None, False, f"refused: {key} is kind {state.spec.kind}, not {kind}")
        self.writer.dry_run = dry_run
        entry = await self.writer.write(key, "setpoint_kw", value_kw, actor)
        ok = entry.result in ("ok", "dry-run")
        applied = entry.applied if entry.result == "ok" else None
        return WriteOutcome(applied, ok, f"{entry.result} {entry.detail}".strip())

    @property
    def audit(self) -> list[AuditEntry]:
        """Audit entries of every write so far."""
        return self.sink.audit

    def close(self) -> None:
        """Close every device connection."""
        self.poller.close()


def raise_skipped_events(telemetry: DeviceTelemetry, store: Store) -> int:
    """One warning event per device the service does not poll (kind ``device_not_polled``, with the reason);
    returns how many. The service runs on with the other devices."""
    for key, reason in telemetry.skipped.items():
        journal.raise_event(
            store,
            "device_not_polled",
            f"{key}: not polled: {reason}",
            facility_id=key.facility_id,
            details=EventDetails.model_validate({"device": key.device_id, "reason": reason}),
        )
    return len(telemetry.skipped)
