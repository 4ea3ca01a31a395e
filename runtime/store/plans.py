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


def save_plan(store: Store, plan: PlanIn) -> Plan:
    """Store a plan with the next version number and its slots; returns the stored row."""
    if plan.kind not in PLAN_KINDS:
        raise ValueError(f"kind: unknown plan kind '{plan.kind}'; use one of {PLAN_KINDS}")
    with store.session() as session:
        version = int(session.scalar(select(func.coalesce(func.max(Plan.version), 0))) or 0) + 1
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
            created_at=plan.created_at or utcnow(),
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


def set_plan_status(store: Store, plan_id: int, status: str, user: str) -> Plan | None:
    """Approve or reject a plan; approving supersedes the previously approved one. None if no such plan."""
    if status not in ("approved", "rejected"):
        raise ValueError(f"status: must be 'approved' or 'rejected', not '{status}'")
    with store.session() as session:
        row = session.get(Plan, plan_id)
        if row is None:
            return None
        if status == "approved":
            session.execute(
                update(Plan).where(Plan.status == "approved", Plan.id != plan_id).values(status="superseded")
            )
        row.status = status
        row.approved_by = user
        row.approved_at = utcnow()
        return row
