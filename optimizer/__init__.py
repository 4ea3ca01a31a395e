"""Day-ahead and rolling city schedule in Pyomo/HiGHS: inputs -> model -> solve -> typed result.

Entry points: ``build_inputs`` (scenario + series -> PlanInputs), ``solve`` (PlanResult, with fallbacks),
``baseline`` (rule-based plan, same cost function), ``RollingPlanner`` (persistent re-plans).
"""

from optimizer.inputs import InputError, PlanInputs
from optimizer.penalties import Penalties
from optimizer.result import PlanResult, SolveOptions
from optimizer.rolling import RollingPlanner
from optimizer.scenario_inputs import Overrides, build_inputs
from optimizer.solve import baseline, solve

__all__ = [
    "InputError",
    "Overrides",
    "Penalties",
    "PlanInputs",
    "PlanResult",
    "RollingPlanner",
    "SolveOptions",
    "baseline",
    "build_inputs",
    "solve",
]
