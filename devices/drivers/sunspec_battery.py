"""SunSpec DER battery: 701 W (+ = discharge), 713/802 SoC, 702 rates, 704 WSet (or 124 OutWRte/InWRte)."""

from __future__ import annotations

from devices.capabilities import Values
from devices.codec import CodecError
from devices.drivers.sunspec_base import SunSpecDriver
from devices.drivers.units import kw, number


class BatteryDriver(SunSpecDriver):
    """SunSpec DER battery: 701 W (+ = discharge), 713 SoC, 702 rates, 704 WSet (or 124 OutWRte/InWRte)."""

    FAST = ((701, "W"), (713, "SoC"), (802, "SoC"), (704, "WSetEna"), (704, "WSet"))
    SLOW = ((702, "WChaRteMax"), (702, "WDisChaRteMax"), (124, "WChaMax"))

    async def read(self, full: bool) -> tuple[Values, list[str]]:
        """soc, power_kw (+ discharge), setpoint_kw, and on full reads the charge/discharge limits."""
        raw, bad = await self.read_raw(full)
        soc = number(raw.get("713.SoC"))
        soc = soc if soc is not None else number(raw.get("802.SoC"))
        values: Values = {
            "power_kw": kw(raw.get("701.W")),
            "soc": None if soc is None else soc / 100.0,
            "setpoint_kw": kw(raw.get("704.WSet")) if raw.get("704.WSetEna") == 1 else None,
        }
        if full:
            values["charge_limit_kw"] = kw(raw.get("702.WChaRteMax"))
            values["discharge_limit_kw"] = kw(raw.get("702.WDisChaRteMax"))
        return values, bad

    async def write_setpoint(self, value: float, revert_s: float | None) -> float | None:
        """Power set-point in kW (+ discharge): 704 WSetMod=1 (watts), WSet, WSetRvrtTms (s), then WSetEna=1.

        Devices without 704 get 124: StorCtl_Mod=3 with OutWRte/InWRte in % of WChaMax (negative OutWRte = charge).
        """
        await self.connect()
        if self.has(704):
            await self.write_point(704, "WSetMod", 1)
            await self.write_point(704, "WSet", value * 1000.0)
            if revert_s is not None:
                await self.write_point(704, "WSetRvrtTms", round(revert_s))
            await self.write_point(704, "WSetEna", 1)
            return kw(await self.read_point(704, "WSet"))
        return await self._write_124(value, revert_s)

    async def _write_124(self, value: float, revert_s: float | None) -> float | None:
        w_max = number(await self.read_point(124, "WChaMax"))
        if not w_max:
            raise CodecError("model 124 WChaMax not implemented: cannot express a set-point in %")
        pct = max(-100.0, min(100.0, value * 1000.0 / w_max * 100.0))
        await self.write_point(124, "OutWRte", pct)
        await self.write_point(124, "InWRte", -pct)
        if revert_s is not None:
            await self.write_point(124, "InOutWRte_RvrtTms", round(revert_s))
        await self.write_point(124, "StorCtl_Mod", 3)
        back = number(await self.read_point(124, "OutWRte"))
        return None if back is None else back / 100.0 * w_max / 1000.0
