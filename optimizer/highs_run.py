"""Run HiGHS on a plan model through Pyomo's persistent ``highs`` interface (pyomo.contrib.solver)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyomo.environ as pyo
from pyomo.common.timing import HierarchicalTimer
from pyomo.contrib.solver.common.results import SolutionStatus
from pyomo.contrib.solver.solvers.highs import Highs

from optimizer.result import SolveOptions


@dataclass(frozen=True)
class RunOutcome:
    """What one HiGHS run gave: has_solution, termination text, objective (JPY), gap, seconds."""

    has_solution: bool
    optimal: bool
    termination: str
    objective: float | None
    gap: float | None
    handover_s: float
    highs_s: float


class BatchHighs(Highs):
    """Pyomo's persistent HiGHS interface, handing all variables over in one batch.

    The stock ``add_block`` discovers variables constraint by constraint and calls HiGHS's ``addVars`` and
    ``changeColsIntegrality`` once per constraint (~10k calls at 37 facilities x 96 slots); adding every
    variable of the model first makes those later checks no-ops.
    """

    def add_block(self, block: pyo.Block) -> None:
        """Add all variables of `block` at once, then its Params, constraints and objective."""
        self.add_variables(list(block.component_data_objects(pyo.Var, descend_into=True)))
        super().add_block(block)


def new_solver(structure_fixed: bool = True) -> Highs:
    """A persistent HiGHS solver; with structure_fixed only mutable Params are re-checked between solves."""
    solver = BatchHighs()
    if structure_fixed:
        upd = solver.config.auto_updates
        upd.check_for_new_or_removed_constraints = False
        upd.check_for_new_or_removed_vars = False
        upd.check_for_new_or_removed_params = False
        upd.check_for_new_objective = False
        upd.update_constraints = False
        upd.update_vars = False
        upd.update_named_expressions = False
        upd.update_objective = False
        upd.update_parameters = True
    return solver


def _gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None:
        return None
    return abs(objective - bound) / max(1.0, abs(objective))


def run_highs(m: pyo.ConcreteModel, options: SolveOptions, solver: Highs | None = None) -> RunOutcome:
    """Solve `m` (hand it over first, or push changed Params if `solver` already holds it); load the values.

    Never raises on solver trouble: an exception becomes has_solution=False with its message.
    """
    solver = solver or new_solver()
    timer = HierarchicalTimer()
    tick = time.perf_counter()
    try:
        res = solver.solve(
            m, timer=timer, time_limit=options.time_limit_s, rel_gap=options.mip_rel_gap,
            abs_gap=options.mip_abs_gap_jpy, threads=options.threads,
            solver_options={"presolve": "on", **options.highs_options},
            load_solutions=False, raise_exception_on_nonoptimal_result=False)
    except Exception as exc:  # solver trouble must not escape
        return RunOutcome(False, False, f"error: {type(exc).__name__}: {exc}", None, None,
                          time.perf_counter() - tick, 0.0)
    wall = time.perf_counter() - tick
    highs_s = timer.get_total_time("optimize") if "optimize" in str(timer) else 0.0
    has = res.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
    if has:
        res.solution_loader.load_vars()
    term = res.termination_condition.name
    return RunOutcome(has, res.solution_status == SolutionStatus.optimal, term, res.incumbent_objective,
                      _gap(res.incumbent_objective, res.objective_bound), wall - highs_s, highs_s)
