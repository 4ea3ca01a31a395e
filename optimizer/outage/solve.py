"""Solve the outage MILP with HiGHS (optimizer.solver) under a time limit, warm-started from the greedy plan.

The result is never worse than greedy: if HiGHS returns no incumbent or a worse one (it should not, given
the warm start), the greedy plan is returned with a note. The solve does not raise on solver trouble.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pyomo.environ as pyo

from optimizer.outage.bound import perfect_relocation_bound
from optimizer.outage.greedy import greedy_plan
from optimizer.outage.inputs import OutageInput, check_outage_input
from optimizer.outage.load_following import plan_objective
from optimizer.outage.model import build_model, candidate_sets
from optimizer.outage.result import OutagePlan
from optimizer.solver import HighsModel, HighsOptions, RunOutcome

log = logging.getLogger(__name__)


STAGES = (("full", 0.4), ("tier1", 0.3), ("final", 0.3))


def plan_outage(data: OutageInput, time_limit_s: float = 60.0, mip_gap: float = 0.01) -> OutagePlan:
    """Best plan found within time_limit_s (wall seconds of the HiGHS runs, shared by the three lexicographic
    stages), its bound and gap (of the last stage), never ranked below the greedy plan (`OutagePlan.score`)."""
    check_outage_input(data)
    clock = _Clock()
    greedy = greedy_plan(data)
    clock.lap("greedy")
    extra = {v: {int(greedy.assignment[v, 0])} for v in range(len(data.usable_evs)) if greedy.assignment[v, 0] >= 0}
    try:
        model = build_model(data, candidate_sets(data, extra))
        warm_start(model, greedy)
    except Exception as exc:  # a modelling bug must not lose the plan
        log.exception("outage MILP build failed; returning the greedy plan")
        return clock.stamp(replace(greedy, notes=(f"MILP build failed: {exc}",)))
    clock.lap("build")
    held = HighsModel(model)
    outcome = _solve_stages(model, held, time_limit_s, mip_gap, clock)
    if outcome.run is None:
        return clock.stamp(replace(greedy, notes=(*outcome.notes, "greedy used")))
    plan = extract(model, data, "milp", "optimal" if outcome.optimal else outcome.run.termination)
    clock.lap("extract")
    if plan.score < greedy.score:
        plan = replace(greedy, notes=("MILP incumbent ranked below greedy; greedy used",))
    bound, note = _best_bound(data, outcome.run.bound if outcome.stage == "final" else None)
    clock.lap("bound")
    gap = (bound - plan.objective) / abs(bound) if abs(bound) > 1e-9 else None
    notes = (*plan.notes, *outcome.notes, note)
    plan = replace(plan, bound=bound, gap=gap, solver_bound=outcome.run.bound, notes=notes, stages=outcome.values)
    return clock.stamp(plan)


@dataclass
class _Stages:
    """What the staged solve reached: the last stage with a solution, its run, whether all were optimal."""

    stage: str = ""
    run: RunOutcome | None = None
    optimal: bool = True
    notes: list[str] = field(default_factory=list)
    values: dict[str, tuple[float, float | None]] = field(default_factory=dict)


def _solve_stages(
    m: pyo.ConcreteModel, held: HighsModel, time_limit_s: float, mip_gap: float, clock: _Clock
) -> _Stages:
    """Solve the lexicographic stages in turn, each warm-started from the last and keeping its value."""
    out, started = _Stages(), time.perf_counter()
    for k, (stage, share) in enumerate(STAGES):
        m.stage_full.set_value(1.0 if stage == "full" else 0.0)
        m.stage_tier1.set_value(1.0 if stage == "tier1" else 0.0)
        m.stage_final.set_value(1.0 if stage == "final" else 0.0)
        left = time_limit_s - (time.perf_counter() - started)
        later = sum(f for _, f in STAGES[k + 1 :])
        limit = max(left * share / (share + later), 1.0)
        gap = mip_gap if stage == "final" else 1e-6
        run = held.solve(HighsOptions(time_limit_s=limit, mip_rel_gap=gap), warm_start=True)
        clock.split(**{f"{stage}_highs": run.highs_s, f"{stage}_compile": run.compile_s})
        if run.termination.startswith("error") or not run.has_solution or run.values is None:
            out.notes.append(f"stage {stage}: {run.termination} without a plan")
            out.optimal = False
            break
        held.load_values(run.values)
        out.stage, out.run, out.optimal = stage, run, out.optimal and run.optimal
        value, bound = float(run.objective or 0.0), run.bound
        out.values[stage] = (value, bound)
        out.notes.append(f"stage {stage}: {value:.4f} (bound {'n/a' if bound is None else f'{bound:.4f}'})")
        if stage == "full":
            m.full_min.set_value(float(round(pyo.value(m.n_full))))
        elif stage == "tier1":
            m.tier1_min.set_value(max(float(pyo.value(m.tier1_kwh)) - 1e-6 * max(1.0, value), 0.0))
    return out


def _best_bound(data: OutageInput, highs_bound: float | None) -> tuple[float, str]:
    """The tighter of HiGHS's bound and the perfect-relocation LP bound (both bound the plan's objective)."""
    try:
        relocation = perfect_relocation_bound(data)
    except RuntimeError as exc:
        log.warning("perfect-relocation bound failed: %s", exc)
        relocation = float("inf")
    bounds = [b for b in (highs_bound, relocation) if b is not None]
    highs_text = "n/a" if highs_bound is None else f"{highs_bound:.3f}"
    return min(bounds), f"HiGHS bound {highs_text}, perfect-relocation bound {relocation:.3f} kWh"


class _Clock:
    """Seconds per named step since the previous lap."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self.last
        self.last = now

    def split(self, **parts: float) -> None:
        """Record the parts of the time since the last lap as measured elsewhere (seconds each)."""
        self.laps.update(parts)
        self.last = time.perf_counter()

    def stamp(self, plan: OutagePlan) -> OutagePlan:
        return replace(plan, timings=dict(self.laps), solve_seconds=time.perf_counter() - self.start)


