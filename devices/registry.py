"""The driver registry: every device type the EMS can drive, keyed by (device kind, driver family).

A :class:`DeviceType` says what it drives (``kind``), how it is spoken to (``family``), how its driver and its
simulator are built, and its capabilities: the kind's value fields (units in
:data:`~devices.capabilities.FIELDS`) and the one writable set-point, if any (the guarded write path's
allow-list). The poller, the write path, the simulators and the scenario check all find a device's type
here, from its spec's ``(kind, family)``; nothing else branches on kinds or map names.

The built-in types are listed in :mod:`devices.catalog`; a new type is one more entry there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from devices.capabilities import FIELDS, CapabilityDriver
from devices.inventory import DeviceSpec, DriverFamily, resolve_map
from devices.maplibrary import MapLibrary, packaged_maps
from scenarios.checks import Problem
from scenarios.device_identity import DeviceKey, DeviceKind, endpoint_field, endpoint_of, facility_assets
from scenarios.model import Scenario

if TYPE_CHECKING:
    from devices.echonet_client import EchonetClient
    from devices.modbus_client import ModbusConnection
    from devices.ocpp_central import CentralSystem
    from devices.simulators.handlers import Handler
    from devices.simulators.physics import FacilitySim
    from scenarios.assets import ModbusEndpoint


class Transports(Protocol):
    """The connections a driver may ask for (the poller owns them and shares one per endpoint)."""

    def modbus(self, endpoint: ModbusEndpoint) -> ModbusConnection:
        """The shared Modbus TCP connection of the endpoint's host:port."""

    def echonet(self) -> EchonetClient:
        """The shared ECHONET Lite client (one UDP socket for every node)."""

    def ocpp(self) -> CentralSystem:
        """The OCPP 1.6J central system the charge points connect to (DeviceConfigError if none runs)."""


DriverFactory = Callable[[DeviceSpec, Transports], CapabilityDriver]
SimulatorFactory = Callable[[DeviceSpec, "FacilitySim"], "Handler"]
SharedSimulatorFactory = Callable[[Sequence[DeviceSpec], "FacilitySim"], "Handler"]
TypeKey = tuple[DeviceKind, DriverFamily]


class DeviceConfigError(ValueError):
    """A device cannot be driven as configured (no registered type, unknown or mismatched map); names the fix."""


@dataclass(frozen=True)
class DeviceType:
    """One drivable device type.

    ``driver`` builds the driver from the device's spec and the shared transports; ``simulator`` builds the
    simulated device's handler from its spec and the facility physics (None: not simulated); ``setpoint`` is
    the capability point the guarded path may write (None: read-only); ``shared_simulator`` builds one simulated
    unit for several capabilities of one facility behind one Modbus address (a hybrid inverter; None: such a
    unit cannot be simulated with this type).
    """

    kind: DeviceKind
    family: DriverFamily
    driver: DriverFactory
    simulator: SimulatorFactory | None = None
    setpoint: str | None = None
    shared_simulator: SharedSimulatorFactory | None = None

    def __post_init__(self) -> None:
        if self.setpoint is not None and self.setpoint not in FIELDS[self.kind]:
            raise ValueError(f"{self.label}: setpoint {self.setpoint!r} is not a {self.kind} field")

    @property
    def key(self) -> TypeKey:
        """(kind, family)."""
        return self.kind, self.family

    @property
    def label(self) -> str:
        """'<kind> over <family>'."""
        return f"{self.kind} over {self.family}"


def config_problem(spec: DeviceSpec, maps: MapLibrary | None = None) -> str | None:
    """Why a device's endpoint configuration is wrong independently of the registry (its vendor map is unknown,
    malformed or serves other kinds, or it carries a SunSpec-only setting), or None."""
    if spec.family is not DriverFamily.VENDOR_MAP:
        return None
    name = spec.modbus.register_map
    if spec.modbus.base_address is not None:
        return f"base_address is a SunSpec setting; a device with register_map {name!r} has none: remove it"
    if spec.vendor_map is None and spec.map_error is None:
        spec = resolve_map(spec, maps)
    vmap = spec.vendor_map
    if vmap is None:
        if spec.map_error and spec.map_error.startswith("no vendor map"):
            known = (maps or packaged_maps()).names()
            return f"register_map {name!r} is neither 'sunspec' nor a vendor map (known: {known})"
        return f"register_map {name!r}: {spec.map_error}"
    if spec.kind not in vmap.kinds:
        kinds = ", ".join(str(k) for k in vmap.kinds)
        return f"register_map {name!r} is a map for kind {kinds}, not {spec.kind}; give a {spec.kind} map"
    return None


class DriverRegistry:
    """Device types by (kind, family); one type per key."""

    def __init__(self, types: Iterable[DeviceType]) -> None:
        self._types: dict[TypeKey, DeviceType] = {}
        for t in types:
            if t.key in self._types:
                raise ValueError(f"two device types registered for {t.label}")
            self._types[t.key] = t

    def __iter__(self) -> Iterator[DeviceType]:
        return iter(self._types.values())

    def keys(self) -> list[TypeKey]:
        """The registered (kind, family) pairs."""
        return list(self._types)

    def _known(self) -> str:
        return ", ".join(t.label for t in self)

    def problem(self, spec: DeviceSpec, maps: MapLibrary | None = None) -> str | None:
        """Why no registered type can drive ``spec`` as configured, or None."""
        problem = config_problem(spec, maps)
        if problem is None and spec.kind_family not in self._types:
            problem = f"no driver for {spec.kind} over {spec.family} (registered: {self._known()})"
            if spec.family is DriverFamily.SUNSPEC:
                problem += f"; a {spec.kind} needs a vendor map as register_map"
        return problem

    def for_spec(self, spec: DeviceSpec, maps: MapLibrary | None = None) -> DeviceType:
        """The type of one device; DeviceConfigError naming the device and the fix if it cannot be driven."""
        problem = self.problem(spec, maps)
        if problem is not None:
            raise DeviceConfigError(f"{spec.key}: {problem}")
        return self._types[spec.kind_family]

    def problems(self, scenario: Scenario, maps: MapLibrary | None = None) -> list[Problem]:
        """Every monitored asset of ``scenario`` that no registered type can drive, located at its register_map
        (``base_address`` for a SunSpec setting on a vendor-map device); vendor maps come from ``maps``."""
        found: list[Problem] = []
        for i, facility in enumerate(scenario.facilities):
            for a in facility_assets(facility):
                endpoint, protocol = endpoint_of(a.asset), endpoint_field(a.asset)
                if endpoint is None:
                    continue
                spec = DeviceSpec(DeviceKey.of(facility, a.asset), facility, a.asset, a.kind, endpoint)
                message = self.problem(resolve_map(spec, maps), maps)
                if message is not None:
                    leaf = "base_address" if message.startswith("base_address") else "register_map"
                    where = f"{a.path(i)}.{protocol}" + (f".{leaf}" if protocol == "modbus" else "")
                    found.append(Problem(where, f"facility '{facility.id}' {a.kind} '{a.asset.id}': {message}"))
        return found
