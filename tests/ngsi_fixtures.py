# mypy: allow-untyped-defs, allow-incomplete-defs
"""Readings for every device of a scenario, shared by the NGSI-LD tests of tests/runtime and tests/api and the
benchmark: PV 5 kW, batteries SoC 0.7 charging at 2 kW, chargers with a connected car at SoC 0.55 discharging
3 kW (V2H), meters importing 12.5 kW with 1,234 kWh imported."""

from __future__ import annotations

import datetime as dt

from runtime.store.readings import ReadingIn
from scenarios.model import Scenario

PV_KW = 5.0
BATTERY_SOC = 0.7
BATTERY_KW = -2.0
CAR_SOC = 0.55
CHARGER_KW = -3.0
METER_KW = 12.5
IMPORT_KWH = 1234.0


def readings_for(scenario: Scenario, ts: dt.datetime, quality: str = "good") -> list[ReadingIn]:
    """One reading of every point above for every device of `scenario`, measured at `ts`."""
    rows: list[ReadingIn] = []
    for f in scenario.facilities:
        rows += [ReadingIn(ts, f.id, a.id, "power_kw", PV_KW, quality) for a in f.pv_arrays]
        for b in f.batteries:
            rows += [ReadingIn(ts, f.id, b.id, "soc", BATTERY_SOC, quality)]
            rows += [ReadingIn(ts, f.id, b.id, "power_kw", BATTERY_KW, quality)]
        for c in f.ev_chargers:
            rows += [
                ReadingIn(ts, f.id, c.id, p, v, quality) for p, v in (("connected", 1.0), ("vehicle_soc", CAR_SOC))
            ]
            rows += [ReadingIn(ts, f.id, c.id, "power_kw", CHARGER_KW, quality)]
        for m in f.meters:
            rows += [ReadingIn(ts, f.id, m.id, "power_kw", METER_KW, quality)]
            rows += [ReadingIn(ts, f.id, m.id, "import_kwh", IMPORT_KWH, quality)]
    return rows
