"""The devices of a scenario: every asset with an endpoint (Modbus TCP, ECHONET Lite or OCPP 1.6J), with its key,
kind, driver family and (for a vendor-map device) its resolved map.

Several assets of one facility may share one endpoint (host, port, unit): one physical device with several
capabilities, e.g. a hybrid inverter serving a PV array and a battery. Each asset stays a device of its own kind
(its readings, set-points and plans are the asset's); the poller shares the unit's connection and, for SunSpec,
its discovered map (:func:`shared_units` groups them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from devices.maplibrary import MapError, MapLibrary, MapNotFoundError, packaged_maps
from devices.vendormap import VendorMap
from scenarios.assets import ECHONET_PORT, EchonetEndpoint, Endpoint, ModbusEndpoint, OcppEndpoint
from scenarios.device_identity import Asset, DeviceKey, DeviceKind, endpoint_of, facility_assets
from scenarios.model import Facility, Scenario

POLL_ORDER = (DeviceKind.METER, DeviceKind.PV, DeviceKind.BATTERY, DeviceKind.EV)
"""Kinds in the order a facility's devices are listed (meters first)."""


class DriverFamily(StrEnum):
    """How a device is spoken to: the protocol or register-map family half of a driver registry key.

    ``sunspec``: Modbus TCP, SunSpec models discovered from the "SunS" marker. ``vendor_map``: Modbus TCP with a
    vendor YAML map (``devices/maps/<name>.yaml``) that declares its kind. ``echonet_lite``: ECHONET Lite over UDP
    3610 (the asset's ``echonet`` endpoint). ``ocpp16``: an OCPP 1.6J charge point (the asset's ``ocpp`` endpoint).
    """

    SUNSPEC = "sunspec"
    VENDOR_MAP = "vendor_map"
    ECHONET_LITE = "echonet_lite"
    OCPP16 = "ocpp16"


MODBUS_FAMILIES = frozenset({DriverFamily.SUNSPEC, DriverFamily.VENDOR_MAP})
"""The families spoken over Modbus TCP (served by the Modbus simulators)."""


SUNSPEC_MAP = "sunspec"
"""The ``register_map`` value that selects SunSpec discovery; any other value names a vendor map."""


def family_of(endpoint: Endpoint) -> DriverFamily:
    """The driver family an endpoint asks for (Modbus: ``register_map: sunspec`` or a vendor map name)."""
    if isinstance(endpoint, EchonetEndpoint):
        return DriverFamily.ECHONET_LITE
    if isinstance(endpoint, OcppEndpoint):
        return DriverFamily.OCPP16
    return DriverFamily.SUNSPEC if endpoint.register_map == SUNSPEC_MAP else DriverFamily.VENDOR_MAP


@dataclass(frozen=True)
class DeviceSpec:
    """One monitored device: ``key`` names it (facility, asset); ``endpoint`` is where it answers."""

    key: DeviceKey
    facility: Facility
    asset: Asset
    kind: DeviceKind
    endpoint: Endpoint
    vendor_map: VendorMap | None = None
    map_error: str | None = None

    @property
    def family(self) -> DriverFamily:
        """The driver family of its endpoint."""
        return family_of(self.endpoint)

    @property
    def modbus(self) -> ModbusEndpoint:
        """The Modbus endpoint (ValueError naming the device if it speaks another protocol)."""
        if not isinstance(self.endpoint, ModbusEndpoint):
            raise ValueError(f"{self.key}: speaks {self.family}, not Modbus")
        return self.endpoint

    @property
    def kind_family(self) -> tuple[DeviceKind, DriverFamily]:
        """Its driver registry key."""
        return self.kind, self.family

    def at(self, host: str, port: int) -> DeviceSpec:
        """The same Modbus device at another host:port (port maps of simulators; other protocols are unchanged)."""
        return self.with_endpoint(host=host, port=port) if isinstance(self.endpoint, ModbusEndpoint) else self

    def with_endpoint(self, **changes: object) -> DeviceSpec:
        """The same device with endpoint fields changed (e.g. ``timeout_s=0.2``; not ``register_map``: resolve
        again with :func:`resolve_map` after changing the map)."""
        return dataclasses.replace(self, endpoint=self.endpoint.model_copy(update=changes))

    @property
    def unit(self) -> tuple[str, int, int]:
        """(host, port, unit id): the Modbus unit the device answers as (shared by a hybrid's capabilities); an
        ECHONET Lite node is (host, 3610, 0) (its objects share it); an OCPP connector (charge point id, 0,
        connector)."""
        ep = self.endpoint
        if isinstance(ep, EchonetEndpoint):
            return ep.host, ECHONET_PORT, 0
        if isinstance(ep, OcppEndpoint):
            return ep.charge_point_id, 0, ep.connector_id
        return ep.host, ep.port, ep.unit_id


def resolve_map(spec: DeviceSpec, maps: MapLibrary | None = None) -> DeviceSpec:
    """``spec`` with its vendor map loaded from ``maps`` (default: the packaged maps), or with ``map_error`` saying
    why it cannot be (unknown name, malformed file); SunSpec devices are returned unchanged."""
    if spec.family is not DriverFamily.VENDOR_MAP:
        return spec
    try:
        vmap = (maps or packaged_maps()).get(spec.modbus.register_map)
    except (MapNotFoundError, MapError) as exc:
        return dataclasses.replace(spec, vendor_map=None, map_error=str(exc))
    return dataclasses.replace(spec, vendor_map=vmap, map_error=None)


def scenario_devices(scenario: Scenario, maps: MapLibrary | None = None) -> list[DeviceSpec]:
    """Every asset of the scenario that has an endpoint (any protocol), in facility order (meters first), vendor maps
    resolved from ``maps`` (a map that cannot be loaded is recorded on its device, never raised)."""
    specs = []
    for facility in scenario.facilities:
        for a in facility_assets(facility, POLL_ORDER):
            endpoint = endpoint_of(a.asset)
            if endpoint is not None:
                specs.append(
                    resolve_map(DeviceSpec(DeviceKey.of(facility, a.asset), facility, a.asset, a.kind, endpoint), maps)
                )
    return specs


def shared_units(specs: Sequence[DeviceSpec]) -> dict[tuple[str, int, int], list[DeviceSpec]]:
    """Devices grouped by the Modbus unit they answer as; a group of several is one device with several
    capabilities (a hybrid inverter)."""
    groups: dict[tuple[str, int, int], list[DeviceSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.unit, []).append(spec)
    return groups


def with_ports(
    specs: Sequence[DeviceSpec], port_map: Mapping[DeviceKey, int], host: str = "127.0.0.1"
) -> list[DeviceSpec]:
    """Move devices to the ports of ``port_map`` (device key → port); devices not in it keep their endpoint."""
    return [s.at(host, port_map[s.key]) if s.key in port_map else s for s in specs]
