"""The dispatch step: send the current slot's set-points (plan, overrides, plan following, safety) and audit them.

Set-points in kW: battery + = discharge, EV charger + = charge. The safe set-point is 0 kW (idle), sent to a
device whose readings are stale beyond ``safe_after_s``. An approved override holds to the end of the slot it
was first sent in. Once a slot's procurement is fixed at gate closure, ``runtime.loop.following`` corrects the
battery targets toward it.
"""

from __future__ import annotations

import datetime as dt
import time

from runtime.loop.following import TargetKey, fixed_plan_for_slot, follow_fixed_plan
from runtime.loop.service import Service
from runtime.store import journal, plans
from runtime.store.models import Plan
from runtime.store.records import SetpointAuditIn
from scenarios.device_identity import DeviceKey, DeviceKind
from scenarios.timegrid import SLOT, floor_to_slot

SAFE_KW = 0.0


def slot_position(plan: Plan, now: dt.datetime, svc: Service) -> int | None:
    """Index of the slot containing `now` in the plan's slots, or None if outside."""
    start = floor_to_slot(now)
    for i, s in enumerate(plans.plan_slots(svc.store, plan.id)):
        if s.slot_start == start:
            return i
    return None


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
        until = (floor_to_slot(first) + SLOT).to_pydatetime()
        if now >= until:
            journal.decide_override(svc.store, ov.id, "applied", ov.decided_by or "operator")
            continue
        for key in [k for k in targets if k[:2] == (ov.facility_id, ov.device_id)]:
            targets[key] = ov.value
            applied.add(key[:2])
    return applied


async def _send(svc: Service, target: TargetKey, kw: float, source: str, note: str) -> SetpointAuditIn:
    """Write one set-point (kW) through the telemetry's guarded path; the audit entry of the write."""
    fid, dev, kind = target
    dry_run = svc.settings.dry_run
    outcome = await svc.telemetry.write(fid, dev, kind, kw, "loop", dry_run) if svc.telemetry is not None else None
    svc.sent[(fid, dev)] = kw
    return SetpointAuditIn(
        facility_id=fid,
        device_id=dev,
        point="setpoint_kw",
        requested=kw,
        applied=outcome.applied if outcome else None,
        source=source,
        actor="loop",
        dry_run=dry_run,
        ok=bool(outcome and outcome.ok),
        message=(outcome.message if outcome else "no telemetry") + note,
    )


async def dispatch(svc: Service, now: dt.datetime) -> list[SetpointAuditIn]:
    """Send the current slot's set-points (plan, overrides, plan following, safety) and audit each write."""
    started = time.perf_counter()
    plan = plans.plan_in_force(svc.store, svc.settings.auto_approve)
    pos = slot_position(plan, now, svc) if plan is not None else None
    if pos is None:
        svc.alert_once("no_plan", "no_plan_for_slot", "no plan covers this slot; safe set-points sent", "alarm", ts=now)
    else:
        svc.clear_alert("no_plan")
    targets = _targets(svc, plan, pos)
    overridden = _apply_overrides(svc, targets, now)
    unsafe = _stale_for_safety(svc, now)
    correction = None
    if plan is not None and pos is not None:
        fixed = fixed_plan_for_slot(svc, plans.plan_slots(svc.store, plan.id)[pos].slot_start)
        if fixed is not None:  # follow the procurement fixed at gate closure, not a newer plan's
            correction = follow_fixed_plan(svc, fixed[1], targets, overridden | unsafe, now)
    note = f"; following {correction:+.1f} kW" if correction is not None else ""
    audit = []
    for (fid, dev, kind), planned_kw in targets.items():
        kw, source = planned_kw, "override" if (fid, dev) in overridden else (plan.kind if plan is not None else "safe")
        key = DeviceKey(fid, dev)
        if (fid, dev) in unsafe:
            kw, source = SAFE_KW, "safe"
            stale = f"{key}: readings stale beyond {svc.settings.safe_after_s:g} s; safe set-point {SAFE_KW:g} kW"
            svc.alert_once(f"safe:{key}", "safe_setpoint", stale, facility_id=fid, ts=now)
        else:
            svc.clear_alert(f"safe:{key}")
        audit.append(await _send(svc, (fid, dev, kind), kw, source, note))
    journal.record_audit(svc.store, audit, ts=now)
    journal.mark_job(svc.store, "dispatch", now, True, f"{len(audit)} set-points")
    svc.timed("dispatch", started, True)
    return audit
