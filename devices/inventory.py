"""The devices of a scenario: every asset with a Modbus endpoint, with its key, kind and driver family."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from scenarios.assets import ModbusEndpoint
from scenarios.device_identity import Asset, DeviceKey, DeviceKind, facility_assets
from scenarios.model import Facility, Scenario

POLL_ORDER = (DeviceKind.METER, DeviceKind.PV, DeviceKind.BATTERY, DeviceKind.EV)
"""Kinds in the order a facility's devices are listed (meters first)."""


class DriverFamily(StrEnum):
    """How a device is spoken to: the protocol or register-map family half of a driver registry key.

    ``sunspec``: Modbus TCP, SunSpec models discovered from the "SunS" marker. ``vendor_map``: Modbus TCP with a
    vendor YAML map (``devices/maps/<name>.yaml``) that declares its kind.
    """

    SUNSPEC = "sunspec"
    VENDOR_MAP = "vendor_map"


SUNSPEC_MAP = "sunspec"
"""The ``register_map`` value that selects SunSpec discovery; any other value names a vendor map."""


def family_of(endpoint: ModbusEndpoint) -> DriverFamily:
    """The driver family an endpoint asks for (``register_map: sunspec`` or a vendor map name)."""
    return DriverFamily.SUNSPEC if endpoint.register_map == SUNSPEC_MAP else DriverFamily.VENDOR_MAP


@dataclass(frozen=True)
class DeviceSpec:
    """One monitored device: ``key`` names it (facility, asset); ``endpoint`` is where it answers."""

    key: DeviceKey
    facility: Facility
    asset: Asset
    kind: DeviceKind
    endpoint: ModbusEndpoint

    @property
    def family(self) -> DriverFamily:
        """The driver family of its endpoint."""
        return family_of(self.endpoint)

    @property
    def kind_family(self) -> tuple[DeviceKind, DriverFamily]:
        """Its driver registry key."""
        return self.kind, self.family

    def at(self, host: str, port: int) -> DeviceSpec:
        """The same device at another host:port (port maps of simulators)."""
        return self.with_endpoint(host=host, port=port)

    def with_endpoint(self, **changes: object) -> DeviceSpec:
        """The same device with endpoint fields changed (e.g. ``timeout_s=0.2``)."""
        return dataclasses.replace(self, endpoint=self.endpoint.model_copy(update=changes))


def scenario_devices(scenario: Scenario) -> list[DeviceSpec]:
    """Every asset of the scenario that has a Modbus endpoint, in facility order (meters first)."""
    return [
        DeviceSpec(DeviceKey.of(facility, a.asset), facility, a.asset, a.kind, a.asset.modbus)
        for facility in scenario.facilities
        for a in facility_assets(facility, POLL_ORDER)
        if a.asset.modbus is not None
    ]


def with_ports(
    specs: Sequence[DeviceSpec], port_map: Mapping[DeviceKey, int], host: str = "127.0.0.1"
) -> list[DeviceSpec]:
    """Move devices to the ports of ``port_map`` (device key → port); devices not in it keep their endpoint."""
    return [s.at(host, port_map[s.key]) if s.key in port_map else s for s in specs]