def warm_start(m: pyo.ConcreteModel, plan: OutagePlan) -> None:
    """Set every variable to the values of a rule-dispatched plan (a feasible MILP point)."""
    for v, s, b in m.x:
        m.x[v, s, b].set_value(1.0 if plan.assignment[v, b] == s else 0.0)
        was = plan.assignment[v, b - 1] >= 0 if b > 0 else False
        m.w[v, s, b].set_value(1.0 if plan.assignment[v, b] == s and not was else 0.0)
    for v, r, s, b in m.z:
        m.z[v, r, s, b].set_value(1.0 if plan.assignment[v, b - 1] == r and plan.assignment[v, b] == s else 0.0)
    for v, s, t in m.ev_kw:
        m.ev_kw[v, s, t].set_value(float(plan.ev_kw[v, t, s]))
    for v, t in m.ev_kwh:
        m.ev_kwh[v, t].set_value(float(plan.ev_kwh[v, t]))
    for v, s, t in m.plug:
        m.plug[v, s, t].set_value(1.0 if plan.ev_kw[v, t, s] > 1e-9 else 0.0)
    for s, t in m.v2l_on:
        outlet = any(
            plan.ev_kw[v, t, s] > 1e-9 and not e.uses_v2h(plan.data.shelters[s])
            for v, e in enumerate(plan.data.usable_evs)
        )
        m.v2l_on[s, t].set_value(1.0 if outlet else 0.0)
    tier1, full = plan.tier1_served_kw, plan.tier1_full
    for s in m.S:
        m.full[s].set_value(1.0 if full[s] else 0.0)
    for t in m.T:
        for s in m.S:
            m.served1[t, s].set_value(float(tier1[t, s]))
            m.served[t, s].set_value(float(plan.served_kw[t, s]))
            m.pv_used[t, s].set_value(float(plan.pv_used_kw[t, s]))
            m.bat_charge[t, s].set_value(float(plan.battery_charge_kw[t, s]))
            m.bat_discharge[t, s].set_value(float(plan.battery_discharge_kw[t, s]))
    for t, s in m.bat_kwh:
        m.bat_kwh[t, s].set_value(float(plan.battery_kwh[t, s]))


def extract(m: pyo.ConcreteModel, data: OutageInput, method: str, status: str) -> OutagePlan:
    """Arrays of an OutagePlan from a solved model's variable values."""
    n_t, n_s, n_v = data.n_slots, len(data.shelters), len(data.usable_evs)

    def grid(var: pyo.Var) -> np.ndarray:
        return np.array([[max(pyo.value(var[t, s]), 0.0) for s in range(n_s)] for t in range(n_t)])

    assignment = np.full((n_v, data.n_blocks), -1, dtype=int)
    for v, s, b in m.x:
        if pyo.value(m.x[v, s, b]) > 0.5:
            assignment[v, b] = s
    ev_kw, ev_kwh = np.zeros((n_v, n_t, n_s)), np.zeros((n_v, n_t + 1))
    for v, s, t in m.ev_kw:
        ev_kw[v, t, s] = max(pyo.value(m.ev_kw[v, s, t]), 0.0)
    for v, t in m.ev_kwh:
        ev_kwh[v, t] = pyo.value(m.ev_kwh[v, t])
    for v, ev in enumerate(data.usable_evs):
        if v not in {k[0] for k in m.ev_kwh}:
            ev_kwh[v, :] = ev.start_kwh
    stored = np.zeros((n_t + 1, n_s))
    for t, s in m.bat_kwh:
        stored[t, s] = pyo.value(m.bat_kwh[t, s])
    plan = OutagePlan(
        data=data,
        method=method,
        status=status,
        assignment=assignment,
        served_kw=grid(m.served),
        pv_used_kw=grid(m.pv_used),
        battery_charge_kw=grid(m.bat_charge),
        battery_discharge_kw=grid(m.bat_discharge),
        battery_kwh=stored,
        ev_kw=ev_kw,
        ev_kwh=ev_kwh,
        objective=0.0,
    )
    return replace(plan, objective=plan_objective(plan))
