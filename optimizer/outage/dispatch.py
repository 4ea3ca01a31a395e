"""The exact dispatch of a fixed routing (the exact MILP of model.py with every car's stations per block fixed):
whole (``dispatch_routing``, ``dispatch_safely``) or part by part (``dispatch_parts``, parts.py), its
lexicographic stages solved in turn (``solve_stages``: shelters fully served, tier-1 kWh, the weighted final
stage, comfort kWh), and the clock of a solve's steps (``Clock``). Used by solve.py's phases. Units: kW per
30-min slot, kWh; seconds are wall time.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pyomo.environ as pyo

from optimizer.outage.extract import extract
from optimizer.outage.inputs import OutageInput
from optimizer.outage.load_following import InfeasibleMoveError, simulate
from optimizer.outage.model import build_model
from optimizer.outage.parts import dispatch_all, parts
from optimizer.outage.result import OutagePlan
from optimizer.outage.warm import warm_start
from optimizer.solver import HighsModel, HighsOptions, RunOutcome

log = logging.getLogger(__name__)

STAGES = (("full", 0.4), ("tier1", 0.3), ("final", 0.3))

COMFORT_STAGE = ("comfort", 0.15)  # solved last, only in models with a comfort tier (model.add_objective)

MIN_PART_S = 0.5  # no part dispatch is started with less time than this (seconds)

PART_TIER_GAP = 1e-4  # HiGHS's relative gap in the tier stages of a part's dispatch


class Clock:
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


@dataclass
class Stages:
    """What the staged solve reached: the last stage with a solution, its run, whether all were optimal."""

    stage: str = ""
    run: RunOutcome | None = None
    optimal: bool = True
    notes: list[str] = field(default_factory=list)
    values: dict[str, tuple[float, float | None]] = field(default_factory=dict)


def solve_stages(
    m: pyo.ConcreteModel,
    held: HighsModel,
    time_limit_s: float,
    mip_gap: float,
    clock: Clock,
    prefix: str = "",
    raw: dict[str, object] | None = None,
    only: tuple[str, ...] | None = None,
    tier_gap: float = 1e-6,
) -> Stages:
    """Solve the lexicographic stages in turn (only those named in `only`, if given: the first ones), each
    warm-started from the last and keeping its value; HiGHS's relative gap mip_gap in the final and comfort
    stages, tier_gap in full and tier1."""
    out, started = Stages(), time.perf_counter()
    every: tuple[tuple[str, float], ...] = (*STAGES, COMFORT_STAGE) if hasattr(m, "stage_comfort") else STAGES
    stages = tuple(st for st in every if only is None or st[0] in only)
    for k, (stage, share) in enumerate(stages):
        m.stage_full.set_value(1.0 if stage == "full" else 0.0)
        m.stage_tier1.set_value(1.0 if stage == "tier1" else 0.0)
        m.stage_final.set_value(1.0 if stage == "final" else 0.0)
        if hasattr(m, "stage_comfort"):
            m.stage_comfort.set_value(1.0 if stage == "comfort" else 0.0)
        left = time_limit_s - (time.perf_counter() - started)
        later = sum(f for _, f in stages[k + 1 :])
        limit = max(left * share / (share + later), 1.0)
        gap = mip_gap if stage in ("final", "comfort") else tier_gap
        run = held.solve(HighsOptions(time_limit_s=limit, mip_rel_gap=gap, raw=raw or {}), warm_start=True)
        clock.split(**{f"{prefix}{stage}_highs": run.highs_s, f"{prefix}{stage}_compile": run.compile_s})
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
        elif stage == "final" and hasattr(m, "final_min"):
            m.final_min.set_value(float(pyo.value(m.final)) - 1e-6 * max(1.0, abs(value)))
    return out


def dispatch_routing(
    data: OutageInput,
    assignment: np.ndarray,
    time_limit_s: float,
    clock: Clock,
    prefix: str,
    only: tuple[str, ...] | None = None,
    tier_gap: float = 1e-6,
) -> OutagePlan | None:
    """The exact MILP (model.py) over the stations of `assignment` only, with the routing fixed, warm-started
    from the rule's dispatch of it (when the rule can drive it: it may drain a car below what a later move
    needs); the rule's plan if HiGHS finds nothing better, None if neither has a plan (a routing with no car
    deployed is dispatched too: the shelters' own PV and battery, tier 1 first). tier_gap: HiGHS's
    relative gap in the stages full and tier1."""
    try:
        rule: OutagePlan | None = simulate(data, assignment, method="milp")
    except InfeasibleMoveError:
        rule = None
    stations = {v: sorted({int(s) for s in assignment[v] if s >= 0}) for v in range(len(data.usable_evs))}
    cand = {v: st for v, st in stations.items() if st}
    model = build_model(data, cand)  # with no car too: the MILP rations the shelters' own PV and battery
    for v, s, b in model.x:
        model.x[v, s, b].fix(1.0 if assignment[v, b] == s else 0.0)
    if rule is not None:
        warm_start(model, rule)
    outcome = solve_stages(
        model, HighsModel(model), time_limit_s, 1e-4, clock, prefix=prefix, only=only, tier_gap=tier_gap
    )
    if outcome.run is None:
        return None if rule is None else replace(rule, notes=(*outcome.notes, "routing dispatched by the rule"))
    plan = extract(model, data, "milp", "optimal" if outcome.optimal else outcome.run.termination)
    plan = replace(plan, notes=tuple(f"{prefix}{n}" for n in outcome.notes))
    if rule is not None and rule.score > plan.score:
        return replace(rule, notes=("routing dispatched by the rule",))
    return plan


def dispatch_safely(
    data: OutageInput,
    assignment: np.ndarray,
    time_limit_s: float,
    clock: Clock,
    prefix: str,
    only: tuple[str, ...] | None = None,
    tier_gap: float = 1e-6,
) -> OutagePlan | None:
    """dispatch_routing, None (logged) on a modelling bug: the plan found so far must not be lost."""
    try:
        return dispatch_routing(data, assignment, time_limit_s, clock, prefix, only, tier_gap)
    except Exception:
        log.exception("exact dispatch of a routing failed")
        return None


def dispatch_parts(
    data: OutageInput,
    assignment: np.ndarray,
    time_limit_s: float,
    clock: Clock,
    prefix: str,
    only: tuple[str, ...] | None = None,
) -> OutagePlan | None:
    """The routing dispatched part by part (parts.dispatch_all: exact per part, and far smaller MILPs than the
    whole), the time limit shared by the parts still to solve; the whole dispatch (dispatch_routing) if a part
    has no plan or on a modelling bug."""
    groups = parts(data, assignment)
    started, todo = time.perf_counter(), [len(groups) + len(data.shelters) - sum(len(s) for s, _ in groups)]

    def dispatch(part: OutageInput, rows: np.ndarray) -> OutagePlan | None:
        seconds = max((time_limit_s - (time.perf_counter() - started)) / max(todo[0], 1), MIN_PART_S)
        todo[0] -= 1
        return dispatch_routing(part, rows, seconds, clock, prefix, only, PART_TIER_GAP)

    try:
        found = dispatch_all(data, assignment, dispatch)
    except Exception:
        log.exception("part-by-part dispatch of a routing failed")
        found = None
    if found is not None:
        return found
    left = max(time_limit_s - (time.perf_counter() - started), MIN_PART_S)
    return dispatch_safely(data, assignment, left, clock, prefix, only)
