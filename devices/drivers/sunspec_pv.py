"""SunSpec PV inverter: AC power from the inverter model (101-103 integer + SF, 111-113 float), nameplate 120,
immediate controls 123 (curtailment in % of WMax); on a hybrid unit, PV power from the MPPT model 160."""

from __future__ import annotations

from devices.capabilities import Values
from devices.drivers.sunspec_base import SunSpecDriver, Wanted
from devices.drivers.sunspec_storage import STORAGE_MODELS, mppt_modules, pv_and_storage_w
from devices.drivers.units import kw, number

INVERTER_MODELS = (103, 102, 101, 113, 112, 111)
"""Inverter models in order of preference (three-, split-, single-phase; integer + SF before float)."""


class PVInverterDriver(SunSpecDriver):
    """SunSpec inverter with nameplate 120 and immediate controls 123 (curtailment in % of WMax).

    power_kw is the inverter model's W (AC, + = generation). On a hybrid unit (the chain also holds a storage
    model: 124, 802, 713) W includes the battery, so power_kw is then the PV modules' DC power from model 160
    (modules whose IDStr names a storage port, StCha/StDisCha as Fronius labels them, are left out).
    """

    def inverter(self) -> int | None:
        """The inverter model of the discovered chain (first of :data:`INVERTER_MODELS`), or None."""
        return next((m for m in INVERTER_MODELS if self.has(m)), None)

    def hybrid(self) -> bool:
        """True if the unit also hosts storage and reports its MPPT modules (model 160)."""
        return self.has(160) and any(self.has(m) for m in STORAGE_MODELS)

    def wanted(self, full: bool) -> Wanted:
        """W of the inverter model (or the 160 modules on a hybrid); on full reads also WH, St, WRtg, the limit."""
        inv = self.inverter()
        fast: Wanted = mppt_modules(self.map) if self.hybrid() else []
        if inv is not None:
            fast.append((inv, "W"))
        if not full:
            return fast
        slow: Wanted = [(inv, "WH"), (inv, "St")] if inv is not None else []
        return fast + slow + [(120, "WRtg"), (123, "WMaxLimPct"), (123, "WMaxLim_Ena")]

    async def read(self, full: bool) -> tuple[Values, list[str]]:
        """power_kw (+ generation), and on full reads energy_kwh, status, limit_pct, rated_kw."""
        raw, bad = await self.read_raw(full)
        inv = self.inverter()
        power = pv_and_storage_w(raw)[0] if self.hybrid() else (raw.get(f"{inv}.W") if inv else None)
        values: Values = {"power_kw": kw(power)}
        if full:
            values["energy_kwh"] = kw(raw.get(f"{inv}.WH")) if inv else None
            values["status"] = number(raw.get(f"{inv}.St")) if inv else None
            values["rated_kw"] = kw(raw.get("120.WRtg"))
            enabled = raw.get("123.WMaxLim_Ena") == 1
            values["limit_pct"] = number(raw.get("123.WMaxLimPct")) if enabled else 100.0
        return values, bad

    async def write_setpoint(self, value: float, revert_s: float | None) -> float | None:
        """Curtail to ``value`` % of WMax: WMaxLimPct (and its revert time, s) first, then WMaxLim_Ena; every value
        is encoded before the first write."""
        writes: list[tuple[str, float]] = []
        if revert_s is not None:
            writes.append(("WMaxLimPct_RvrtTms", round(revert_s)))
        if value >= 100.0:
            await self.write_prepared(await self.prepare(123, [*writes, ("WMaxLim_Ena", 0)]))
            return 100.0 if await self.read_point(123, "WMaxLim_Ena") == 0 else None
        await self.write_prepared(await self.prepare(123, [*writes, ("WMaxLimPct", value), ("WMaxLim_Ena", 1)]))
        return number(await self.read_point(123, "WMaxLimPct"))
