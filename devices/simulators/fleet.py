"""Simulators for every device of a scenario: one server per Modbus unit on loopback, shared facility physics.

Each device's simulator handler is found through the driver registry (its type's ``simulator`` factory), so a
new device type brings its simulator with its one registry entry. Several capabilities behind one unit (a hybrid
inverter's PV and battery) become one simulated device built by their type's ``shared_simulator``; every key of
the unit maps to it (and to its port). A device that cannot be simulated (no registered type, a broken map, no
simulator) is skipped with its reason in ``skipped``: the others still run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from devices.capabilities import utc_now
from devices.catalog import builtin_registry
from devices.inventory import MODBUS_FAMILIES, DeviceSpec, scenario_devices, shared_units
from devices.maplibrary import MapLibrary
from devices.registry import DeviceConfigError, DriverRegistry
from devices.simulators.handlers import Handler
from devices.simulators.physics import FacilitySim, facility_sim
from devices.simulators.server import Clock, Fault, SimServer, SimulatedDevice
from scenarios.device_identity import DeviceKey
from scenarios.model import Scenario

logger = logging.getLogger(__name__)


@dataclass
class Fleet:
    """Running simulators: device key → server and device; ``port_map`` device key → bound port.

    The keys of one shared unit (a hybrid) map to the same server and device: a fault set on one key is the
    unit's fault. ``skipped``: device key → why it is not simulated.
    """

    host: str
    servers: dict[DeviceKey, SimServer] = field(default_factory=dict)
    devices: dict[DeviceKey, SimulatedDevice] = field(default_factory=dict)
    facilities: dict[str, FacilitySim] = field(default_factory=dict)
    skipped: dict[DeviceKey, str] = field(default_factory=dict)

    @property
    def port_map(self) -> dict[DeviceKey, int]:
        """Device key → TCP port."""
        return {key: server.port for key, server in self.servers.items()}

    def set_fault(self, key: DeviceKey, fault: Fault) -> None:
        """Inject (or clear with ``Fault()``) a fault on one device (on a shared unit: on all its capabilities)."""
        self.devices[key].fault = fault

    async def stop(self) -> None:
        """Stop every server."""
        for server in {id(s): s for s in self.servers.values()}.values():
            await server.stop()


@dataclass
class BuiltDevices:
    """Simulated devices by key (the keys of a shared unit share one), facility physics, and skipped devices."""

    devices: dict[DeviceKey, SimulatedDevice] = field(default_factory=dict)
    facilities: dict[str, FacilitySim] = field(default_factory=dict)
    skipped: dict[DeviceKey, str] = field(default_factory=dict)


def _handler(
    specs: Sequence[DeviceSpec], facility: FacilitySim, registry: DriverRegistry, maps: MapLibrary | None
) -> Handler:
    types = [registry.for_spec(s, maps) for s in specs]
    if len(specs) == 1:
        if types[0].simulator is None:
            raise DeviceConfigError(f"{specs[0].key}: {specs[0].kind} over {specs[0].family} has no simulator")
        return types[0].simulator(specs[0], facility)
    factory = types[0].shared_simulator
    if factory is None or any(t.shared_simulator != factory for t in types):
        kinds = ", ".join(f"{s.kind} over {s.family}" for s in specs)
        raise DeviceConfigError(f"{', '.join(str(s.key) for s in specs)}: no simulator for one unit with {kinds}")
    return factory(specs, facility)


def modbus_devices(scenario: Scenario, maps: MapLibrary | None = None) -> list[DeviceSpec]:
    """The devices of ``scenario`` that speak Modbus TCP (ECHONET Lite and OCPP devices have their own simulators:
    :mod:`devices.simulators.echonet_fleet`, :mod:`devices.simulators.ocpp_charge_point`)."""
    return [s for s in scenario_devices(scenario, maps) if s.family in MODBUS_FAMILIES]


def build_fleet(
    scenario: Scenario,
    clock: Clock = utc_now,
    registry: DriverRegistry | None = None,
    maps: MapLibrary | None = None,
) -> BuiltDevices:
    """Simulated devices (not yet serving) for every Modbus device of ``scenario``, one per unit; devices that
    cannot be simulated are skipped with the reason (logged)."""
    registry = registry or builtin_registry()
    built = BuiltDevices()
    specs = modbus_devices(scenario, maps)
    for unit_specs in shared_units(specs).values():
        fac_id = unit_specs[0].facility.id
        if fac_id not in built.facilities:
            built.facilities[fac_id] = facility_sim(unit_specs[0].facility, scenario.evs_at(fac_id))
        try:
            handler = _handler(unit_specs, built.facilities[fac_id], registry, maps)
        except (DeviceConfigError, ValueError, KeyError) as exc:
            for spec in unit_specs:
                built.skipped[spec.key] = str(exc)
            logger.warning("not simulated: %s", exc)
            continue
        device = SimulatedDevice(unit_specs[0].modbus.unit_id, handler.image, handler, clock=clock)
        for spec in unit_specs:
            built.devices[spec.key] = device
    return built


def build_devices(
    scenario: Scenario, clock: Clock = utc_now, registry: DriverRegistry | None = None
) -> tuple[dict[DeviceKey, SimulatedDevice], dict[str, FacilitySim]]:
    """Simulated devices (not yet serving) by key and the facility physics (see :func:`build_fleet`)."""
    built = build_fleet(scenario, clock, registry)
    return built.devices, built.facilities


async def start_fleet(
    scenario: Scenario,
    *,
    host: str = "127.0.0.1",
    port_base: int | None = None,
    faults: dict[DeviceKey, Fault] | None = None,
    clock: Clock = utc_now,
    maps: MapLibrary | None = None,
) -> Fleet:
    """Start one server per unit. Ports: the scenario's endpoints (``port_base=None``), ``port_base + i``,
    or ephemeral ports (``port_base=0``)."""
    built = build_fleet(scenario, clock, maps=maps)
    fleet = Fleet(host=host, facilities=built.facilities, skipped=built.skipped)
    specs = {s.key: s for s in modbus_devices(scenario, maps)}
    started: dict[int, SimServer] = {}
    try:
        for key, device in built.devices.items():
            if faults and key in faults:
                device.fault = faults[key]
            if id(device) not in started:
                i = len(started)
                port = specs[key].modbus.port if port_base is None else (port_base + i if port_base else 0)
                server = SimServer([device], host=host, port=port)
                await server.start()
                started[id(device)] = server
            fleet.servers[key], fleet.devices[key] = started[id(device)], device
    except Exception:
        await fleet.stop()
        raise
    logger.info("started %d simulated units for %d devices on %s", len(started), len(fleet.servers), host)
    return fleet
