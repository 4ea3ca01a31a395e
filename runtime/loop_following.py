"""Plan following (計画値同時同量): correct battery set-points toward the fixed procurement plan and settle
each slot's imbalance.

What is settled is the slot's energy (kWh), so the correction aims at it: the meters' energy so far in the slot
is integrated and the batteries steered so the rest of the slot averages (planned kWh − metered kWh so far) /
hours left (:func:`remaining_target_kw`). At the slot start this is the planned kW.

The balancing group's planned metered demand in a slot is plant + JEPX buy - JEPX sell (kW averages); the
actual is the sum of the supplied facilities' grid meters (kW, + = import). Imbalance = actual - planned in
kWh (+ = shortfall). Settlement estimate: a shortfall pays min(spot + spread, cap) per kWh, a surplus earns
max(spot - spread, 0) per kWh (cost_jpy + = YGE pays).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from runtime.store.models import PlanSlot
from scenarios.assets import Battery
from scenarios.model import ImbalanceParams
from scenarios.timegrid import SLOT_HOURS, TZ


def planned_demand_kw(slot: PlanSlot) -> float:
    """The balancing group's planned metered demand of a slot in kW."""
    return slot.plant_kw + slot.jepx_buy_kw - slot.jepx_sell_kw


def imbalance_cost_jpy(
    imbalance_kwh: float, spot_jpy_per_kwh: float, params: ImbalanceParams, when: dt.datetime
) -> float:
    """Estimated settlement of one slot's imbalance in JPY (+ = pay), with the cap valid at `when`."""
    cap = (
        params.cap_from_2026_10_jpy_per_kwh
        if when >= dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
        else params.cap_jpy_per_kwh
    )
    if imbalance_kwh >= 0:
        return imbalance_kwh * min(spot_jpy_per_kwh + params.spread_jpy_per_kwh, cap)
    return imbalance_kwh * max(spot_jpy_per_kwh - params.spread_jpy_per_kwh, 0.0)


@dataclass(frozen=True)
class BatteryState:
    """A battery the correction may use: its key, limits, planned kW (+ = discharge) and SoC (fraction)."""

    facility_id: str
    battery: Battery
    planned_kw: float
    soc: float | None
    hours_left: float | None = None


def _bounds(b: BatteryState) -> tuple[float, float]:
    """(lowest, highest) kW this battery may be set to now (SoC limits respected, reserve kept).

    With ``hours_left`` (h, > 0) and a SoC, the rate is also limited so that holding it for the hours left
    neither draws the battery below max(soc_min, reserve_soc) nor charges it above soc_max.
    """
    low, high = -b.battery.charge_kw, b.battery.discharge_kw
    if b.soc is not None:
        floor = max(b.battery.soc_min, b.battery.reserve_soc)
        if b.soc <= floor:
            high = 0.0
        if b.soc >= b.battery.soc_max:
            low = 0.0
        if b.hours_left is not None and b.hours_left > 0:
            cap = b.battery.capacity_kwh
            high = min(high, max(b.soc - floor, 0.0) * cap / b.hours_left)
            low = max(low, -max(b.battery.soc_max - b.soc, 0.0) * cap / b.hours_left)
    return low, high


def distribute_correction(correction_kw: float, batteries: list[BatteryState]) -> dict[tuple[str, str], float]:
    """Add `correction_kw` (+ = discharge more) to the planned set-points, shared in proportion to headroom.

    Returns the new set-point per (facility_id, battery_id), each within its bounds.
    """
    out = {(b.facility_id, b.battery.id): min(max(b.planned_kw, _bounds(b)[0]), _bounds(b)[1]) for b in batteries}
    room = {
        k: (_bounds(b)[1] - out[k]) if correction_kw > 0 else (out[k] - _bounds(b)[0])
        for b in batteries
        for k in [(b.facility_id, b.battery.id)]
    }
    total = sum(room.values())
    if total <= 0 or correction_kw == 0:
        return out
    share = min(1.0, abs(correction_kw) / total)
    sign = 1.0 if correction_kw > 0 else -1.0
    return {k: v + sign * share * room[k] for k, v in out.items()}


MIN_LEFT_H = 1 / 60
"""Shortest remaining time (h) the slot's energy target is spread over, so the last seconds ask no infinite kW."""


def metered_energy_kwh(
    series: Mapping[str, Sequence[tuple[dt.datetime, float]]], start: dt.datetime, now: dt.datetime
) -> float:
    """Energy in kWh the meters recorded from `start` to `now`, from their power samples (kW, + = import).

    Each meter's samples (time-ordered) are held until the next one (the last until `now`); the first is taken
    to have held since `start`, so a meter read late in the slot still counts the whole elapsed time.
    """
    total = 0.0
    for samples in series.values():
        ordered = sorted((t, v) for t, v in samples if t <= now)
        for i, (t, kw) in enumerate(ordered):
            begin = start if i == 0 else max(t, start)
            end = ordered[i + 1][0] if i + 1 < len(ordered) else now
            total += kw * max((end - begin).total_seconds(), 0.0) / 3600.0
    return total


def remaining_target_kw(planned_kw: float, done_kwh: float, slot_start: dt.datetime, now: dt.datetime) -> float:
    """Mean metered kW over the rest of the slot that makes the slot's energy equal the plan's.

    (planned_kw × 0.5 h − done_kwh) / hours left (at least MIN_LEFT_H); at or before the slot start it is the
    planned kW itself.
    """
    if now <= slot_start:
        return planned_kw
    left_h = (slot_start + dt.timedelta(hours=SLOT_HOURS) - now).total_seconds() / 3600.0
    return (planned_kw * SLOT_HOURS - done_kwh) / max(left_h, MIN_LEFT_H)


def slot_actual_kwh(meter_means_kw: dict[str, float]) -> float:
    """Metered energy of a slot in kWh from each supplied facility's mean grid power (kW)."""
    return sum(meter_means_kw.values()) * SLOT_HOURS


def slot_of(now: dt.datetime) -> pd.Timestamp:
    """Start of the slot containing `now` (Asia/Tokyo)."""
    return pd.Timestamp(now).tz_convert(TZ).floor("30min")
