"""The dispatch step: send the current slot's set-points (plan, overrides, plan following, safety) and audit them.

Set-points in kW: battery + = discharge, EV charger + = charge. The safe set-point is 0 kW (idle), sent to a
device whose readings are stale beyond ``safe_after_s``. An approved override holds to the end of the slot it
was first sent in. Each write's audit record is stored before the write (or, while storage fails, fsynced to the
audit spool, the plan in force then coming from memory); no write without it. Once a slot's procurement is
fixed at gate closure, ``runtime.loop.following`` corrects the battery targets toward it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import time
from dataclasses import dataclass

from runtime.loop.following import TargetKey, fixed_plan_for_slot, follow_fixed_plan
from runtime.loop.service import Service
from runtime.store import journal, plans
from runtime.store.db import STORAGE_ERRORS
from runtime.store.models import Plan, PlanSlot
from runtime.store.records import SetpointAuditIn
from scenarios.device_identity import DeviceKey, DeviceKind
from scenarios.timegrid import SLOT, floor_to_slot

SAFE_KW = 0.0


def slot_position(slots: list[PlanSlot], now: dt.datetime) -> int | None:
    """Index of the slot containing `now` in a plan's slots (time order), or None if outside."""
    start = floor_to_slot(now)
    return next((i for i, s in enumerate(slots) if s.slot_start == start), None)


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


async def _send(svc: Service, target: TargetKey, intent: SetpointAuditIn) -> SetpointAuditIn:
    """Write one set-point (kW) through the telemetry's guarded path; the audit entry with the outcome."""
    fid, dev, kind = target
    kw = intent.requested
    outcome = (
        await svc.telemetry.write(fid, dev, kind, kw, "loop", intent.dry_run) if svc.telemetry is not None else None
    )
    svc.sent[(fid, dev)] = kw
    return dataclasses.replace(
        intent,
        applied=outcome.applied if outcome else None,
        ok=bool(outcome and outcome.ok),
        message=(outcome.message if outcome else "no telemetry") + intent.message,
    )


@dataclass
class SlotTargets:
    """The slot's plan (None: no plan in force), set-points per device (kW), overridden devices and the
    plan-following correction (kW, None if not following), and a note for the audit."""

    plan: Plan | None
    pos: int | None
    targets: dict[TargetKey, float]
    overridden: set[tuple[str, str]]
    correction: float | None = None
    note: str = ""


def _read_targets(svc: Service, now: dt.datetime, unsafe: set[tuple[str, str]]) -> SlotTargets:
    """The slot's set-points from the stored plan in force, overrides and plan following (reads storage)."""
    plan = plans.plan_in_force(svc.store, svc.settings.auto_approve)
    slots = plans.plan_slots(svc.store, plan.id) if plan is not None else []
    svc.plan_memory = (plan, slots) if plan is not None else None
    pos = slot_position(slots, now)
    targets = _targets(svc, plan, pos)
    overridden = _apply_overrides(svc, targets, now)
    correction = None
    if plan is not None and pos is not None:
        fixed = fixed_plan_for_slot(svc, slots[pos].slot_start)
        if fixed is not None:  # follow the procurement fixed at gate closure, not a newer plan's
            correction = follow_fixed_plan(svc, fixed[1], targets, overridden | unsafe, now)
    note = f"; following {correction:+.1f} kW" if correction is not None else ""
    return SlotTargets(plan, pos, targets, overridden, correction, note)


def _remembered_targets(svc: Service, now: dt.datetime) -> SlotTargets:
    """The slot's set-points from the plan in force as last read (storage failing: no overrides, no following)."""
    plan, slots = svc.plan_memory or (None, [])
    pos = slot_position(slots, now)
    note = "; storage failing: plan from memory"
    return SlotTargets(plan, pos, _targets(svc, plan, pos), set(), None, note)


def _intents(svc: Service, slot: SlotTargets, unsafe: set[tuple[str, str]], now: dt.datetime) -> list[SetpointAuditIn]:
    """The audit records of the writes to make (requested kW and source; outcome not known yet)."""
    out = []
    for fid, dev, _kind in slot.targets:
        kw = slot.targets[(fid, dev, _kind)]
        source = "override" if (fid, dev) in slot.overridden else (slot.plan.kind if slot.plan else "safe")
        key = DeviceKey(fid, dev)
        if (fid, dev) in unsafe:
            kw, source = SAFE_KW, "safe"
            stale = f"{key}: readings stale beyond {svc.settings.safe_after_s:g} s; safe set-point {SAFE_KW:g} kW"
            svc.alert_once(f"safe:{key}", "safe_setpoint", stale, facility_id=fid, ts=now)
        else:
            svc.clear_alert(f"safe:{key}")
        dry = svc.settings.dry_run
        out.append(SetpointAuditIn(fid, dev, "setpoint_kw", kw, None, source, "loop", dry, False, slot.note))
    return out


async def dispatch(svc: Service, now: dt.datetime) -> list[SetpointAuditIn]:
    """Send the current slot's set-points (plan in force, overrides, plan following, safety), each write's audit
    record stored (or durably spooled) before the write; none is sent if neither is possible."""
    started = time.perf_counter()
    unsafe = _stale_for_safety(svc, now)
    try:  # storage is read and written in worker threads: the event loop keeps answering requests
        slot = await asyncio.to_thread(_read_targets, svc, now, unsafe)
    except STORAGE_ERRORS as exc:  # the database is failing: dispatch the plan in force from memory
        svc.outbox.fail(exc, now)
        slot = _remembered_targets(svc, now)
    if slot.pos is None:
        svc.alert_once("no_plan", "no_plan_for_slot", "no plan covers this slot; safe set-points sent", "alarm", ts=now)
    else:
        svc.clear_alert("no_plan")
    intents = _intents(svc, slot, unsafe, now)
    ticket = await asyncio.to_thread(svc.outbox.audit_before, svc.store, intents, now)
    if ticket is None:
        held = "set-points held: their audit records can be neither stored nor spooled"
        svc.alert_once("dispatch_held", "dispatch_held", held, "alarm", ts=now)
        svc.timed("dispatch", started, False)
        return []
    svc.clear_alert("dispatch_held")
    audit = [await _send(svc, target, intent) for target, intent in zip(slot.targets, intents, strict=True)]
    await asyncio.to_thread(svc.outbox.audit_after, svc.store, ticket, audit, now)
    await asyncio.to_thread(svc.outbox.mark_job, svc.store, "dispatch", now, True, f"{len(audit)} set-points")
    svc.timed("dispatch", started, True)
    return audit
