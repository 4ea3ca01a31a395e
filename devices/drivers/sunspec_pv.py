"""SunSpec PV inverter (model 103/101, nameplate 120, immediate controls 123): curtailment in % of WMax."""

from __future__ import annotations

from devices.capabilities import Values
from devices.drivers.sunspec_base import SunSpecDriver
from devices.drivers.units import kw, number


class PVInverterDriver(SunSpecDriver):
    """SunSpec inverter 103/101 with nameplate 120 and immediate controls 123 (curtailment in % of WMax)."""

    FAST = ((103, "W"), (101, "W"))
    SLOW = (
        (103, "WH"),
        (103, "St"),
        (101, "WH"),
        (101, "St"),
        (120, "WRtg"),
        (123, "WMaxLimPct"),
        (123, "WMaxLim_Ena"),
    )

    async def read(self, full: bool) -> tuple[Values, list[str]]:
        """power_kw (+ generation), and on full reads energy_kwh, status, limit_pct, rated_kw."""
        raw, bad = await self.read_raw(full)
        m = 103 if "103.W" in raw else 101
        values: Values = {"power_kw": kw(raw.get(f"{m}.W"))}
        if full:
            values["energy_kwh"] = kw(raw.get(f"{m}.WH"))
            values["status"] = number(raw.get(f"{m}.St"))
            values["rated_kw"] = kw(raw.get("120.WRtg"))
            enabled = raw.get("123.WMaxLim_Ena") == 1
            values["limit_pct"] = number(raw.get("123.WMaxLimPct")) if enabled else 100.0
        return values, bad

    async def write_setpoint(self, value: float, revert_s: float | None) -> float | None:
        """Curtail to ``value`` % of WMax: write WMaxLimPct (and its revert time, s) first, then WMaxLim_Ena."""
        if revert_s is not None:
            await self.write_point(123, "WMaxLimPct_RvrtTms", round(revert_s))
        if value >= 100.0:
            await self.write_point(123, "WMaxLim_Ena", 0)
            return 100.0 if await self.read_point(123, "WMaxLim_Ena") == 0 else None
        await self.write_point(123, "WMaxLimPct", value)
        await self.write_point(123, "WMaxLim_Ena", 1)
        return number(await self.read_point(123, "WMaxLimPct"))
