"""Pure helpers of the facility page: the SoC a plan's battery set-points lead to, and a day's history per device
kind (kW per slot, kWh per day, grid energy cost at the JEPX spot price).

SoC plan: from the measured SoC the plan started from (`PlanInputsSummary.battery_soc`, fraction), each slot's
set-point p kW (+ = discharge) moves the stored energy by -p / discharge_efficiency x 0.5 h when discharging and
by -p x charge_efficiency x 0.5 h when charging; the value shown for a slot is the SoC at its end.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from runtime.store.models import Aggregate
from scenarios.assets import Battery
from scenarios.device_identity import DeviceKind
from scenarios.timegrid import SLOT_HOURS

HISTORY_KINDS = (DeviceKind.PV, DeviceKind.BATTERY, DeviceKind.EV, DeviceKind.METER)


def soc_path(battery: Battery, start_soc: float, setpoints_kw: Sequence[float]) -> list[float]:
    """SoC (fraction) at the end of each slot under the set-points (kW, + = discharge)."""
    energy = start_soc * battery.capacity_kwh
    path = []
    for p in setpoints_kw:
        if p >= 0:
            energy -= p / battery.discharge_efficiency * SLOT_HOURS
        else:
            energy -= p * battery.charge_efficiency * SLOT_HOURS
        path.append(energy / battery.capacity_kwh)
    return path


@dataclass(frozen=True)
class DayHistory:
    """One JST day of one facility: kW per slot and kWh per day by device kind (meters: the grid meters only),
    and the grid meters' energy cost at the JEPX spot price of each slot (JPY)."""

    index: pd.DatetimeIndex
    kw: dict[DeviceKind, list[float | None]]
    kwh: dict[DeviceKind, float]
    grid_cost_jpy: float
    slots_with_data: int


def day_history(
    index: pd.DatetimeIndex,
    aggregates: Iterable[Aggregate],
    kinds: dict[str, DeviceKind],
    grid_meter_ids: set[str],
    price_jpy_per_kwh: pd.Series,
) -> DayHistory:
    """Sum the slot means (kW) of the facility's devices per kind over `index` (slot starts); a kind without any
    value in a slot gets None there. Grid cost = sum over slots of grid-meter kW x 0.5 h x spot price."""
    position = {t: i for i, t in enumerate(index)}
    kw: dict[DeviceKind, list[float | None]] = {k: [None] * len(index) for k in HISTORY_KINDS}
    grid_cost = 0.0
    seen: set[int] = set()
    for agg in aggregates:
        kind = kinds.get(agg.device_id)
        i = position.get(pd.Timestamp(agg.slot_start).tz_convert(index.tz))
        if kind not in kw or i is None or agg.point != "power_kw":
            continue
        if kind is DeviceKind.METER and agg.device_id not in grid_meter_ids:
            continue  # PV or EV sub-meters would count twice
        seen.add(i)
        kw[kind][i] = (kw[kind][i] or 0.0) + agg.mean
        if agg.device_id in grid_meter_ids:
            grid_cost += agg.mean * SLOT_HOURS * float(price_jpy_per_kwh.iloc[i])
    kwh = {k: sum(v for v in values if v is not None) * SLOT_HOURS for k, values in kw.items()}
    return DayHistory(index, kw, kwh, grid_cost, len(seen))
