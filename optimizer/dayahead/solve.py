"""The day-ahead plan's rungs as plain functions; none raises on solver trouble.

* ``solve(inputs, options)``: the MILP -> PlanResult, or NoSolution with HiGHS's termination and the reason.
* ``solve_relaxed(inputs, options)``: the LP relaxation (every binary continuous) -> PlanResult with status
  'relaxed', or NoSolution (also when the model has no binary, so the relaxation is the MILP itself).
* ``shifted(previous, inputs)``: the previous plan moved to the new start, or None if it does not fit.
* ``baseline(inputs)``: the rule-based plan, priced with the same cost function.

Which rung is used, in which order, is decided by the runtime (runtime.loop.fallback). Invalid inputs are refused
earlier, when PlanInputs is built.
"""

from __future__ import annotations

import logging
import time

import pyomo.environ as pyo

from optimizer.dayahead.baseline import baseline_dispatch
from optimizer.dayahead.decisions import dispatch_from_model
from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.model import build_model
from optimizer.dayahead.result import NoSolution, PlanResult, SolveOptions, make_result
from optimizer.solver import RunOutcome, solve_once
from scenarios.timegrid import SLOT

log = logging.getLogger(__name__)


def baseline(inputs: PlanInputs) -> PlanResult:
    """The rule-based plan on the same inputs, priced with the same cost function."""
    return make_result(inputs, baseline_dispatch(inputs), "baseline", "rule-based")


def outcome(
    inputs: PlanInputs, m: pyo.ConcreteModel, run: RunOutcome, build_s: float, status: str | None = None
) -> PlanResult | NoSolution:
    """A PlanResult from a solved model, or NoSolution saying why HiGHS gave none."""
    if not run.has_solution:
        return NoSolution(
            inputs,
            run.termination,
            f"HiGHS found no solution ({run.termination})",
            build_s=build_s,
            handover_s=run.compile_s + run.handover_s,
            highs_s=run.highs_s,
        )
    return make_result(
        inputs,
        dispatch_from_model(m, inputs, run.values),
        status or ("optimal" if run.optimal else "feasible"),
        run.termination,
        solver_objective_jpy=run.objective,
        mip_gap=run.gap,
        build_s=build_s,
        handover_s=run.compile_s + run.handover_s,
        compile_s=run.compile_s,
        highs_s=run.highs_s,
    )


def _build_and_solve(
    inputs: PlanInputs, options: SolveOptions, relax: bool, status: str | None
) -> PlanResult | NoSolution:
    tick = time.perf_counter()
    try:
        m = build_model(inputs, relax=relax)
    except Exception as exc:  # a modelling bug must still give a typed answer
        log.exception("plan: model build failed")
        return NoSolution(inputs, "error", f"model build failed: {type(exc).__name__}: {exc}")
    build_s = time.perf_counter() - tick
    return outcome(inputs, m, solve_once(m, options.highs()), build_s, status)


def solve(inputs: PlanInputs, options: SolveOptions | None = None) -> PlanResult | NoSolution:
    """Build the model for `inputs` and solve it with HiGHS (``options.relax``: as an LP)."""
    options = options or SolveOptions()
    return _build_and_solve(inputs, options, options.relax, None)


def has_binaries(inputs: PlanInputs) -> bool:
    """True if the model gets binaries (EV minimum power, exclusivity in disposal slots)."""
    return bool(inputs.binary_evs or inputs.disposal_slots())


def solve_relaxed(inputs: PlanInputs, options: SolveOptions | None = None) -> PlanResult | NoSolution:
    """The LP relaxation (binaries continuous) as status 'relaxed'; NoSolution if it has none or the model has
    no binary (then the relaxation is the MILP that already failed)."""
    if not has_binaries(inputs):
        return NoSolution(inputs, "skipped", "LP relaxation: the model has no binary, it is the MILP itself")
    result = _build_and_solve(inputs, options or SolveOptions(), True, "relaxed")
    if isinstance(result, NoSolution):
        return NoSolution(inputs, result.termination, f"LP relaxation: {result.reason}")
    return result


def shift_slots(previous: PlanResult, inputs: PlanInputs) -> int | None:
    """Slots from the previous plan's start to the new one, if the previous plan fits the new inputs (same
    structure, new start on its grid, inside its horizon); else None."""
    if previous.inputs.structure_key() != inputs.structure_key():
        return None
    offset = (inputs.index[0] - previous.inputs.index[0]) / SLOT
    if offset < 0 or offset != int(offset) or offset >= inputs.n_slots:
        return None
    return int(offset)


def shifted(previous: PlanResult | None, inputs: PlanInputs) -> PlanResult | None:
    """The previous plan moved to the start of `inputs` (tail repeats the last slot), priced on the new inputs;
    None without a previous plan or if it does not fit (see shift_slots)."""
    if previous is None:
        return None
    slots = shift_slots(previous, inputs)
    if slots is None:
        return None
    return make_result(inputs, previous.dispatch.shifted(slots), "shifted", f"shifted by {slots} slot(s)")


__all__ = ["baseline", "has_binaries", "outcome", "shift_slots", "shifted", "solve", "solve_relaxed"]
