"""The EV charger over a vendor YAML map (e.g. ``ev_charger_generic``): power + = charging the car."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Self

from devices.capabilities import Values
from devices.codec import decode, encode
from devices.drivers.units import kw, number
from devices.modbus_client import ModbusConnection
from devices.readplan import Block, PlacedPoint, plan_blocks
from devices.registermap import VendorMap, vendor_map
from devices.sunspec import read_blocks

if TYPE_CHECKING:
    from devices.inventory import DeviceSpec
    from devices.registry import Transports

FAST_POINTS = ("status", "vehicle_soc_pct", "power_w", "setpoint_w", "enable")


class EVChargerDriver:
    """The vendor-map EV charger: power + = charging the car, − = V2H; set-point with the map's watchdog."""

    def __init__(self, conn: ModbusConnection, vmap: VendorMap, unit: int = 1) -> None:
        self.conn, self.vmap, self.unit = conn, vmap, unit
        names = [p.name for p in vmap.points]
        self._plans = {False: self._plan([n for n in names if n in FAST_POINTS]), True: self._plan(names)}

    @classmethod
    def from_spec(cls, spec: DeviceSpec, transports: Transports) -> Self:
        """The driver of one device: its endpoint's shared connection, its vendor map and unit id."""
        endpoint = spec.endpoint
        return cls(transports.modbus(endpoint), vendor_map(endpoint.register_map), endpoint.unit_id)

    def _plan(self, names: Sequence[str]) -> list[Block]:
        return plan_blocks(PlacedPoint(n, self.vmap.point(n), self.vmap.point(n).offset) for n in names)

    async def connect(self) -> None:
        """Nothing to discover: the map is fixed."""

    async def read(self, full: bool) -> tuple[Values, list[str]]:
        """connected, vehicle_soc, power_kw, setpoint_kw, and on full reads the ratings."""
        decoded = await read_blocks(self.conn, self.unit, self._plans[full], self.vmap.word_order)
        raw = decoded.values
        status, soc = raw.get("status"), number(raw.get("vehicle_soc_pct"))
        values: Values = {
            "connected": None if status is None else float(status in (1, 2, 3)),
            "vehicle_soc": None if soc is None else soc / 100.0,
            "power_kw": kw(raw.get("power_w")),
            "setpoint_kw": kw(raw.get("setpoint_w")) if raw.get("enable") == 1 else None,
        }
        if full:
            values["bidirectional"] = number(raw.get("bidirectional"))
            values["max_charge_kw"] = kw(raw.get("max_charge_w"))
            values["max_discharge_kw"] = kw(raw.get("max_discharge_w"))
        return values, decoded.invalid

    async def _write(self, name: str, value: float) -> None:
        point = self.vmap.point(name)
        if not point.writable:
            raise PermissionError(f"{self.vmap.name}: {name} is read-only")
        sf = point.sf if isinstance(point.sf, int) else 0
        await self.conn.write(point.offset, encode(point.type, value, sf, point.size, self.vmap.word_order), self.unit)

    async def write_setpoint(self, value: float, revert_s: float | None) -> float | None:
        """Set-point in kW (+ charge, − V2H): watchdog seconds, setpoint_w, then enable=1; returns the read-back."""
        if revert_s is not None and self.vmap.watchdog_point:
            await self._write(self.vmap.watchdog_point, round(revert_s))
        await self._write("setpoint_w", value * 1000.0)
        await self._write("enable", 1)
        point = self.vmap.point("setpoint_w")
        words = await self.conn.read(point.offset, point.size, self.unit)
        return kw(decode(point.type, words, self.vmap.word_order))
