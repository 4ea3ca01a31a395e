"""Vendor register maps as data: the typed form of a map file (the format is ``docs/device-maps.md``).

A :class:`VendorMap` lists register points (absolute 0-based addresses, holding or input registers, any type
with its word order, any scale and sign, the vendor's "not available" values, writable points with limits) and,
per device kind it serves, which capability field each point supplies (:class:`Capability`: ``read``) and how
the kind's set-point is written (:class:`SetpointSpec`). A map with several kinds describes one device with
several capabilities behind one Modbus address (a hybrid inverter: PV, battery and its grid meter).

Units: a point's ``units`` are those of its scaled value (W, kW, Wh, kWh, %, s, min, or none); capability
fields have the units of :data:`devices.capabilities.FIELDS` (kW, kWh, fraction 0..1, %); :func:`to_field` and
:func:`from_field` convert between them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from devices.registermap import Point, PointTable
from scenarios.device_identity import DeviceKind

FIELD_UNITS: dict[str, dict[str, float]] = {
    "kW": {"W": 1e-3, "kW": 1.0},
    "kWh": {"Wh": 1e-3, "kWh": 1.0},
    "fraction": {"%": 1e-2, "fraction": 1.0},
    "%": {"%": 1.0},
    "s": {"s": 1.0, "min": 60.0},
    "": {"": 1.0},
}
"""Point units each field unit accepts, with the factor from the point's unit to the field's."""
FAST_FIELDS = frozenset({"power_kw", "soc", "vehicle_soc", "connected", "setpoint_kw", "import_kw", "export_kw"})
"""Fields read every cycle; the others (energies, ratings, status, limits) only on full reads."""


def field_unit(name: str) -> str:
    """The unit family of a capability field: kW, kWh, fraction, % or '' (counts, enums, flags)."""
    if name.endswith("_kw"):
        return "kW"
    if name.endswith("_kwh"):
        return "kWh"
    if name in ("soc", "vehicle_soc"):
        return "fraction"
    if name.endswith("_pct"):
        return "%"
    return ""


def unit_factor(point_units: str | None, family: str) -> float | None:
    """Factor from a point's units to a field unit family, or None if they do not match."""
    return FIELD_UNITS.get(family, {}).get(point_units or "")


@dataclass(frozen=True)
class FieldSource:
    """Where a capability field comes from: a point, and optionally a lookup from its decoded value to the field
    value (enums: e.g. charger states → connected 0/1)."""

    point: str
    values: Mapping[float, float] | None = None


@dataclass(frozen=True)
class ModeSpec:
    """A mode register that selects the direction of a two-register set-point: the raw values meaning charge,
    discharge, hold at 0 (``hold``) and hand control back to the device (``release``); each may be absent."""

    point: str
    charge: float | None = None
    discharge: float | None = None
    hold: float | None = None
    release: float | None = None


@dataclass(frozen=True)
class SetpointSpec:
    """How a kind's set-point is written (values in the order below; every one is encoded before the first write).

    ``before``: fixed values written first (e.g. take remote control). ``watchdog``: a revert time point (s or
    min). Then either ``point`` (one signed point: battery + = discharge, EV + = charge, PV: a limit in % or in
    W/kW of the rated power) or ``mode`` with the magnitudes ``charge``/``discharge``. ``enable``: a point and
    the value written last to make the set-point take effect.
    """

    point: str | None = None
    mode: ModeSpec | None = None
    charge: str | None = None
    discharge: str | None = None
    enable: tuple[str, float] | None = None
    watchdog: str | None = None
    before: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Capability:
    """What a map provides for one device kind: fields read (``read``) and the set-point (``setpoint``)."""

    kind: DeviceKind
    read: Mapping[str, FieldSource]
    setpoint: SetpointSpec | None = None


@dataclass(frozen=True)
class VendorMap(PointTable):
    """A vendor register map: its points and, by device kind, the capabilities it serves."""

    name: str
    description: str
    source: str
    word_order: str
    points: tuple[Point, ...]
    capabilities: Mapping[DeviceKind, Capability] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """ "vendor map '<name>'"."""
        return f"vendor map {self.name!r}"

    @property
    def kinds(self) -> list[DeviceKind]:
        """The device kinds the map serves."""
        return list(self.capabilities)

    def capability(self, kind: DeviceKind) -> Capability:
        """The map's capability for ``kind``; KeyError naming the kinds it has."""
        if kind not in self.capabilities:
            raise KeyError(f"{self.label} serves {[str(k) for k in self.kinds]}, not {kind}")
        return self.capabilities[kind]


def to_field(name: str, point: Point, value: float | int | str | None, source: FieldSource) -> float | None:
    """A decoded point value as the capability field ``name`` (lookup, then units → field units)."""
    if not isinstance(value, (int, float)):
        return None
    if source.values is not None:
        mapped = source.values.get(float(value))
        return None if mapped is None else float(mapped)
    factor = unit_factor(point.units, field_unit(name))
    return None if factor is None else float(value) * factor + 0.0  # + 0.0: no -0.0 from a sign flip of 0


def from_field(name: str, point: Point, value: float, source: FieldSource | None = None) -> float | None:
    """The point value (in the point's units) that reads back as field ``name`` = ``value`` (simulators)."""
    if source is not None and source.values is not None:
        return next((float(raw) for raw, mapped in source.values.items() if mapped == value), None)
    factor = unit_factor(point.units, field_unit(name))
    return None if not factor else value / factor
