"""A PV inverter (or the PV side of a hybrid) over a vendor YAML map: power + = generation; curtailment in %.

The curtailment register may hold a percentage (units %) or an absolute power (W or kW): then the limit in % of
the rated power (the map's ``rated_kw`` field) is converted. A map without a PV set-point is read-only.
"""

from __future__ import annotations

from devices.capabilities import Values
from devices.codec import CodecError
from devices.drivers.vendor_base import RawValues, VendorDriver
from devices.vendormap import unit_factor
from scenarios.device_identity import DeviceKind


class VendorPVDriver(VendorDriver):
    """power_kw every cycle; energy, status, rating and the active limit on full reads; limit_pct set-point."""

    KIND = DeviceKind.PV

    def limit_pct(self, raw: RawValues) -> float | None:
        """The active limit in % of the rated power (100 = none), from the set-point register."""
        sp = self.cap.setpoint
        if sp is None or sp.point is None:
            return None
        if sp.enable is not None and raw.get(sp.enable[0]) != sp.enable[1]:
            return 100.0
        value, point = raw.get(sp.point), self.vmap.point(sp.point)
        if not isinstance(value, (int, float)):
            return None
        if unit_factor(point.units, "%") is not None:
            return float(value)
        rated, kw = self.field("rated_kw", raw), self.power_kw(sp.point, raw)
        return None if not rated or kw is None else min(kw / rated * 100.0, 100.0)

    def derive(self, values: Values, raw: RawValues, full: bool) -> Values:
        """limit_pct from the set-point register on full reads unless the map reads it directly."""
        values.pop("setpoint_kw", None)
        if full and "limit_pct" not in self.cap.read and self.cap.setpoint is not None:
            values["limit_pct"] = self.limit_pct(raw)
        return values

    def setpoint_points(self) -> list[str]:
        """The limit register, its enable and (for an absolute limit) the rated power."""
        names = super().setpoint_points()
        if "rated_kw" in self.cap.read:
            names.append(self.cap.read["rated_kw"].point)
        return names

    async def write_setpoint(self, value: float, revert_s: float | None) -> float | None:
        """Curtail to ``value`` % of the rated power (100 = no limit); returns the read-back in %."""
        sp = self.cap.setpoint
        if sp is None or sp.point is None:
            raise PermissionError(f"{self.vmap.label} gives no PV curtailment register")
        point = self.vmap.point(sp.point)
        if unit_factor(point.units, "%") is not None:
            target = value
        else:
            raw = await self.read_raw(False)
            rated = self.field("rated_kw", raw)
            if not rated:
                raise CodecError(f"{self.vmap.label}: rated power unknown, cannot turn {value:g} % into {point.units}")
            target = self.in_units(sp.point, "setpoint_kw", rated * value / 100.0)
        writes = [*sp.before, *self.watchdog_writes(sp, revert_s), (sp.point, target)]
        await self.send([*writes, *([sp.enable] if sp.enable else [])])
        return self.limit_pct(await self.read_raw(False))
