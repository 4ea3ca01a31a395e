"""What a device is and which one it is: the one device-kind vocabulary and the typed device key.

Every layer uses both: ``devices`` (drivers, readings, the driver registry), ``runtime`` (the loop's samples,
live status, load history) and ``api`` (status output). They live in ``scenarios`` because it is the one package
every other package may import, and because a device's kind follows from the scenario's asset type (a
``PVArray`` is read through its PV inverter, a ``Battery`` through its PCS, ...).

A device is named by its facility id and its asset id within the facility; its text form is
``"facility/device"`` (e.g. ``city-hall/bat1``), made and read only by :class:`DeviceKey`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from scenarios.assets import Battery, Endpoint, EVCharger, Meter, PVArray
from scenarios.model import Facility


class DeviceKind(StrEnum):
    """The capability families of monitored devices. The value is the one spelling used everywhere (readings,
    the loop, the store's readers, the HTTP API, the CLI, logs)."""

    PV = "pv_inverter"
    BATTERY = "battery"
    EV = "ev_charger"
    METER = "meter"


Asset = PVArray | Battery | EVCharger | Meter
"""A facility asset that can be a monitored device."""

ASSET_TYPES: dict[DeviceKind, type[Asset]] = {
    DeviceKind.PV: PVArray,
    DeviceKind.BATTERY: Battery,
    DeviceKind.EV: EVCharger,
    DeviceKind.METER: Meter,
}
FACILITY_FIELD: dict[DeviceKind, str] = {
    DeviceKind.PV: "pv_arrays",
    DeviceKind.BATTERY: "batteries",
    DeviceKind.EV: "ev_chargers",
    DeviceKind.METER: "meters",
}
"""The field of :class:`~scenarios.model.Facility` that lists the assets of each kind (for located problems)."""

KEY_SEPARATOR = "/"


def kind_of(asset: Asset) -> DeviceKind:
    """The device kind of a facility asset."""
    for kind, cls in ASSET_TYPES.items():
        if isinstance(asset, cls):
            return kind
    raise TypeError(f"{type(asset).__name__} is not a device asset; expected one of {list(ASSET_TYPES.values())}")


PROTOCOL_FIELDS = ("modbus", "echonet", "ocpp")
"""The asset fields that name a device's endpoint, one per protocol (an asset sets at most one)."""


def endpoint_field(asset: Asset) -> str | None:
    """The name of the endpoint field the asset sets (``modbus``, ``echonet`` or ``ocpp``), or None (not monitored)."""
    return next((name for name in PROTOCOL_FIELDS if getattr(asset, name, None) is not None), None)


def endpoint_of(asset: Asset) -> Endpoint | None:
    """The endpoint of the asset's device in whichever protocol it speaks, or None if it is not monitored."""
    name = endpoint_field(asset)
    endpoint: Endpoint | None = None if name is None else getattr(asset, name)
    return endpoint


@dataclass(frozen=True)
class FacilityAsset:
    """One asset of a facility with its kind and its position in the facility's list of that kind."""

    kind: DeviceKind
    index: int
    asset: Asset

    def path(self, facility_index: int) -> str:
        """Where the asset sits in a scenario file, e.g. ``facilities[3].batteries[0]``."""
        return f"facilities[{facility_index}].{FACILITY_FIELD[self.kind]}[{self.index}]"


def facility_assets(facility: Facility, kinds: Sequence[DeviceKind] = tuple(DeviceKind)) -> Iterator[FacilityAsset]:
    """Every asset of ``facility`` of the given kinds, kind by kind in the order of ``kinds``."""
    for kind in kinds:
        assets: Sequence[Asset] = getattr(facility, FACILITY_FIELD[kind])
        for index, asset in enumerate(assets):
            yield FacilityAsset(kind, index, asset)


def asset_kinds(facility: Facility) -> dict[str, DeviceKind]:
    """Asset id → device kind for every asset of a facility."""
    return {a.asset.id: a.kind for a in facility_assets(facility)}


@dataclass(frozen=True, order=True)
class DeviceKey:
    """One device: its facility id and its asset id within that facility (the store's ``device_id``).

    ``str(key)`` is the text form ``"facility/device"``; :meth:`parse` reads it back. Neither part may be
    empty or contain ``/``.
    """

    facility_id: str
    device_id: str

    def __post_init__(self) -> None:
        for name in ("facility_id", "device_id"):
            part = getattr(self, name)
            if not part or KEY_SEPARATOR in part:
                raise ValueError(f"device key {name} {part!r}: must be non-empty and contain no {KEY_SEPARATOR!r}")

    @classmethod
    def parse(cls, text: str, field: str = "device key") -> DeviceKey:
        """The key of ``"facility/device"``; ValueError naming ``field`` otherwise."""
        facility_id, sep, device_id = text.partition(KEY_SEPARATOR)
        if not sep or not facility_id or not device_id or KEY_SEPARATOR in device_id:
            raise ValueError(f"{field}: {text!r} is not 'facility/device' (e.g. 'city-hall/bat1')")
        return cls(facility_id, device_id)

    @classmethod
    def of(cls, facility: Facility, asset: Asset) -> DeviceKey:
        """The key of one asset of a facility."""
        return cls(facility.id, asset.id)

    def __str__(self) -> str:
        return f"{self.facility_id}{KEY_SEPARATOR}{self.device_id}"
