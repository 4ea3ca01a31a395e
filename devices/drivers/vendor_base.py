"""The base of the vendor-map drivers: one device kind of a vendor YAML map, read and written as the map says.

The map (:mod:`devices.vendormap`) names, for the kind, the point behind each capability field and how the
set-point is written; this base reads those points (fast fields every cycle, the rest on full reads, with a
:class:`~devices.blockreader.BlockReader` that learns the reads the device refuses), converts units and signs,
and writes set-points with every register encoded and checked against the map's limits before the first write.
One subclass per kind (``vendor_pv``, ``vendor_battery``, ``vendor_meter``, ``vendor_ev_charger``) adds what is
particular to it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Self

from devices.blockreader import BlockReader
from devices.capabilities import Values
from devices.codec import CodecError, encode
from devices.inventory import resolve_map
from devices.modbus_client import ModbusConnection
from devices.readplan import PlacedPoint, plan_blocks
from devices.registry import DeviceConfigError
from devices.vendormap import FAST_FIELDS, Capability, SetpointSpec, VendorMap, from_field, to_field, unit_factor
from scenarios.device_identity import DeviceKind

if TYPE_CHECKING:
    from devices.inventory import DeviceSpec
    from devices.registry import Transports

RawValues = dict[str, float | int | str | None]
Write = tuple[str, float]
"""A point name and the value to write in the point's units."""


