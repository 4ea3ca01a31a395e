"""RollingPlanner: keep one built model and a persistent HiGHS solver; each re-plan only rewrites Params.

A re-plan with inputs of the same structure (same slots count, facilities, batteries, EVs, links) updates
the mutable Params (forecasts, prices, initial SoC, plug windows, targets) and re-solves; HiGHS receives
only the changed coefficients and bounds. Inputs with another structure rebuild the model.
"""

from __future__ import annotations

import logging
import time

import pyomo.environ as pyo

from optimizer.highs_run import new_solver, run_highs
from optimizer.inputs import PlanInputs
from optimizer.model import build_model, update_params
from optimizer.result import PlanResult, SolveOptions
from optimizer.solve import fallback, result_from_run

log = logging.getLogger(__name__)


class RollingPlanner:
    """Re-plans cheaply on new data; `last` holds the latest result (used as the shifted-plan fallback)."""

    def __init__(self, options: SolveOptions | None = None) -> None:
        self.options = options or SolveOptions()
        self.model: pyo.ConcreteModel | None = None
        self.key: tuple[object, ...] | None = None
        self.solver = new_solver()
        self.last: PlanResult | None = None
        self.rebuilds = 0

    def plan(self, inputs: PlanInputs) -> PlanResult:
        """Plan for `inputs`: Param update + persistent re-solve when the structure is unchanged."""
        tick = time.perf_counter()
        try:
            if self.model is None or self.key != inputs.structure_key():
                self.model = build_model(inputs, relax=self.options.relax)
                self.key = inputs.structure_key()
                self.solver = new_solver()
                self.rebuilds += 1
            else:
                update_params(self.model, inputs)
        except Exception as exc:  # never raise on solver trouble
            log.exception("rolling plan: model build/update failed")
            self.model, self.key = None, None
            result = fallback(inputs, self.options, f"model build failed: {exc}", self.last, tried_relaxed=True)
            self.last = result
            return result
        build_s = time.perf_counter() - tick
        run = run_highs(self.model, self.options, self.solver)
        if run.has_solution:
            result = result_from_run(inputs, self.model, run, build_s)
        else:
            result = fallback(
                inputs,
                self.options,
                f"HiGHS found no solution ({run.termination})",
                self.last,
                tried_relaxed=self.options.relax,
            )
        self.last = result
        return result
