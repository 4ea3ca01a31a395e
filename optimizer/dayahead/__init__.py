"""Day-ahead and rolling city schedule: inputs -> from_scenario -> model -> solve -> result.

Entry points: ``build_inputs`` (scenario + series -> PlanInputs), the rungs ``solve`` / ``solve_relaxed`` /
``shifted`` / ``baseline`` (optimizer.dayahead.solve; the runtime chains them), ``RollingPlanner`` (re-plans
in a kept HiGHS model).
"""

from optimizer.dayahead.from_scenario import Overrides, build_inputs
from optimizer.dayahead.inputs import InputError, PlanInputs
from optimizer.dayahead.penalties import Penalties
from optimizer.dayahead.result import NoSolution, PlanResult, SolveOptions
from optimizer.dayahead.rolling import RollingPlanner
from optimizer.dayahead.solve import baseline, shifted, solve, solve_relaxed

__all__ = [
    "InputError",
    "NoSolution",
    "Overrides",
    "Penalties",
    "PlanInputs",
    "PlanResult",
    "RollingPlanner",
    "SolveOptions",
    "baseline",
    "build_inputs",
    "shifted",
    "solve",
    "solve_relaxed",
]
