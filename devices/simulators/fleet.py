"""Simulators for every device of a scenario: one server per device on loopback, shared facility physics."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from devices.capabilities import DeviceKind
from devices.inventory import DeviceSpec, scenario_devices
from devices.simulators.handlers import BatteryHandler, EVHandler, Handler, MeterHandler, PVHandler
from devices.simulators.physics import FacilitySim, facility_sim
from devices.simulators.server import Clock, Fault, SimServer, SimulatedDevice, utc_clock
from scenarios.assets import Battery, EVCharger, PVArray
from scenarios.model import Scenario

logger = logging.getLogger(__name__)


@dataclass
class Fleet:
    """Running simulators: device id → server and device; ``port_map`` device id → bound port."""

    host: str
    servers: dict[str, SimServer] = field(default_factory=dict)
    devices: dict[str, SimulatedDevice] = field(default_factory=dict)
    facilities: dict[str, FacilitySim] = field(default_factory=dict)

    @property
    def port_map(self) -> dict[str, int]:
        """Device id → TCP port."""
        return {device_id: server.port for device_id, server in self.servers.items()}

    def set_fault(self, device_id: str, fault: Fault) -> None:
        """Inject (or clear with ``Fault()``) a fault on one device."""
        self.devices[device_id].fault = fault

    async def stop(self) -> None:
        """Stop every server."""
        for server in self.servers.values():
            await server.stop()


def _handler(spec: DeviceSpec, facility: FacilitySim) -> Handler:
    asset, fac = spec.asset, spec.facility
    if spec.kind is DeviceKind.METER:
        return MeterHandler(facility, spec.device_id)
    if isinstance(asset, PVArray):
        return PVHandler(facility.pv[fac.pv_arrays.index(asset)], spec.device_id)
    if isinstance(asset, Battery):
        return BatteryHandler(facility.batteries[fac.batteries.index(asset)], spec.device_id)
    if isinstance(asset, EVCharger):
        return EVHandler(facility.chargers[fac.ev_chargers.index(asset)], spec.endpoint.register_map)
    raise TypeError(f"{spec.device_id}: no simulator for {type(asset).__name__}")


def build_devices(
    scenario: Scenario, clock: Clock = utc_clock
) -> tuple[dict[str, SimulatedDevice], dict[str, FacilitySim]]:
    """Simulated devices (not yet serving) for every Modbus device of ``scenario``."""
    facilities: dict[str, FacilitySim] = {}
    devices: dict[str, SimulatedDevice] = {}
    for spec in scenario_devices(scenario):
        fac_id = spec.facility.id
        if fac_id not in facilities:
            facilities[fac_id] = facility_sim(spec.facility, scenario.evs_at(fac_id))
        handler = _handler(spec, facilities[fac_id])
        image = handler.image  # type: ignore[attr-defined]
        devices[spec.device_id] = SimulatedDevice(spec.endpoint.unit_id, image, handler, clock=clock)
    return devices, facilities


async def start_fleet(
    scenario: Scenario,
    *,
    host: str = "127.0.0.1",
    port_base: int | None = None,
    faults: dict[str, Fault] | None = None,
    clock: Clock = utc_clock,
) -> Fleet:
    """Start one server per device. Ports: the scenario's endpoints (``port_base=None``), ``port_base + i``,
    or ephemeral ports (``port_base=0``)."""
    devices, facilities = build_devices(scenario, clock)
    fleet = Fleet(host=host, facilities=facilities)
    specs = {s.device_id: s for s in scenario_devices(scenario)}
    try:
        for i, (device_id, device) in enumerate(devices.items()):
            if faults and device_id in faults:
                device.fault = faults[device_id]
            port = specs[device_id].endpoint.port if port_base is None else (port_base + i if port_base else 0)
            server = SimServer([device], host=host, port=port)
            await server.start()
            fleet.servers[device_id], fleet.devices[device_id] = server, device
    except Exception:
        await fleet.stop()
        raise
    logger.info("started %d simulated devices on %s", len(fleet.servers), host)
    return fleet
