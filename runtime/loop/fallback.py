"""The one fallback chain of planning, for the service loop and for `ems plan`.

Rungs, in order: assemble inputs (forecasts, prices, measured SoC, optimiser inputs) -> solve (the MILP) ->
LP relaxation -> last valid plan shifted -> rule-based baseline -> safe plan (batteries and chargers idle).
The first rung that gives a plan is used; the plan records which rung it came from and why the rungs
before it gave nothing, and every rung after 'solve' raises an event (warning; the safe plan an alarm).
The optimizer offers its rungs as plain functions that return typed results and never raise
(optimizer.dayahead.solve); this module alone decides the order. A rung that raises is recorded like one that
gave nothing, so an error in any step (e.g. while assembling prices) still ends in a plan.

For `ems plan` (no store, no devices) the chain is solve -> LP relaxation -> previous plan shifted (a rolling
planner's last plan) -> baseline: with inputs there is always a baseline; inputs that cannot be assembled are
an error for the caller to show. Slots are 30 min named by their start; powers kW; money JPY.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar, runtime_checkable

import pandas as pd

from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.result import NoSolution, PlanResult, SolveOptions
from optimizer.dayahead.solve import baseline, shifted, solve, solve_relaxed
from runtime.loop.fallback_plans import safe_plan, shifted_plan
from runtime.store import journal, plans
from runtime.store.models import Plan
from runtime.store.plans import PlanIn
from runtime.store.records import EventDetails, FallbackReason

if TYPE_CHECKING:
    from runtime.loop.service import PlanRequest, Service

log = logging.getLogger(__name__)

P = TypeVar("P")

RUNG_EVENTS = {
    "lp_relaxation": ("plan_fallback_relaxed", "warning"),
    "last_plan_shifted": ("plan_fallback_shifted", "warning"),
    "baseline": ("plan_fallback_baseline", "warning"),
    "safe": ("plan_fallback_safe", "alarm"),
}
"""Event kind and severity raised when a plan comes from that rung."""

STORED_KIND = {"solve": "optimal", "lp_relaxation": "optimal", "last_plan_shifted": "shifted", "baseline": "baseline"}


@dataclass(frozen=True)
class NoPlan:
    """A rung that gave no plan, and why."""

    reason: str


@dataclass(frozen=True)
class Chosen(Generic[P]):
    """The plan the chain settled on, the rung it came from and (rung, reason) of every rung tried before."""

    plan: P
    rung: str
    skipped: tuple[tuple[str, str], ...] = ()

    @property
    def reason(self) -> str:
        """Why the earlier rungs gave no plan ('' if the first rung was used)."""
        return "; ".join(reason for _, reason in self.skipped)


def run_chain(rungs: Sequence[tuple[str, Callable[[], P | NoPlan]]]) -> Chosen[P]:
    """Try the rungs in order; the first one returning a plan wins. A rung that raises is recorded with the
    exception; RuntimeError if no rung gives a plan (the last rung of a chain must always give one)."""
    skipped: list[tuple[str, str]] = []
    for name, rung in rungs:
        try:
            out = rung()
        except Exception as exc:  # any rung's failure moves the chain on; the reason is kept
            log.warning("plan rung %s failed", name, exc_info=True)
            out = NoPlan(f"{name} raised {type(exc).__name__}: {exc}")
        if not isinstance(out, NoPlan):
            if skipped:
                log.warning("plan: using rung %s (%s)", name, "; ".join(r for _, r in skipped))
            return Chosen(out, name, tuple(skipped))
        skipped.append((name, out.reason))
    raise RuntimeError("no rung gave a plan: " + "; ".join(r for _, r in skipped))


def _plan_or_reason(result: PlanResult | NoSolution) -> PlanResult | NoPlan:
    return result if isinstance(result, PlanResult) else NoPlan(result.reason)


def plan_result(
    inputs: PlanInputs,
    options: SolveOptions | None = None,
    first: Callable[[PlanInputs], PlanResult | NoSolution] | None = None,
    previous: PlanResult | None = None,
) -> PlanResult:
    """The chain on optimiser inputs (``ems plan``): `first` (default: a one-shot solve) -> LP relaxation ->
    `previous` shifted -> baseline. The result's fallback_used / fallback_reason say which rung and why."""
    options = options or SolveOptions()
    solve_first = first or (lambda i: solve(i, options))

    def previous_shifted() -> PlanResult | NoPlan:
        if previous is None:
            return NoPlan("no previous plan to shift")
        return shifted(previous, inputs) or NoPlan("previous plan does not fit these inputs")

    chosen = run_chain(
        [
            ("solve", lambda: _plan_or_reason(solve_first(inputs))),
            ("lp_relaxation", lambda: _plan_or_reason(solve_relaxed(inputs, options))),
            ("last_plan_shifted", previous_shifted),
            ("baseline", lambda: baseline(inputs)),
        ]
    )
    if chosen.rung == "solve":
        return chosen.plan
    return dataclasses.replace(chosen.plan, fallback_used=chosen.rung, fallback_reason=chosen.reason)


