"""Which plan row binds each slot: once a slot's gate closure has passed (slot start - gate_closure_min <= now)
its procurement is the one fixed then (`runtime.loop.following.fixed_plan_for_slot`: the newest plan made by gate
closure), which is what was submitted and what the slot will be settled against; later slots follow the plan in
force and may still change. The dashboard shows the binding rows wherever it says "planned"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from runtime.loop.following import fixed_plan_for_slot
from runtime.loop.service import Service
from runtime.store import plans
from runtime.store.models import Plan, PlanSlot

RECENT = 12
"""Plans read once for the lookup (newest first); a slot none of them fixes falls back to runtime's own search."""


@dataclass(frozen=True)
class BindingSlot:
    """A slot's binding plan row and, once gate closure has passed, the version of the plan fixed for it (None =
    the plan in force, which may still change)."""

    row: PlanSlot
    fixed_version: int | None


def binding_slots(svc: Service, slots: list[PlanSlot], now: dt.datetime) -> list[BindingSlot]:
    """The binding rows of the in-force plan's `slots`: the fixed plan's row for each slot whose gate closure has
    passed (from the current slot on), the plan in force's row otherwise."""
    current = pd.Timestamp(now).floor("30min")
    closure = pd.Timedelta(minutes=svc.scenario.market.gate_closure_min)
    recent: list[Plan] | None = None
    rows: dict[int, dict[pd.Timestamp, PlanSlot]] = {}
    out = []
    for s in slots:
        start = pd.Timestamp(s.slot_start)
        if start >= current and start - closure <= pd.Timestamp(now):
            recent = recent if recent is not None else plans.list_plans(svc.store, RECENT)
            found = _fixed(svc, recent, rows, start, (start - closure).to_pydatetime())
            if found is not None:
                out.append(BindingSlot(found[1], found[0].version))
                continue
        out.append(BindingSlot(s, None))
    return out


def _fixed(
    svc: Service,
    recent: list[Plan],
    rows: dict[int, dict[pd.Timestamp, PlanSlot]],
    start: pd.Timestamp,
    closure: dt.datetime,
) -> tuple[Plan, PlanSlot] | None:
    """`fixed_plan_for_slot` over the plans already read (the newest non-what-if plan made by gate closure with a
    row for the slot), reading each plan's rows once; runtime's search if none of them fixes the slot."""
    ignored = ("rejected",) if svc.settings.auto_approve else ("rejected", "proposed")  # as fixed_plan_for_slot
    for plan in recent:
        if plan.kind == "whatif" or plan.status in ignored or plan.created_at > closure:
            continue
        if plan.id not in rows:
            rows[plan.id] = {pd.Timestamp(r.slot_start): r for r in plans.plan_slots(svc.store, plan.id)}
        if start in rows[plan.id]:
            return plan, rows[plan.id][start]
    return fixed_plan_for_slot(svc, start.to_pydatetime())
