"""Capability interfaces of the devices the EMS talks to, with units and sign conventions.

Sign conventions (all powers in kW, energies in kWh, SoC as a fraction 0..1):

* PV inverter ``power_kw``: AC output, + = generation into the site.
* Battery ``power_kw`` and ``setpoint_kw``: AC side, **+ = discharge to the site, − = charging**
  (the SunSpec 701/704 convention: positive = injection).
* EV charger ``power_kw`` and ``setpoint_kw``: **+ = charging the car (a load on the site),
  − = discharging the car into the site (V2H)**.
* Meter at the grid connection ``power_kw``: **+ = import from the grid, − = export**;
  ``import_kw``/``export_kw`` are the non-negative parts.

Readings are stamped with tz-aware UTC times. ``devices`` never imports ``runtime``: readings and
audit entries are handed to sinks (Protocols) that the runtime implements. Kinds
(:class:`~scenarios.device_identity.DeviceKind`) and device keys (:class:`~scenarios.device_identity.DeviceKey`)
are the scenario's, shared by every layer. Which set-point a device type accepts is declared by its entry in the
driver registry (:mod:`devices.registry`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from scenarios.device_identity import DeviceKey, DeviceKind


class Quality(StrEnum):
    """Quality of a reading.

    good: read in this cycle and plausible. stale: this cycle failed; the values are the last good ones
    (``measured_at`` says when). missing: the device answered but none of the capability's main values
    (:data:`MAIN_FIELDS`) is implemented (sentinel). error: this cycle failed and no earlier value exists, or
    the answer was garbage.
    """

    GOOD = "good"
    STALE = "stale"
    MISSING = "missing"
    ERROR = "error"


FIELDS: dict[DeviceKind, dict[str, str]] = {
    DeviceKind.PV: {
        "power_kw": "kW AC, + = generation",
        "energy_kwh": "kWh lifetime AC energy",
        "status": "SunSpec St enum (4 MPPT, 5 THROTTLED, 8 STANDBY)",
        "limit_pct": "% of WMax, active-power limit (100 = no limit)",
        "rated_kw": "kW nameplate",
    },
    DeviceKind.BATTERY: {
        "soc": "fraction 0..1",
        "power_kw": "kW AC, + = discharge to the site, - = charging",
        "charge_limit_kw": "kW, max charge power",
        "discharge_limit_kw": "kW, max discharge power",
        "setpoint_kw": "kW, active set-point (+ = discharge), None if none is active",
    },
    DeviceKind.EV: {
        "connected": "1 if a car is plugged in, else 0",
        "vehicle_soc": "fraction 0..1, None if unknown",
        "power_kw": "kW, + = charging the car, - = V2H discharge",
        "setpoint_kw": "kW, + = charge",
        "bidirectional": "1 if V2H capable",
        "max_charge_kw": "kW",
        "max_discharge_kw": "kW",
    },
    DeviceKind.METER: {
        "power_kw": "kW net, + = import from grid",
        "import_kw": "kW >= 0",
        "export_kw": "kW >= 0",
        "import_kwh": "kWh lifetime import",
        "export_kwh": "kWh lifetime export",
    },
}
MAIN_FIELD: dict[DeviceKind, str] = {
    DeviceKind.PV: "power_kw",
    DeviceKind.BATTERY: "power_kw",
    DeviceKind.EV: "power_kw",
    DeviceKind.METER: "power_kw",
}
MAIN_FIELDS: dict[DeviceKind, tuple[str, ...]] = {kind: (field,) for kind, field in MAIN_FIELD.items()}
MAIN_FIELDS[DeviceKind.BATTERY] = ("power_kw", "soc")
"""The fields of which at least one must be implemented for a reading to be good (a battery reporting its SoC but
no power, e.g. a 124-only SunSpec unit, is still read: the plan needs its SoC)."""


@dataclass(frozen=True)
class PVInverterValues:
    """PV inverter: ``power_kw`` kW AC (+ = generation), ``energy_kwh`` kWh lifetime, ``status`` SunSpec St,
    ``limit_pct`` active-power limit in % of WMax (100 = none), ``rated_kw`` kW nameplate."""

    power_kw: float | None = None
    energy_kwh: float | None = None
    status: float | None = None
    limit_pct: float | None = None
    rated_kw: float | None = None


@dataclass(frozen=True)
class BatteryValues:
    """Battery: ``soc`` fraction 0..1, ``power_kw`` kW AC (**+ = discharge to the site, − = charging**),
    ``charge_limit_kw``/``discharge_limit_kw`` kW (positive numbers), ``setpoint_kw`` kW (+ = discharge)."""

    soc: float | None = None
    power_kw: float | None = None
    charge_limit_kw: float | None = None
    discharge_limit_kw: float | None = None
    setpoint_kw: float | None = None


@dataclass(frozen=True)
class EVChargerValues:
    """EV charger: ``connected`` 1/0, ``vehicle_soc`` fraction (None if the car does not tell), ``power_kw`` kW
    (**+ = charging the car, − = V2H discharge**), ``setpoint_kw`` kW, ``bidirectional`` 1/0, limits in kW."""

    connected: float | None = None
    vehicle_soc: float | None = None
    power_kw: float | None = None
    setpoint_kw: float | None = None
    bidirectional: float | None = None
    max_charge_kw: float | None = None
    max_discharge_kw: float | None = None


@dataclass(frozen=True)
class MeterValues:
    """Grid meter: ``power_kw`` kW net (**+ = import**), ``import_kw``/``export_kw`` kW ≥ 0, energies kWh lifetime."""

    power_kw: float | None = None
    import_kw: float | None = None
    export_kw: float | None = None
    import_kwh: float | None = None
    export_kwh: float | None = None


Values = dict[str, float | None]
"""Capability values of one reading by field name (units in ``FIELDS``; None = not implemented)."""

CapabilityValues = PVInverterValues | BatteryValues | EVChargerValues | MeterValues
VALUE_TYPES: dict[DeviceKind, type[CapabilityValues]] = {
    DeviceKind.PV: PVInverterValues,
    DeviceKind.BATTERY: BatteryValues,
    DeviceKind.EV: EVChargerValues,
    DeviceKind.METER: MeterValues,
}


def utc_now() -> dt.datetime:
    """The current time, tz-aware UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Reading:
    """One device's values at one poll.

    ``time``: when the poll produced this reading (UTC). ``measured_at``: when the values were read from
    the device (older than ``time`` if stale, None if never). ``values`` keys and units: see ``FIELDS``.
    """

    key: DeviceKey
    kind: DeviceKind
    time: dt.datetime
    quality: Quality
    values: Mapping[str, float | None]
    measured_at: dt.datetime | None = None
    error: str | None = None

    def typed(self) -> CapabilityValues:
        """The values as the kind's typed capability record (absent fields are None)."""
        return VALUE_TYPES[self.kind](**dict(self.values))


