"""Storage on SunSpec units without a DER measurement model: the pieces the PV and battery drivers share.

A hybrid inverter (PV and battery behind one unit, e.g. Fronius GEN24: 103 + 160 + 124) reports its PV strings
and its battery ports as MPPT modules of model 160; the battery ports are the modules whose IDStr starts with
``StCha`` (charging power) or ``StDisCha`` (discharging power), as Fronius labels them and evcc's template
reads them (160:3 charge, 160:4 discharge).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from devices.sunspec import SunSpecMap

STORAGE_MODELS = (124, 802, 713)
"""Models that mean the unit hosts a battery."""
CHARGE_PORT, DISCHARGE_PORT = "StCha", "StDisCha"
_MODULE = re.compile(r"^160\.module\[(\d+)\]\.(DCW|IDStr)$")


def mppt_modules(smap: SunSpecMap | None) -> list[tuple[int, str]]:
    """IDStr and DCW of every 160 module in the discovered layout (one contiguous block per cycle)."""
    model = smap.find(160) if smap is not None else None
    table = model.table if model is not None else None
    if table is None:
        return []
    return [(160, p.name) for p in table.points if p.name.endswith((".IDStr", ".DCW"))]


def pv_and_storage_w(raw: Mapping[str, object]) -> tuple[float | None, float | None]:
    """(PV DC power W, battery power W + = discharge) from decoded 160 modules; None where no module reports.

    A storage port's DCW is a magnitude: discharge minus charge gives the battery's signed power.
    """
    modules: dict[int, dict[str, object]] = {}
    for key, value in raw.items():
        match = _MODULE.match(key)
        if match:
            modules.setdefault(int(match[1]), {})[match[2]] = value
    pv: float | None = None
    battery: float | None = None
    for fields in modules.values():
        dcw, label = fields.get("DCW"), str(fields.get("IDStr") or "")
        if not isinstance(dcw, (int, float)):
            continue
        if label.startswith(DISCHARGE_PORT):
            battery = (battery or 0.0) + float(dcw)
        elif label.startswith(CHARGE_PORT):
            battery = (battery or 0.0) - float(dcw)
        else:
            pv = (pv or 0.0) + float(dcw)
    return pv, battery
