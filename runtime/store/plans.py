"""Plans: versioned, with inputs summary, status, cost breakdown (JPY), slack report and per-slot procurement.

A plan's set-points are ``{facility_id: {device_id: [kW per slot]}}`` aligned with its slots (slot starts
tz-aware, 30 min each); battery kW is positive for discharge, EV charger kW positive for charging.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select, update

from runtime.store.db import Store
from runtime.store.models import Plan, PlanSlot
from runtime.store.records import CostBreakdown, PlanInputsSummary, PlanSlotIn, Setpoints, SlackEntry
from scenarios.timegrid import utcnow

PLAN_KINDS = ("optimal", "shifted", "baseline", "safe", "whatif")
SLOT_FIELDS = tuple(f.name for f in dataclasses.fields(PlanSlotIn) if f.name != "slot_start")
"""The per-slot quantities of a plan (kW, JPY/kWh), as in PlanSlotIn and the plan_slots table."""


@dataclass
class PlanIn:
    """A plan to store: its slots (kW, JPY/kWh), set-points, solver status, objective (JPY) and records."""

    horizon_start: dt.datetime
    horizon_end: dt.datetime
    kind: str
    slots: list[PlanSlotIn]
    setpoints: Setpoints = field(default_factory=dict)
    solver_status: str = ""
    objective_jpy: float | None = None
    inputs_summary: PlanInputsSummary = field(default_factory=PlanInputsSummary)
    cost_breakdown: CostBreakdown = field(default_factory=dict)
    slack_report: list[SlackEntry] = field(default_factory=list)
    status: str = "proposed"
    created_at: dt.datetime | None = None
    decided_by: str | None = None
    """Who approved it when stored already approved ('auto' under the auto_approve setting)."""


def save_plan(store: Store, plan: PlanIn) -> Plan:
    """Store a plan with the next version number and its slots; returns the stored row."""
    if plan.kind not in PLAN_KINDS:
        raise ValueError(f"kind: unknown plan kind '{plan.kind}'; use one of {PLAN_KINDS}")
    with store.session() as session:
        version = int(session.scalar(select(func.coalesce(func.max(Plan.version), 0))) or 0) + 1
        created = plan.created_at or utcnow()
        approved = plan.status == "approved"
        if approved:
            session.execute(update(Plan).where(Plan.status == "approved").values(status="superseded"))
        row = Plan(
            version=version,
            horizon_start=plan.horizon_start,
            horizon_end=plan.horizon_end,
            kind=plan.kind,
            status=plan.status,
            solver_status=plan.solver_status,
            objective_jpy=plan.objective_jpy,
            inputs_summary=plan.inputs_summary,
            cost_breakdown=plan.cost_breakdown,
            slack_report=plan.slack_report,
            setpoints=plan.setpoints,
            created_at=created,
            approved_by=plan.decided_by if approved else None,
            approved_at=created if approved else None,
            decided_by=plan.decided_by if approved else None,
            decided_at=created if approved else None,
        )
        session.add(row)
        session.flush()
        if plan.slots:
            session.execute(
                insert(PlanSlot),
                [
                    {"plan_id": row.id, "slot_start": s.slot_start, **{k: float(getattr(s, k)) for k in SLOT_FIELDS}}
                    for s in plan.slots
                ],
            )
        return row


def get_plan(store: Store, plan_id: int) -> Plan | None:
    """The plan with that id, or None."""
    with store.session() as session:
        return session.get(Plan, plan_id)


def latest_plan(store: Store, kinds: tuple[str, ...] = ("optimal", "shifted", "baseline", "safe")) -> Plan | None:
    """The newest plan of the given kinds (what-if plans are excluded by default)."""
    stmt = select(Plan).where(Plan.kind.in_(kinds), Plan.status != "rejected").order_by(Plan.version.desc())
    with store.session() as session:
        return session.scalars(stmt.limit(1)).first()


def last_valid_plan(store: Store) -> Plan | None:
    """The newest optimal plan (the base a failed solve falls back to)."""
    return latest_plan(store, kinds=("optimal",))


def list_plans(store: Store, limit: int = 50) -> list[Plan]:
    """Newest plans first."""
    with store.session() as session:
        return list(session.scalars(select(Plan).order_by(Plan.version.desc()).limit(limit)))


def plan_slots(store: Store, plan_id: int) -> list[PlanSlot]:
    """The procurement slots of a plan, in time order."""
    stmt = select(PlanSlot).where(PlanSlot.plan_id == plan_id).order_by(PlanSlot.slot_start)
    with store.session() as session:
        return list(session.scalars(stmt))


class DecisionRefusedError(ValueError):
    """A decision the plan's state does not allow (the message names the plan and why)."""


def plan_in_force(store: Store, auto_approve: bool) -> Plan | None:
    """The plan dispatch follows and ``/plans/latest`` shows.

    With `auto_approve` the newest loop plan not rejected (the loop stores its plans approved by 'auto');
    without it the approved plan, else the newest one approved before and superseded since (so rejecting the
    approved plan hands over to the previously approved one, never to a proposal nobody approved)."""
    if auto_approve:
        return latest_plan(store)
    loop_kinds = Plan.kind.in_(("optimal", "shifted", "baseline", "safe"))
    with store.session() as session:
        for wanted in ("approved", "superseded"):
            stmt = select(Plan).where(loop_kinds, Plan.status == wanted).order_by(Plan.version.desc()).limit(1)
            row = session.scalars(stmt).first()
            if row is not None:
                return row
    return None


def pending_plans(store: Store, limit: int = 20) -> list[Plan]:
    """Loop plans awaiting a decision (status 'proposed'), newest first."""
    stmt = select(Plan).where(Plan.kind != "whatif", Plan.status == "proposed").order_by(Plan.version.desc())
    with store.session() as session:
        return list(session.scalars(stmt.limit(limit)))


def _refusal(row: Plan, decision: str, now: dt.datetime) -> str | None:
    if row.status == "rejected":
        return f"plan v{row.version} was rejected by {row.decided_by}; a rejection is final for that version"
    if decision == "approved" and row.kind == "whatif":
        return f"plan v{row.version} is a what-if plan; a what-if plan cannot be approved"
    if decision == "approved" and row.status == "approved":
        return f"plan v{row.version} is already approved"
    if decision == "approved" and row.horizon_end <= now:
        return f"plan v{row.version} ends at {row.horizon_end.isoformat()}, before now; approve a newer plan"
    return None


def decide_plan(store: Store, plan_id: int, decision: str, user: str, now: dt.datetime) -> Plan | None:
    """Approve or reject a plan as `user` at `now` (tz-aware); None if no such plan.

    Approving supersedes the previously approved plan and records ``approved_by``/``approved_at``; both decisions
    record ``decided_by``/``decided_at``. Raises DecisionRefusedError for a rejected plan (final), a what-if approval,
    a second approval, or approving a plan whose horizon is over."""
    if decision not in ("approved", "rejected"):
        raise ValueError(f"decision: must be 'approved' or 'rejected', not '{decision}'")
    with store.session() as session:
        row = session.get(Plan, plan_id, with_for_update=True)
        if row is None:
            return None
        refused = _refusal(row, decision, now)
        if refused is not None:
            raise DecisionRefusedError(refused)
        if decision == "approved":
            session.execute(
                update(Plan).where(Plan.status == "approved", Plan.id != plan_id).values(status="superseded")
            )
            row.approved_by, row.approved_at = user, now
        row.status, row.decided_by, row.decided_at = decision, user, now
        return row
