"""RollingPlanner: keep one built model in one HiGHS object; each re-plan only rewrites Params.

A re-plan with inputs of the same structure (same slots count, facilities, batteries, EVs, links) updates
the mutable Params (forecasts, prices, initial SoC, plug windows, targets) and re-solves; HiGHS receives
only the changed costs, bounds and coefficients (optimizer.solver). Inputs with another structure rebuild
the model. A plan returns PlanResult or NoSolution and never raises; ``last`` is the latest plan that solved.
"""

from __future__ import annotations

import logging
import time

from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.model import build_model, update_params
from optimizer.dayahead.result import NoSolution, PlanResult, SolveOptions
from optimizer.dayahead.solve import outcome
from optimizer.solver import HighsModel

log = logging.getLogger(__name__)


class RollingPlanner:
    """Re-plans cheaply on new data; `last` holds the latest solved result, `rebuilds` counts model builds."""

    def __init__(self, options: SolveOptions | None = None) -> None:
        self.options = options or SolveOptions()
        self.held: HighsModel | None = None
        self.key: tuple[object, ...] | None = None
        self.last: PlanResult | None = None
        self.rebuilds = 0

    def plan(self, inputs: PlanInputs) -> PlanResult | NoSolution:
        """Plan for `inputs`: Param update + re-solve in the kept HiGHS when the structure is unchanged."""
        tick = time.perf_counter()
        try:
            if self.held is None or self.key != inputs.structure_key():
                self.held = HighsModel(build_model(inputs, relax=self.options.relax))
                self.key = inputs.structure_key()
                self.rebuilds += 1
            else:
                update_params(self.held.model, inputs)
        except Exception as exc:  # a modelling bug must still give a typed answer
            log.exception("rolling plan: model build/update failed")
            self.held, self.key = None, None
            return NoSolution(inputs, "error", f"model build failed: {type(exc).__name__}: {exc}")
        build_s = time.perf_counter() - tick
        result = outcome(inputs, self.held.model, self.held.solve(self.options.highs()), build_s)
        if isinstance(result, PlanResult):
            self.last = result
        return result