@runtime_checkable
class StagedPlanner(Protocol):
    """A loop planner that offers the optimiser's rungs one by one (runtime.loop.optimiser_planner.OptimizerPlanner).

    A plain ``Planner`` (request -> PlanIn, raising on failure) gets only the solve, shifted and safe rungs."""

    def inputs(self, request: PlanRequest) -> PlanInputs:
        """Assemble the optimiser's inputs for a request (raises with the field on bad data)."""

    def solve(self, request: PlanRequest, inputs: PlanInputs) -> PlanIn | NoPlan:
        """The MILP as a storable plan, or why it gave none."""

    def relaxed(self, request: PlanRequest, inputs: PlanInputs) -> PlanIn | NoPlan:
        """The LP relaxation as a storable plan, or why it gave none."""

    def baseline(self, request: PlanRequest, inputs: PlanInputs) -> PlanIn:
        """The rule-based baseline as a storable plan."""


def _stored_shifted(svc: Service, now: dt.datetime) -> PlanIn | NoPlan:
    last = plans.last_valid_plan(svc.store)
    if last is None:
        return NoPlan("no valid plan to shift")
    moved = shifted_plan(last, plans.plan_slots(svc.store, last.id), now)
    return moved or NoPlan(f"plan v{last.version} has no slot left to follow")


def _loop_rungs(
    svc: Service, now: dt.datetime, assemble: Callable[[], PlanRequest], index: pd.DatetimeIndex
) -> tuple[list[tuple[str, Callable[[], PlanIn | NoPlan]]], list[PlanRequest]]:
    """The service's rungs; the assembled request (if any) is appended to the returned list as it is made."""
    got: list[PlanRequest] = []
    inputs: list[PlanInputs] = []
    planner = svc.planner
    staged = planner if isinstance(planner, StagedPlanner) else None

    def solve_rung() -> PlanIn | NoPlan:
        try:
            got.append(assemble())
            if staged is not None:
                inputs.append(staged.inputs(got[0]))
        except Exception as exc:  # assembly failures are a rung's failure too
            log.warning("plan inputs could not be assembled", exc_info=True)
            return NoPlan(f"assembling inputs failed: {type(exc).__name__}: {exc}")
        if staged is not None:
            return staged.solve(got[0], inputs[0])
        plan = planner(got[0])
        return plan if plan.kind == "optimal" else NoPlan(plan.solver_status or "planner returned no optimal plan")

    def optimiser_rung(name: str) -> Callable[[], PlanIn | NoPlan]:
        def rung() -> PlanIn | NoPlan:
            if staged is None:
                return NoPlan(f"{name}: not offered by this planner")
            if not inputs:
                return NoPlan(f"{name}: no inputs")
            if name == "lp_relaxation":
                return staged.relaxed(got[0], inputs[0])
            return staged.baseline(got[0], inputs[0])

        return rung

    def safe_rung() -> PlanIn:
        if got:
            r = got[0]
            return safe_plan(svc.scenario, r.index, r.pv_kw, r.load_kw, r.price)
        return safe_plan(svc.scenario, index, {}, {}, None)

    rungs = [
        ("solve", solve_rung),
        ("lp_relaxation", optimiser_rung("lp_relaxation")),
        ("last_plan_shifted", lambda: _stored_shifted(svc, now)),
        ("baseline", optimiser_rung("baseline")),
        ("safe", safe_rung),
    ]
    return rungs, got


def _record(svc: Service, chosen: Chosen[PlanIn], request: PlanRequest | None, now: dt.datetime) -> Plan:
    """Store the chosen plan with its rung and reasons, and raise the rung's event."""
    plan = chosen.plan
    plan.kind = "safe" if chosen.rung == "safe" else STORED_KIND[chosen.rung]
    plan.created_at = now
    if svc.settings.auto_approve:  # the demo default: the loop approves its own plans, recorded as 'auto'
        plan.status, plan.decided_by = "approved", "auto"
    changes: dict[str, object] = {
        "notes": [*(request.notes if request else ()), *plan.inputs_summary.notes],
        "rung": chosen.rung,
    }
    if request is not None:
        changes["battery_soc"] = request.battery_soc
    if chosen.skipped:
        changes["reason"] = chosen.reason
        changes["fallback_reasons"] = [FallbackReason(rung=rung, reason=reason) for rung, reason in chosen.skipped]
    plan.inputs_summary = plan.inputs_summary.updated(**changes)
    row = plans.save_plan(svc.store, plan)
    if chosen.rung in RUNG_EVENTS:
        kind, severity = RUNG_EVENTS[chosen.rung]
        text = _event_text(chosen, row)
        journal.raise_event(svc.store, kind, text, severity=severity, details=EventDetails(plan_id=row.id), ts=now)
    return row


def _event_text(chosen: Chosen[PlanIn], row: Plan) -> str:
    why = chosen.reason
    if chosen.rung == "last_plan_shifted":
        base = chosen.plan.inputs_summary.base_version
        return f"solve failed ({why}); following plan v{base} shifted as v{row.version}"
    if chosen.rung == "safe":
        return f"solve failed ({why}) and no valid plan to shift; rule-based safe mode v{row.version}"
    if chosen.rung == "baseline":
        return f"solve failed ({why}); following the rule-based baseline as v{row.version}"
    return f"MILP failed ({why}); following its LP relaxation as v{row.version}"


def plan_for_loop(
    svc: Service, now: dt.datetime, assemble: Callable[[], PlanRequest], index: pd.DatetimeIndex
) -> tuple[Plan, str]:
    """Run the whole chain for the service at `now` (`assemble` builds the request; `index` is the horizon a
    safe plan covers if even that fails); store the plan, raise the event; returns (stored plan, rung)."""
    rungs, got = _loop_rungs(svc, now, assemble, index)
    chosen = run_chain(rungs)
    return _record(svc, chosen, got[0] if got else None, now), chosen.rung