class VendorDriver:
    """One kind of a vendor map. ``POSITIVE`` names the direction of a positive set-point (battery: discharge to
    the site; EV charger: charging the car)."""

    KIND: ClassVar[DeviceKind]
    POSITIVE: ClassVar[str] = "discharge"

    def __init__(self, conn: ModbusConnection, vmap: VendorMap, unit: int = 1) -> None:
        self.conn, self.vmap, self.unit = conn, vmap, unit
        self.cap: Capability = vmap.capability(self.KIND)
        fast = {s.point for f, s in self.cap.read.items() if f in FAST_FIELDS} | set(self.setpoint_points())
        every = fast | {s.point for s in self.cap.read.values()}
        self._readers = {False: self._reader(fast), True: self._reader(every)}

    @classmethod
    def from_spec(cls, spec: DeviceSpec, transports: Transports) -> Self:
        """The driver of one device: its endpoint's shared connection, its resolved vendor map and unit id (a spec
        built without resolving is resolved from the packaged maps)."""
        if spec.vendor_map is None and spec.map_error is None:
            spec = resolve_map(spec)
        if spec.vendor_map is None:
            raise DeviceConfigError(f"{spec.key}: register_map {spec.modbus.register_map!r}: {spec.map_error}")
        return cls(transports.modbus(spec.modbus), spec.vendor_map, spec.modbus.unit_id)

    def _reader(self, names: set[str]) -> BlockReader:
        placed = [PlacedPoint(n, self.vmap.point(n), self.vmap.point(n).offset) for n in sorted(names)]
        return BlockReader(plan_blocks(placed), self.vmap.word_order)

    def setpoint_points(self) -> list[str]:
        """The points that tell the active set-point (read every cycle)."""
        sp = self.cap.setpoint
        if sp is None:
            return []
        names = [sp.point, sp.charge, sp.discharge, sp.mode.point if sp.mode else None]
        names.append(sp.enable[0] if sp.enable else None)
        return [n for n in names if n is not None]

    async def connect(self) -> None:
        """Nothing to discover: the map is fixed."""

    def field(self, name: str, raw: RawValues) -> float | None:
        """Capability field ``name`` from decoded points (None if the map does not give it)."""
        source = self.cap.read.get(name)
        if source is None:
            return None
        return to_field(name, self.vmap.point(source.point), raw.get(source.point), source)

    def power_kw(self, name: str, raw: RawValues) -> float | None:
        """A decoded point that holds a power (W or kW) as kW, or None."""
        point = self.vmap.point(name)
        value, factor = raw.get(name), unit_factor(point.units, "kW")
        return float(value) * factor if isinstance(value, (int, float)) and factor is not None else None

    def active_setpoint_kw(self, raw: RawValues) -> float | None:
        """The set-point the device holds (kW, + per ``POSITIVE``), or None if none is active."""
        sp = self.cap.setpoint
        if sp is None or (sp.enable is not None and raw.get(sp.enable[0]) != sp.enable[1]):
            return None
        if sp.point is not None:
            return self.power_kw(sp.point, raw)
        return self._mode_kw(sp, raw)

    def _mode_kw(self, sp: SetpointSpec, raw: RawValues) -> float | None:
        mode = sp.mode
        value = raw.get(mode.point) if mode is not None else None
        if mode is None or not isinstance(value, (int, float)):
            return None
        if value == mode.hold:
            return 0.0
        magnitude = {mode.charge: sp.charge, mode.discharge: sp.discharge}.get(float(value))
        kw = self.power_kw(magnitude, raw) if magnitude is not None else None
        if kw is None:
            return None
        positive = (value == mode.discharge) == (self.POSITIVE == "discharge")
        return abs(kw) if positive else -abs(kw)

    async def read_raw(self, full: bool) -> RawValues:
        """Decoded point values by point name (fast points, or every point of the kind when ``full``)."""
        return (await self._readers[full].read(self.conn, self.unit)).values

    async def read(self, full: bool) -> tuple[Values, list[str]]:
        """The kind's fields (fast ones, plus the rest on full reads) and the set-point the device holds."""
        raw = await self.read_raw(full)
        values: Values = {f: self.field(f, raw) for f in self.cap.read if full or f in FAST_FIELDS}
        if "setpoint_kw" not in self.cap.read and self.cap.setpoint is not None:
            values["setpoint_kw"] = self.active_setpoint_kw(raw)
        return self.derive(values, raw, full), []

    def derive(self, values: Values, raw: RawValues, full: bool) -> Values:
        """Kind-specific fields computed from the others (meters: import/export); the default adds nothing."""
        return values

    def encode(self, writes: Sequence[Write]) -> list[tuple[int, list[int]]]:
        """Every write encoded (limits of the map, type range, invalid values checked); nothing is sent."""
        out = []
        for name, value in writes:
            point = self.vmap.point(name)
            if not point.writable:
                raise PermissionError(f"{self.vmap.label}: {name} is read-only")
            low = -math.inf if point.minimum is None else point.minimum
            high = math.inf if point.maximum is None else point.maximum
            if not low <= value <= high:
                limits = f"{low:g}..{high:g} {point.units or ''}".strip()
                raise CodecError(f"{self.vmap.label}: {name}={value:g} outside the map's limits {limits}")
            order = point.word_order or self.vmap.word_order
            words = encode(point.type, value, 0, point.size, order, factor=point.factor, invalid=point.invalid)
            out.append((point.offset, words))
        return out

    async def send(self, writes: Sequence[Write]) -> None:
        """Encode every write, then send them in order (one request per point)."""
        for address, words in self.encode(writes):
            await self.conn.write(address, words, self.unit)

    def power_writes(self, sp: SetpointSpec, value_kw: float) -> list[Write]:
        """The writes of a signed kW set-point (one signed point, or mode + magnitude)."""
        if sp.point is not None:
            return [(sp.point, self.in_units(sp.point, "setpoint_kw", value_kw))]
        mode = sp.mode
        if mode is None:
            raise PermissionError(f"{self.vmap.label}: the {self.KIND} set-point has neither point nor mode")
        if value_kw == 0 and (mode.hold is not None or mode.release is not None):
            return [(mode.point, mode.hold if mode.hold is not None else float(mode.release or 0))]
        direction = self.POSITIVE if value_kw > 0 else ("charge" if self.POSITIVE == "discharge" else "discharge")
        target, code = (sp.discharge, mode.discharge) if direction == "discharge" else (sp.charge, mode.charge)
        if target is None or code is None:
            raise PermissionError(f"{self.vmap.label}: the map gives no {direction} set-point for {self.KIND}")
        return [(target, self.in_units(target, "setpoint_kw", abs(value_kw))), (mode.point, code)]

    def in_units(self, point_name: str, field: str, value: float) -> float:
        """A field value (kW, %) in a point's units; CodecError if the units do not fit."""
        converted = from_field(field, self.vmap.point(point_name), value)
        if converted is None:
            raise CodecError(f"{self.vmap.label}: {point_name} has units {self.vmap.point(point_name).units!r}")
        return converted

    def watchdog_writes(self, sp: SetpointSpec, revert_s: float | None) -> list[Write]:
        """The revert-timer write (seconds in the point's units, minutes rounded up), if the map has one."""
        if sp.watchdog is None or revert_s is None:
            return []
        per_unit = unit_factor(self.vmap.point(sp.watchdog).units, "s") or 1.0
        return [(sp.watchdog, float(math.ceil(revert_s / per_unit)))]

    async def write_setpoint(self, value: float, revert_s: float | None) -> float | None:
        """Set-point in kW (+ per ``POSITIVE``): the map's fixed values, revert timer, the set-point registers, then
        its enable; every register is encoded before the first write. Returns the read-back in kW."""
        sp = self.cap.setpoint
        if sp is None:
            raise PermissionError(f"{self.vmap.label} gives no {self.KIND} set-point")
        writes = [*sp.before, *self.watchdog_writes(sp, revert_s), *self.power_writes(sp, value)]
        await self.send([*writes, *([sp.enable] if sp.enable else [])])
        return self.active_setpoint_kw(await self.read_raw(False))
