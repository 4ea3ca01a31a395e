"""Dispatch (send the current slot's set-points, with plan following and overrides) and slot settlement.

Set-points in kW: battery + = discharge, EV charger + = charge. Safe set-point is 0 kW (idle). Imbalance in
kWh (+ = shortfall) and JPY (+ = YGE pays); see runtime.loop_following for the conventions.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pandas as pd

from runtime import loop_following as follow
from runtime.loop import Service, slot_position
from runtime.store import journal, plans, readings
from runtime.store.models import Imbalance, Plan, PlanSlot
from scenarios.device_identity import DeviceKey, DeviceKind
from scenarios.timegrid import SLOT_HOURS

SAFE_KW = 0.0


TargetKey = tuple[str, str, DeviceKind]
"""(facility id, device id, kind) of a controllable device."""


def _targets(svc: Service, plan: Plan | None, pos: int | None) -> dict[TargetKey, float]:
    """(facility, device, kind) -> planned kW for this slot; 0 (safe) where the plan has nothing."""
    out: dict[TargetKey, float] = {}
    for f in svc.scenario.supplied:
        devices = [(b.id, DeviceKind.BATTERY) for b in f.batteries] + [(c.id, DeviceKind.EV) for c in f.ev_chargers]
        for dev, kind in devices:
            series = (plan.setpoints.get(f.id, {}).get(dev) if plan is not None else None) or []
            out[(f.id, dev, kind)] = float(series[pos]) if pos is not None and pos < len(series) else SAFE_KW
    return out


def _stale_for_safety(svc: Service, now: dt.datetime) -> set[tuple[str, str]]:
    limit = dt.timedelta(seconds=svc.settings.safe_after_s)
    stale = set()
    for key in svc.stale_devices:
        last = svc.last_good.get(key)
        if last is None or now - last[0] > limit:
            stale.add(key)
    return stale


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
    return follow.metered_energy_kwh({str(DeviceKey(*key)): v for key, v in series.items()}, slot_start, now)


def _following(
    svc: Service,
    slot: PlanSlot,
    targets: dict[TargetKey, float],
    skip: set[tuple[str, str]],
    now: dt.datetime,
) -> float | None:
    """Adjust battery targets in place so the slot's metered energy lands on the plan; returns the correction in kW.

    The aim is the mean kW the meters must show for the rest of the slot (:func:`follow.remaining_target_kw`,
    from the energy metered so far). The metered total already includes what the batteries do now, so the
    correction (relative to the planned targets) is the meter's excess over that aim plus what the batteries
    deliver beyond their targets: Σ(new − planned) = (metered − aim) + Σ(now − planned). "Now" is each battery's
    measured power from the same readings as the meters (else the last set-point sent, else its target), so a
    correction is held while it works instead of being dropped when the meters show the aim again. Batteries
    stay within their kW limits and keep their reserve over the hours left in the slot.
    """
    latest = readings.latest_values(svc.store)
    supplied = {f.id for f in svc.scenario.supplied}
    meters = {(f.id, m.id) for f in svc.scenario.supplied for m in f.meters if m.role == "grid"}
    actual = {
        (r.facility_id, r.device_id): r.value
        for r in latest
        if (r.facility_id, r.device_id) in meters and r.point == "power_kw"
    }
    if not actual:
        return None
    aim = follow.remaining_target_kw(
        follow.planned_demand_kw(slot), _slot_energy_so_far(svc, slot.slot_start, now, actual), slot.slot_start, now
    )
    hours_left = max((slot.slot_start + dt.timedelta(minutes=30) - now).total_seconds() / 3600, follow.MIN_LEFT_H)
    soc = {(r.facility_id, r.device_id): r.value for r in latest if r.point == "soc" and r.facility_id in supplied}
    power = {(r.facility_id, r.device_id): r.value for r in latest if r.point == "power_kw"}
    states = [
        follow.BatteryState(f.id, b, targets[(f.id, b.id, DeviceKind.BATTERY)], soc.get((f.id, b.id)), hours_left)
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
    for (fid, bid), kw in follow.distribute_correction(correction, states).items():
        targets[(fid, bid, DeviceKind.BATTERY)] = kw
    return correction


def _apply_overrides(svc: Service, targets: dict[TargetKey, float], now: dt.datetime) -> set[tuple[str, str]]:
    """Put approved overrides into `targets` (newest wins); returns the (facility, device) keys overridden.

    An override holds from the first dispatch that sends it to the end of that slot (re-sends within the slot
    keep it); it is then marked 'applied' and the plan takes over again. The first-sent time is stored on the
    override row, so a restart of the service neither drops nor extends it. Only overrides that were actually
    sent are retired, so one approved while a dispatch runs is not lost.
    """
    applied = set()
    for ov in reversed(journal.list_overrides(svc.store, status="approved")):
        first = ov.first_sent_at or journal.mark_override_sent(svc.store, ov.id, now) or now
        until = follow.slot_of(first).to_pydatetime() + dt.timedelta(minutes=30)
        if now >= until:
            journal.decide_override(svc.store, ov.id, "applied", ov.decided_by or "operator")
            continue
        for key in [k for k in targets if k[:2] == (ov.facility_id, ov.device_id)]:
            targets[key] = ov.value
            applied.add(key[:2])
    return applied


async def dispatch(svc: Service, now: dt.datetime) -> list[dict[str, Any]]:
    """Send the current slot's set-points (plan, overrides, plan following, safety) and audit each write."""
    started = time.perf_counter()
    plan = plans.latest_plan(svc.store)
    pos = slot_position(plan, now, svc) if plan is not None else None
    if pos is None:
        svc.alert_once("no_plan", "no_plan_for_slot", "no plan covers this slot; safe set-points sent", "alarm")
    else:
        svc.clear_alert("no_plan")
    targets = _targets(svc, plan, pos)
    overridden = _apply_overrides(svc, targets, now)
    unsafe = _stale_for_safety(svc, now)
    correction = None
    if plan is not None and pos is not None:
        fixed = fixed_plan_for_slot(svc, plans.plan_slots(svc.store, plan.id)[pos].slot_start)
        if fixed is not None:  # follow the procurement fixed at gate closure, not a newer plan's
            correction = _following(svc, fixed[1], targets, overridden | unsafe, now)
    audit = []
    for (fid, dev, kind), planned_kw in targets.items():
        kw = planned_kw
        source = "override" if (fid, dev) in overridden else (plan.kind if plan is not None else "safe")
        if (fid, dev) in unsafe:
            kw, source = SAFE_KW, "safe"
            svc.alert_once(
                f"safe:{fid}/{dev}",
                "safe_setpoint",
                f"{fid}/{dev}: readings stale beyond {svc.settings.safe_after_s:g} s; safe set-point {SAFE_KW:g} kW",
                facility_id=fid,
            )
        else:
            svc.clear_alert(f"safe:{fid}/{dev}")
        outcome = (
            await svc.telemetry.write(fid, dev, kind, kw, "loop", svc.settings.dry_run)
            if svc.telemetry is not None
            else None
        )
        audit.append(
            {
                "facility_id": fid,
                "device_id": dev,
                "point": "setpoint_kw",
                "requested": kw,
                "applied": outcome.applied if outcome else None,
                "source": source,
                "actor": "loop",
                "dry_run": svc.settings.dry_run,
                "ok": bool(outcome and outcome.ok),
                "message": (outcome.message if outcome else "no telemetry")
                + (f"; following {correction:+.1f} kW" if correction is not None else ""),
            }
        )
        svc.sent[(fid, dev)] = kw
    journal.record_audit(svc.store, audit)
    journal.mark_job(svc.store, "dispatch", now, True, f"{len(audit)} set-points")
    svc.timed("dispatch", started, True)
    return audit


