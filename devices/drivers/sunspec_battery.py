"""SunSpec battery: power from 701 W (DER AC, + = discharge), 802 W (battery bank) or the storage ports of 160;
SoC from 713, 802 or 124 ChaState; rates from 702 or 802 (124 WChaMax); set-point through 704 WSet or 124."""

from __future__ import annotations

from devices.capabilities import Values
from devices.codec import CodecError
from devices.drivers.sunspec_base import RawValues, SunSpecDriver, Wanted
from devices.drivers.sunspec_storage import mppt_modules, pv_and_storage_w
from devices.drivers.units import kw, number

FAST_POINTS: Wanted = [
    (701, "W"),
    (802, "W"),
    (713, "SoC"),
    (802, "SoC"),
    (124, "ChaState"),
    (704, "WSetEna"),
    (704, "WSet"),
    (124, "StorCtl_Mod"),
    (124, "OutWRte"),
    (124, "WChaMax"),
]
SLOW_POINTS: Wanted = [(702, "WChaRteMax"), (702, "WDisChaRteMax"), (802, "WChaRteMax"), (802, "WDisChaRteMax")]


def _first(raw: RawValues, *keys: str) -> float | None:
    """The first of ``keys`` that decoded to a number."""
    return next((v for v in (number(raw.get(k)) for k in keys) if v is not None), None)


class BatteryDriver(SunSpecDriver):
    """SunSpec battery, from whichever models the unit has (IEEE 1547 DER 701-713, or 124/802 with or without 701).

    power_kw (+ = discharge): 701 W, else 802 W (the bank's power; evcc's SunSpec battery reads it the same way),
    else the storage ports of model 160 (hybrid inverters such as the Fronius GEN24). soc: 713 SoC, else 802 SoC,
    else 124 ChaState (all in %). setpoint_kw: 704 WSet while WSetEna=1, else 124 OutWRte × WChaMax while
    StorCtl_Mod limits charge or discharge.
    """

    def wanted(self, full: bool) -> Wanted:
        """The storage points (and the 160 modules when neither 701 nor 802 gives the power)."""
        fast = list(FAST_POINTS)
        if not self.has(701) and not self.has(802):
            fast += mppt_modules(self.map)
        return fast + SLOW_POINTS if full else fast

    async def read(self, full: bool) -> tuple[Values, list[str]]:
        """soc, power_kw (+ discharge), setpoint_kw, and on full reads the charge/discharge limits."""
        raw, bad = await self.read_raw(full)
        power = _first(raw, "701.W", "802.W")
        if power is None and not self.has(701) and not self.has(802):
            power = pv_and_storage_w(raw)[1]
        soc = _first(raw, "713.SoC", "802.SoC", "124.ChaState")
        values: Values = {
            "power_kw": kw(power),
            "soc": None if soc is None else soc / 100.0,
            "setpoint_kw": self._setpoint_kw(raw),
        }
        if full:
            values["charge_limit_kw"] = kw(_first(raw, "702.WChaRteMax", "802.WChaRteMax", "124.WChaMax"))
            values["discharge_limit_kw"] = kw(_first(raw, "702.WDisChaRteMax", "802.WDisChaRteMax"))
        return values, bad

    def _setpoint_kw(self, raw: RawValues) -> float | None:
        if self.has(704):
            return kw(raw.get("704.WSet")) if raw.get("704.WSetEna") == 1 else None
        mode, pct, w_max = raw.get("124.StorCtl_Mod"), number(raw.get("124.OutWRte")), number(raw.get("124.WChaMax"))
        if not isinstance(mode, int) or not mode & 3 or pct is None or not w_max:
            return None
        return pct / 100.0 * w_max / 1000.0

    async def write_setpoint(self, value: float, revert_s: float | None) -> float | None:
        """Power set-point in kW (+ discharge): 704 WSetMod=1 (watts), WSet, WSetRvrtTms (s), then WSetEna=1.

        Devices without 704 get 124: StorCtl_Mod=3 with OutWRte/InWRte in % of WChaMax (negative OutWRte = charge).
        Every register is encoded (SFs read, ranges checked) before the first one is written. A battery with
        neither (802 alone describes the bank, it has no power set-point) is refused, naming model 124.
        """
        await self.connect()
        if self.has(704):
            writes: list[tuple[str, float]] = [("WSetMod", 1), ("WSet", value * 1000.0)]
            if revert_s is not None:
                writes.append(("WSetRvrtTms", round(revert_s)))
            await self.write_prepared(await self.prepare(704, [*writes, ("WSetEna", 1)]))
            return kw(await self.read_point(704, "WSet"))
        if self.has(124):
            return await self._write_124(value, revert_s)
        raise PermissionError(
            f"{self.conn.label} unit {self.unit}: no power set-point: the unit has neither model 704 (DER AC "
            "controls) nor model 124 (basic storage controls); model 802 alone describes the battery bank"
        )

    async def _write_124(self, value: float, revert_s: float | None) -> float | None:
        w_max = number(await self.read_point(124, "WChaMax"))
        if not w_max:
            raise CodecError("model 124 WChaMax not implemented: cannot express a set-point in %")
        pct = max(-100.0, min(100.0, value * 1000.0 / w_max * 100.0))
        writes: list[tuple[str, float]] = [("OutWRte", pct), ("InWRte", -pct)]
        if revert_s is not None:
            writes.append(("InOutWRte_RvrtTms", round(revert_s)))
        await self.write_prepared(await self.prepare(124, [*writes, ("StorCtl_Mod", 3)]))
        back = number(await self.read_point(124, "OutWRte"))
        return None if back is None else back / 100.0 * w_max / 1000.0
