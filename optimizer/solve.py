"""solve(inputs, options) -> PlanResult, with the fallback chain; baseline(inputs) -> PlanResult.

Fallbacks when HiGHS gives no solution (time-out without incumbent, error, infeasible): (1) the LP
relaxation (EV minimum-power binaries continuous); (2) the previous plan shifted to the new start, if given;
(3) the rule-based baseline. The result says which was used and why. solve() never raises on solver
trouble; invalid inputs are refused earlier, when PlanInputs is built.
"""

from __future__ import annotations

import logging
import time

import pandas as pd
import pyomo.environ as pyo

from optimizer.baseline import baseline_dispatch
from optimizer.dispatch import dispatch_from_model
from optimizer.highs_run import RunOutcome, run_highs
from optimizer.inputs import PlanInputs
from optimizer.model import build_model
from optimizer.result import PlanResult, SolveOptions, make_result

log = logging.getLogger(__name__)


def baseline(inputs: PlanInputs) -> PlanResult:
    """The rule-based plan on the same inputs, priced with the same cost function."""
    return make_result(inputs, baseline_dispatch(inputs), "baseline", "rule-based")


def result_from_run(
    inputs: PlanInputs,
    m: pyo.ConcreteModel,
    run: RunOutcome,
    build_s: float,
    status: str | None = None,
    **extra: object,
) -> PlanResult:
    """A PlanResult from a solved model."""
    return make_result(
        inputs,
        dispatch_from_model(m, inputs, run.values),
        status or ("optimal" if run.optimal else "feasible"),
        run.termination,
        solver_objective_jpy=run.objective,
        mip_gap=run.gap,
        build_s=build_s,
        handover_s=run.handover_s,
        highs_s=run.highs_s,
        **extra,
    )


def _shift_slots(previous: PlanResult, inputs: PlanInputs) -> int | None:
    if previous.inputs.structure_key() != inputs.structure_key():
        return None
    offset = (inputs.index[0] - previous.inputs.index[0]) / pd.Timedelta(minutes=30)
    if offset < 0 or offset != int(offset) or offset >= inputs.n_slots:
        return None
    return int(offset)


def fallback(
    inputs: PlanInputs, options: SolveOptions, reason: str, previous: PlanResult | None, tried_relaxed: bool
) -> PlanResult:
    """Relaxed LP (unless already tried), then the shifted previous plan, then the baseline; reason kept."""
    if not tried_relaxed and (inputs.binary_evs or inputs.disposal_slots()):
        tick = time.perf_counter()
        try:
            m = build_model(inputs, relax=True)
            build_s = time.perf_counter() - tick
            run = run_highs(m, options)
        except Exception as exc:  # never raise on solver trouble
            run = RunOutcome(False, False, f"error: {exc}", None, None, 0.0, 0.0)
            build_s = time.perf_counter() - tick
        if run.has_solution:
            log.warning("plan: MILP failed (%s); using the LP relaxation", reason)
            return result_from_run(
                inputs,
                m,
                run,
                build_s,
                status="relaxed",
                fallback_used="lp_relaxation",
                fallback_reason=f"{reason}; binaries (EV minimum power, exclusivity) relaxed",
            )
        reason = f"{reason}; LP relaxation: {run.termination}"
    if previous is not None:
        slots = _shift_slots(previous, inputs)
        if slots is not None:
            log.warning("plan: solver failed (%s); using the previous plan shifted by %d slot(s)", reason, slots)
            return make_result(
                inputs,
                previous.dispatch.shifted(slots),
                "shifted",
                "fallback",
                fallback_used="last_plan_shifted",
                fallback_reason=reason,
            )
        reason = f"{reason}; previous plan does not fit these inputs"
    log.warning("plan: solver failed (%s); using the rule-based baseline", reason)
    return make_result(
        inputs, baseline_dispatch(inputs), "baseline", "fallback", fallback_used="baseline", fallback_reason=reason
    )


def solve(inputs: PlanInputs, options: SolveOptions | None = None, previous: PlanResult | None = None) -> PlanResult:
    """Build the model for `inputs`, solve it with HiGHS and return the typed result (never raises on
    solver trouble; see the module docstring for the fallback chain)."""
    options = options or SolveOptions()
    tick = time.perf_counter()
    try:
        m = build_model(inputs, relax=options.relax)
    except Exception as exc:  # a modelling bug must still yield a plan
        log.exception("plan: model build failed")
        return fallback(inputs, options, f"model build failed: {exc}", previous, tried_relaxed=True)
    build_s = time.perf_counter() - tick
    run = run_highs(m, options)
    if run.has_solution:
        return result_from_run(inputs, m, run, build_s)
    reason = f"HiGHS found no solution ({run.termination})"
    return fallback(inputs, options, reason, previous, tried_relaxed=options.relax)
