"""SunSpec grid meter, any wiring (201 single-phase, 202 split-phase 単相3線, 203 wye, 204 delta 三相3線) and both
encodings (integer + SF, float 211-214): read-only."""

from __future__ import annotations

from devices.capabilities import Values
from devices.drivers.sunspec_base import SunSpecDriver, Wanted
from devices.drivers.units import kw

METER_MODELS = (203, 204, 202, 201, 213, 214, 212, 211)
"""Meter models in order of preference (the first one the unit has is read)."""


class MeterDriver(SunSpecDriver):
    """SunSpec meter; W + = import at the grid connection, TotWhImp/TotWhExp lifetime energies."""

    def model(self) -> int | None:
        """The meter model of the discovered chain, or None."""
        return next((m for m in METER_MODELS if self.has(m)), None)

    def wanted(self, full: bool) -> Wanted:
        """W every cycle, the energy counters on full reads."""
        m = self.model()
        if m is None:
            return []
        return [(m, "W"), (m, "TotWhImp"), (m, "TotWhExp")] if full else [(m, "W")]

    async def read(self, full: bool) -> tuple[Values, list[str]]:
        """power_kw (+ import), import/export kW and kWh."""
        raw, bad = await self.read_raw(full)
        m = self.model()
        power = kw(raw.get(f"{m}.W"))
        values: Values = {
            "power_kw": power,
            "import_kw": None if power is None else max(power, 0.0),
            "export_kw": None if power is None else max(-power, 0.0),
        }
        if full:
            values["import_kwh"] = kw(raw.get(f"{m}.TotWhImp"))
            values["export_kwh"] = kw(raw.get(f"{m}.TotWhExp"))
        return values, bad
