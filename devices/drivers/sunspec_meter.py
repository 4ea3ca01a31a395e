"""SunSpec grid meter (model 203 three-phase or 201 single-phase): read-only."""

from __future__ import annotations

from devices.capabilities import Values
from devices.drivers.sunspec_base import SunSpecDriver
from devices.drivers.units import kw


class MeterDriver(SunSpecDriver):
    """SunSpec meter 203 (three-phase) or 201 (single-phase); W + = import at the grid connection."""

    FAST = ((203, "W"), (201, "W"))
    SLOW = ((203, "TotWhImp"), (203, "TotWhExp"), (201, "TotWhImp"), (201, "TotWhExp"))

    async def read(self, full: bool) -> tuple[Values, list[str]]:
        """power_kw (+ import), import/export kW and kWh."""
        raw, bad = await self.read_raw(full)
        m = 203 if "203.W" in raw else 201
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
