"""Shelter batteries' state of charge in normal (grid-connected) operation, slot by slot over a period: the
starting SoC of an outage that begins at that slot (REopt takes it from the dispatch before the outage).

The rule is the day-ahead rule-based baseline's (optimizer/dayahead/baseline.py `_batteries_slot`): surplus PV
charges the battery, a deficit (facility load above PV) discharges it down to its floor (max(soc_min,
reserve_soc) and the shelter's reserve share), it never charges from the grid. Vectorised over shelters, one
step per slot. Arrays (slots, shelters); kW, kWh; the result is the stored kWh at each slot's START.
"""

from __future__ import annotations

import numpy as np


def baseline_battery_kwh(
    load_kw: np.ndarray,
    pv_kw: np.ndarray,
    start_kwh: np.ndarray,
    floor_kwh: np.ndarray,
    ceiling_kwh: np.ndarray,
    power_kw: tuple[np.ndarray, np.ndarray],
    efficiency: tuple[np.ndarray, np.ndarray],
    slot_hours: float = 0.5,
) -> np.ndarray:
    """Stored kWh at the start of every slot, shape (slots, batteries), from `start_kwh` at slot 0.

    load_kw / pv_kw: (slots, batteries) facility load and PV kW; floor/ceiling: kWh per battery (the floor
    the baseline discharges to, the ceiling it charges to); power_kw = (charge kW, discharge kW) and
    efficiency = (charge, discharge) per battery."""
    net = np.asarray(load_kw, dtype=float) - np.asarray(pv_kw, dtype=float)
    if net.ndim != 2 or net.shape[1] != len(start_kwh):
        raise ValueError(f"load_kw: shape {net.shape} must be (slots, {len(start_kwh)} batteries) like pv_kw")
    (p_ch, p_dis), (eta_c, eta_d), h = power_kw, efficiency, slot_hours
    level = np.clip(np.asarray(start_kwh, dtype=float), 0.0, np.maximum(ceiling_kwh, start_kwh))
    floor = np.minimum(floor_kwh, level)
    out = np.empty_like(net)
    for t in range(len(net)):
        out[t] = level
        surplus, deficit = np.maximum(-net[t], 0.0), np.maximum(net[t], 0.0)
        charge = np.minimum(np.minimum(surplus, p_ch), np.maximum(ceiling_kwh - level, 0.0) / (h * eta_c))
        dis = np.minimum(np.minimum(deficit, p_dis), np.maximum(level - floor, 0.0) * eta_d / h)
        level = level + h * (eta_c * charge - dis / eta_d)
        floor = np.maximum(floor, np.minimum(floor_kwh, level))  # once above its floor it stays above it
    return np.asarray(out, dtype=float)