def _newest_covering(
    svc: Service, slot_start: dt.datetime, made_before: dt.datetime, inclusive: bool
) -> tuple[Plan, PlanSlot] | None:
    for plan in plans.list_plans(svc.store, limit=100):
        late = plan.created_at > made_before if inclusive else plan.created_at >= made_before
        if plan.kind == "whatif" or late:
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
    return fixed_plan_for_slot(svc, slot_start) or _newest_covering(
        svc, slot_start, slot_start + dt.timedelta(minutes=30), inclusive=False
    )


def settle(svc: Service, slot_start: dt.datetime) -> Imbalance | None:
    """Record the imbalance of a finished slot from its metered grid energy; None without plan or meters."""
    found = plan_for_slot(svc, slot_start)
    if found is None:
        return None
    plan, slot = found
    end = slot_start + dt.timedelta(minutes=30)
    readings.aggregate_slots(svc.store, slot_start, end)
    meters = {(f.id, m.id) for f in svc.scenario.supplied for m in f.meters if m.role == "grid"}
    means = {
        str(DeviceKey(a.facility_id, a.device_id)): a.mean
        for a in readings.aggregates_between(svc.store, slot_start, end, point="power_kw")
        if (a.facility_id, a.device_id) in meters
    }
    if not means:
        return None
    planned = follow.planned_demand_kw(slot) * SLOT_HOURS
    actual = follow.slot_actual_kwh(means)
    cost = follow.imbalance_cost_jpy(
        actual - planned, slot.price_jpy_per_kwh, svc.scenario.market.imbalance, slot_start
    )
    return journal.save_imbalance(svc.store, slot_start, plan.id, planned, actual, slot.price_jpy_per_kwh, cost)


def settle_previous(svc: Service, now: dt.datetime) -> Imbalance | None:
    """Settle the slot before the one containing `now`."""
    previous = pd.Timestamp(follow.slot_of(now)) - pd.Timedelta(minutes=30)
    return settle(svc, previous.to_pydatetime())