@dataclass(frozen=True)
class AuditEntry:
    """One guarded write: who asked, what, when, the requested and applied value, the outcome.

    ``result``: ok, dry-run, refused, failed, mismatch (read-back differs) or refresh-ok/refresh-failed.
    """

    who: str
    key: DeviceKey
    point: str
    time: dt.datetime
    requested: float
    applied: float | None
    result: str
    detail: str = ""


class ReadingSink(Protocol):
    """Where the poller hands readings (the runtime stores them)."""

    def submit(self, readings: Sequence[Reading]) -> None:
        """Take one cycle's readings."""


class AuditSink(Protocol):
    """Where guarded writes record their audit entries."""

    def record(self, entry: AuditEntry) -> None:
        """Store one audit entry."""


@dataclass
class ListSink:
    """A sink keeping everything in memory (tests, CLI)."""

    readings: list[Reading] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)

    def submit(self, readings: Sequence[Reading]) -> None:
        """Append readings."""
        self.readings.extend(readings)

    def record(self, entry: AuditEntry) -> None:
        """Append an audit entry."""
        self.audit.append(entry)


class CapabilityDriver(Protocol):
    """What the poller needs from a device driver of any kind (built by its registry entry)."""

    async def connect(self) -> None:
        """Discover the device (SunSpec chain) if not done yet; raises DeviceError/DiscoveryError."""

    async def read(self, full: bool) -> tuple[Values, list[str]]:
        """Read capability values (fast points, or all points when ``full``) and names of garbage points."""


@runtime_checkable
class SetpointDriver(Protocol):
    """What a driver of a type with a set-point has besides :class:`CapabilityDriver` (the guarded write path
    checks it before writing)."""

    async def write_setpoint(self, value: float, revert_s: float | None) -> float | None:
        """Write the set-point (units per ``FIELDS``) with a revert timer (s); returns the read-back value."""
