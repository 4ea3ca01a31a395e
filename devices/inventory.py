"""The devices of a scenario: every asset with a Modbus endpoint, with a stable id and its kind."""

from __future__ import annotations

from dataclasses import dataclass

from devices.capabilities import DeviceKind
from scenarios.assets import Battery, EVCharger, Meter, ModbusEndpoint, PVArray
from scenarios.model import Facility, Scenario

Asset = PVArray | Battery | EVCharger | Meter
KIND_OF: dict[type, DeviceKind] = {
    PVArray: DeviceKind.PV,
    Battery: DeviceKind.BATTERY,
    EVCharger: DeviceKind.EV,
    Meter: DeviceKind.METER,
}


@dataclass(frozen=True)
class DeviceSpec:
    """One monitored device: ``device_id`` is ``"<facility>/<asset>"``; ``endpoint`` where it answers."""

    device_id: str
    facility: Facility
    asset: Asset
    kind: DeviceKind
    endpoint: ModbusEndpoint

    def at(self, host: str, port: int) -> DeviceSpec:
        """The same device at another host:port (port maps of simulators)."""
        endpoint = self.endpoint.model_copy(update={"host": host, "port": port})
        return DeviceSpec(self.device_id, self.facility, self.asset, self.kind, endpoint)


def scenario_devices(scenario: Scenario) -> list[DeviceSpec]:
    """Every asset of the scenario that has a Modbus endpoint, in facility order."""
    specs: list[DeviceSpec] = []
    for facility in scenario.facilities:
        assets: list[Asset] = [*facility.meters, *facility.pv_arrays, *facility.batteries, *facility.ev_chargers]
        for asset in assets:
            if asset.modbus is not None:
                specs.append(
                    DeviceSpec(f"{facility.id}/{asset.id}", facility, asset, KIND_OF[type(asset)], asset.modbus)
                )
    return specs


def with_ports(specs: list[DeviceSpec], port_map: dict[str, int], host: str = "127.0.0.1") -> list[DeviceSpec]:
    """Move devices to the ports of ``port_map`` (device_id → port); devices not in it keep their endpoint."""
    return [s.at(host, port_map[s.device_id]) if s.device_id in port_map else s for s in specs]
