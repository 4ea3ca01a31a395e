"""Run HiGHS on a plan model through Pyomo's persistent ``highs`` interface (pyomo.contrib.solver)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.common.timing import HierarchicalTimer
from pyomo.contrib.solver.common.results import SolutionStatus
from pyomo.contrib.solver.solvers.highs import Highs, _MutableConstraintBounds
from pyomo.core.base.param import ParamData
from pyomo.core.expr.numeric_expr import (
    NPV_MaxExpression,
    NPV_MinExpression,
    NPV_NegationExpression,
    NPV_ProductExpression,
    NPV_SumExpression,
)

from optimizer.result import SolveOptions


@dataclass(frozen=True)
class RunOutcome:
    """What one HiGHS run gave: has_solution, termination text, objective (JPY), gap, seconds (handover_s =
    everything but HiGHS itself: passing the model or the changed Params over and loading the solution back)."""

    has_solution: bool
    optimal: bool
    termination: str
    objective: float | None
    gap: float | None
    handover_s: float
    highs_s: float
    values: dict[str, np.ndarray] | None = None


def _fast_value(expr: Any) -> float:  # noqa: PLR0911
    """Value of a mutable bound as Pyomo's direct interface stores it: numbers and Params combined by negation,
    product, sum, max and min (what this model produces); anything else goes through pyomo's value()."""
    kind = type(expr)
    if kind is float or kind is int:
        return float(expr)
    if kind is ParamData:
        return float(expr._value)
    if kind is NPV_NegationExpression:
        return -_fast_value(expr.args[0])
    if kind is NPV_ProductExpression:
        return _fast_value(expr.args[0]) * _fast_value(expr.args[1])
    if kind is NPV_SumExpression:
        return sum(_fast_value(arg) for arg in expr.args)
    if kind is NPV_MaxExpression:
        return max(_fast_value(arg) for arg in expr.args)
    if kind is NPV_MinExpression:
        return min(_fast_value(arg) for arg in expr.args)
    return float(pyo.value(expr))


class BatchHighs(Highs):  # type: ignore[misc]  # pyomo is untyped
    """Pyomo's persistent HiGHS interface with batched hand-over and re-plan updates.

    * ``add_block``: the stock version discovers variables constraint by constraint and calls HiGHS's
      ``addVars`` and ``changeColsIntegrality`` once per constraint (~10k calls at 37 facilities x 96 slots);
      adding every variable first (and skipping empty additions) makes those later checks no-ops.
    * ``update_parameters``: the stock version evaluates each mutable row/column bound with pyomo's generic
      expression walker and pushes it with one HiGHS call each; here the simple bound expressions this model
      makes are evaluated directly and pushed with one ``changeRowsBounds`` / ``changeColsBounds`` call.
      Mutable coefficients and the objective are updated by the stock helpers.
    * empty constraint/variable removals (made by every stock ``update``) are skipped, so HiGHS keeps its basis.
    """

    def add_block(self, block: pyo.Block) -> None:
        """Add all variables of `block` at once, then its Params, constraints and objective; remember each
        Var component's HiGHS columns (in the component's index order) for ``column_values``."""
        self.add_variables(list(block.component_data_objects(pyo.Var, descend_into=True)))
        columns = self._pyomo_var_to_solver_var_map
        self.columns = {
            var.local_name: np.fromiter((columns[id(v)] for v in var.values()), dtype=np.int64, count=len(var))
            for var in block.component_objects(pyo.Var, descend_into=True)
        }
        super().add_block(block)

    def column_values(self) -> dict[str, np.ndarray]:
        """The solution per Var component name as arrays in index order (read straight from HiGHS, instead of
        setting ~10^4 Pyomo variable values one by one)."""
        solution = np.asarray(self._solver_model.getSolution().col_value)
        return {name: solution[idx] for name, idx in self.columns.items()}

    def _add_variables(self, variables: list[Any]) -> None:
        """Skip the per-constraint HiGHS calls when a constraint brings no new variable."""
        if variables:
            super()._add_variables(variables)

    def _remove_constraints(self, cons: list[Any]) -> None:
        """Skip empty removals: the stock update calls ``deleteRows`` with no rows on every re-solve, which
        makes HiGHS drop its basis (no warm start) and rebuilds the row map."""
        if cons:
            super()._remove_constraints(cons)

    def _remove_variables(self, variables: list[Any]) -> None:
        """Skip empty removals (see _remove_constraints)."""
        if variables:
            super()._remove_variables(variables)

    def update_parameters(self) -> None:
        """Push changed mutable Params to HiGHS (bounds in two batched calls)."""
        self._sol = None
        if self._last_results_object is not None:
            self._last_results_object.solution_loader.invalidate()
        rows: list[int] = []
        row_bounds: list[tuple[float, float]] = []
        for helpers in self._mutable_helpers.values():
            for helper in helpers:
                if type(helper) is _MutableConstraintBounds:
                    rows.append(helper.con_map[helper.con])
                    row_bounds.append((_fast_value(helper.lower_expr), _fast_value(helper.upper_expr)))
                else:
                    helper.update()
        if rows:
            lo, hi = np.array(row_bounds).T
            self._solver_model.changeRowsBounds(len(rows), np.array(rows, dtype=np.int32), lo, hi)
        cols: list[int] = []
        col_bounds: list[tuple[float, float]] = []
        for _var, helper in self._mutable_bounds.values():
            cols.append(helper.var_map[helper.pyomo_var_id])
            col_bounds.append((_fast_value(helper.lower_expr), _fast_value(helper.upper_expr)))
        if cols:
            lo, hi = np.array(col_bounds).T
            self._solver_model.changeColsBounds(len(cols), np.array(cols, dtype=np.int32), lo, hi)
        self._mutable_objective.update()


def new_solver(structure_fixed: bool = True) -> BatchHighs:
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


def run_highs(m: pyo.ConcreteModel, options: SolveOptions, solver: BatchHighs | None = None) -> RunOutcome:
    """Solve `m` (hand it over first, or push changed Params if `solver` already holds it); return the solution
    as arrays per Var component (``RunOutcome.values``; the Pyomo variables themselves are not loaded).

    Never raises on solver trouble: an exception becomes has_solution=False with its message.
    """
    solver = solver or new_solver()
    timer = HierarchicalTimer()
    tick = time.perf_counter()
    try:
        res = solver.solve(
            m,
            timer=timer,
            time_limit=options.time_limit_s,
            rel_gap=options.mip_rel_gap,
            abs_gap=options.mip_abs_gap_jpy,
            threads=options.threads,
            solver_options={"presolve": "on", "output_flag": False, **options.highs_options},
            load_solutions=False,
            raise_exception_on_nonoptimal_result=False,
        )
    except Exception as exc:  # solver trouble must not escape
        return RunOutcome(
            False, False, f"error: {type(exc).__name__}: {exc}", None, None, time.perf_counter() - tick, 0.0
        )
    has = res.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
    values = solver.column_values() if has else None
    wall = time.perf_counter() - tick
    highs_s = timer.get_total_time("optimize") if "optimize" in str(timer) else 0.0
    term = res.termination_condition.name
    return RunOutcome(
        has,
        res.solution_status == SolutionStatus.optimal,
        term,
        res.incumbent_objective,
        _gap(res.incumbent_objective, res.objective_bound),
        wall - highs_s,
        highs_s,
        values,
    )
