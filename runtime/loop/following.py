"""Plan following (計画値同時同量): steer the batteries so each slot's metered energy lands on the procurement
plan fixed at gate closure.

What is settled is the slot's energy (kWh), so the correction aims at it: the meters' energy so far in the slot
is integrated and the batteries steered so the rest of the slot averages (planned kWh − metered kWh so far) /
hours left (:func:`remaining_target_kw`). At the slot start this is the planned kW.

The balancing group's planned metered demand in a slot is plant + JEPX buy - JEPX sell (kW averages); the
actual is the sum of the supplied facilities' grid meters (kW, + = import). The binding plan of a slot is the
newest non-what-if plan made at or before gate closure, not rejected (and approved unless ``auto_approve``)
(:func:`fixed_plan_for_slot`); ``runtime.loop.settle`` settles the slot against it. Battery kW + = discharge.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from runtime.loop.service import Service
from runtime.store import plans, readings
from runtime.store.models import Plan, PlanSlot
from scenarios.assets import Battery
from scenarios.device_identity import DeviceKey, DeviceKind
from scenarios.model import Scenario
from scenarios.timegrid import SLOT, SLOT_HOURS

TargetKey = tuple[str, str, DeviceKind]
"""(facility id, device id, kind) of a controllable device."""


def planned_demand_kw(slot: PlanSlot) -> float:
    """The balancing group's planned metered demand of a slot in kW."""
    return slot.plant_kw + slot.jepx_buy_kw - slot.jepx_sell_kw


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
    neither draws the battery below its floor max(soc_min, reserve_soc) (``Battery.floor_soc``, the plan's floor
    too) nor charges it above soc_max.
    """
    low, high = -b.battery.charge_kw, b.battery.discharge_kw
    if b.soc is not None:
        floor = b.battery.floor_soc
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


def hours_left_in_slot(slot_start: dt.datetime, now: dt.datetime) -> float:
    """Hours from `now` to the end of the slot starting at `slot_start`, at least MIN_LEFT_H."""
    return max((slot_start + SLOT - now).total_seconds() / 3600.0, MIN_LEFT_H)


def remaining_target_kw(planned_kw: float, done_kwh: float, slot_start: dt.datetime, now: dt.datetime) -> float:
    """Mean metered kW over the rest of the slot that makes the slot's energy equal the plan's.

    (planned_kw × 0.5 h − done_kwh) / hours left (at least MIN_LEFT_H); at or before the slot start it is the
    planned kW itself.
    """
    if now <= slot_start:
        return planned_kw
    return (planned_kw * SLOT_HOURS - done_kwh) / hours_left_in_slot(slot_start, now)


def grid_meters(scenario: Scenario) -> set[tuple[str, str]]:
    """(facility id, meter id) of every supplied facility's grid meter: together they meter the balancing group."""
    return {(f.id, m.id) for f in scenario.supplied for m in f.meters if m.role == "grid"}


def _slot_energy_so_far(
    svc: Service, slot_start: dt.datetime, now: dt.datetime, latest_kw: dict[tuple[str, str], float]
) -> float:
    """kWh the supplied facilities' grid meters recorded in the slot up to `now` (stored power readings; a
    meter without one in the slot is taken to have held its latest kW since the slot start)."""
    series: dict[tuple[str, str], list[tuple[dt.datetime, float]]] = {key: [] for key in latest_kw}
    for r in readings.readings_between(svc.store, slot_start, now, point="power_kw"):
        if (r.facility_id, r.device_id) in series:
            series[(r.facility_id, r.device_id)].append((r.ts, r.value))
    for key, samples in series.items():
        if not samples:
            samples.append((slot_start, latest_kw[key]))
    return metered_energy_kwh({str(DeviceKey(*key)): v for key, v in series.items()}, slot_start, now)


def follow_fixed_plan(
    svc: Service,
    slot: PlanSlot,
    targets: dict[TargetKey, float],
    skip: set[tuple[str, str]],
    now: dt.datetime,
) -> float | None:
    """Adjust battery targets in place so the slot's metered energy lands on the plan; returns the correction in kW.

    The aim is the mean kW the meters must show for the rest of the slot (:func:`remaining_target_kw`,
    from the energy metered so far). The metered total already includes what the batteries do now, so the
    correction (relative to the planned targets) is the meter's excess over that aim plus what the batteries
    deliver beyond their targets: Σ(new − planned) = (metered − aim) + Σ(now − planned). "Now" is each battery's
    measured power from the same readings as the meters (else the last set-point sent, else its target), so a
    correction is held while it works instead of being dropped when the meters show the aim again. Batteries
    stay within their kW limits and keep their reserve over the hours left in the slot.
    """
    latest = readings.latest_values(svc.store)
    supplied = {f.id for f in svc.scenario.supplied}
    meters = grid_meters(svc.scenario)
    actual = {
        (r.facility_id, r.device_id): r.value
        for r in latest
        if (r.facility_id, r.device_id) in meters and r.point == "power_kw"
    }
    if not actual:
        return None
    aim = remaining_target_kw(
        planned_demand_kw(slot), _slot_energy_so_far(svc, slot.slot_start, now, actual), slot.slot_start, now
    )
    hours_left = hours_left_in_slot(slot.slot_start, now)
    soc = {(r.facility_id, r.device_id): r.value for r in latest if r.point == "soc" and r.facility_id in supplied}
    power = {(r.facility_id, r.device_id): r.value for r in latest if r.point == "power_kw"}
    states = [
        BatteryState(f.id, b, targets[(f.id, b.id, DeviceKind.BATTERY)], soc.get((f.id, b.id)), hours_left)
        for f in svc.scenario.supplied
        for b in f.batteries
        if (f.id, b.id) not in skip
    ]
    delivered = sum(
        power.get(key, svc.sent.get(key, s.planned_kw)) - s.planned_kw
        for s in states
        for key in [(s.facility_id, s.battery.id)]
    )
    correction = sum(actual.values()) - aim + delivered
    for (fid, bid), kw in distribute_correction(correction, states).items():
        targets[(fid, bid, DeviceKind.BATTERY)] = kw
    return correction


def _newest_covering(
    svc: Service, slot_start: dt.datetime, made_before: dt.datetime, inclusive: bool
) -> tuple[Plan, PlanSlot] | None:
    ignored = ("rejected",) if svc.settings.auto_approve else ("rejected", "proposed")
    for plan in plans.list_plans(svc.store, limit=100):
        late = plan.created_at > made_before if inclusive else plan.created_at >= made_before
        if plan.kind == "whatif" or plan.status in ignored or late:
            continue
        for slot in plans.plan_slots(svc.store, plan.id):
            if slot.slot_start == slot_start:
                return plan, slot
    return None


def fixed_plan_for_slot(svc: Service, slot_start: dt.datetime) -> tuple[Plan, PlanSlot] | None:
    """The procurement plan binding for a slot: the newest non-what-if plan made at or before gate closure
    (slot start − gate_closure_min) that covers the slot, with its slot row; None if there is none."""
    closure = slot_start - dt.timedelta(minutes=svc.scenario.market.gate_closure_min)
    return _newest_covering(svc, slot_start, closure, inclusive=True)


def plan_for_slot(svc: Service, slot_start: dt.datetime) -> tuple[Plan, PlanSlot] | None:
    """The plan a finished slot is settled against: the fixed one (:func:`fixed_plan_for_slot`), else the newest
    non-what-if plan made before the slot ended that covers it, with its slot row."""
    return fixed_plan_for_slot(svc, slot_start) or _newest_covering(svc, slot_start, slot_start + SLOT, inclusive=False)
