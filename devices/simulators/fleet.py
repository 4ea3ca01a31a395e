"""Simulators for every device of a scenario: one server per device on loopback, shared facility physics.

Each device's simulator handler is found through the driver registry (its type's ``simulator`` factory), so a
new device type brings its simulator with its one registry entry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from devices.capabilities import utc_now
from devices.catalog import builtin_registry
from devices.inventory import scenario_devices
from devices.registry import DeviceConfigError, DriverRegistry
from devices.simulators.physics import FacilitySim, facility_sim
from devices.simulators.server import Clock, Fault, SimServer, SimulatedDevice
from scenarios.device_identity import DeviceKey
from scenarios.model import Scenario

logger = logging.getLogger(__name__)


@dataclass
class Fleet:
    """Running simulators: device key → server and device; ``port_map`` device key → bound port."""

    host: str
    servers: dict[DeviceKey, SimServer] = field(default_factory=dict)
    devices: dict[DeviceKey, SimulatedDevice] = field(default_factory=dict)
    facilities: dict[str, FacilitySim] = field(default_factory=dict)

    @property
    def port_map(self) -> dict[DeviceKey, int]:
        """Device key → TCP port."""
        return {key: server.port for key, server in self.servers.items()}

    def set_fault(self, key: DeviceKey, fault: Fault) -> None:
        """Inject (or clear with ``Fault()``) a fault on one device."""
        self.devices[key].fault = fault

    async def stop(self) -> None:
        """Stop every server."""
        for server in self.servers.values():
            await server.stop()


def build_devices(
    scenario: Scenario, clock: Clock = utc_now, registry: DriverRegistry | None = None
) -> tuple[dict[DeviceKey, SimulatedDevice], dict[str, FacilitySim]]:
    """Simulated devices (not yet serving) for every Modbus device of ``scenario``; DeviceConfigError if one has
    no registered type or no simulator."""
    registry = registry or builtin_registry()
    facilities: dict[str, FacilitySim] = {}
    devices: dict[DeviceKey, SimulatedDevice] = {}
    for spec in scenario_devices(scenario):
        simulator = registry.for_spec(spec).simulator
        if simulator is None:
            raise DeviceConfigError(f"{spec.key}: {spec.kind} over {spec.family} has no simulator")
        fac_id = spec.facility.id
        if fac_id not in facilities:
            facilities[fac_id] = facility_sim(spec.facility, scenario.evs_at(fac_id))
        handler = simulator(spec, facilities[fac_id])
        devices[spec.key] = SimulatedDevice(spec.endpoint.unit_id, handler.image, handler, clock=clock)
    return devices, facilities


async def start_fleet(
    scenario: Scenario,
    *,
    host: str = "127.0.0.1",
    port_base: int | None = None,
    faults: dict[DeviceKey, Fault] | None = None,
    clock: Clock = utc_now,
) -> Fleet:
    """Start one server per device. Ports: the scenario's endpoints (``port_base=None``), ``port_base + i``,
    or ephemeral ports (``port_base=0``)."""
    devices, facilities = build_devices(scenario, clock)
    fleet = Fleet(host=host, facilities=facilities)
    specs = {s.key: s for s in scenario_devices(scenario)}
    try:
        for i, (key, device) in enumerate(devices.items()):
            if faults and key in faults:
                device.fault = faults[key]
            port = specs[key].endpoint.port if port_base is None else (port_base + i if port_base else 0)
            server = SimServer([device], host=host, port=port)
            await server.start()
            fleet.servers[key], fleet.devices[key] = server, device
    except Exception:
        await fleet.stop()
        raise
    logger.info("started %d simulated devices on %s", len(fleet.servers), host)
    return fleet
