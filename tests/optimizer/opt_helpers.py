"""Shared helpers of the optimizer tests."""

from __future__ import annotations

from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.result import PlanResult, SolveOptions
from optimizer.dayahead.rolling import RollingPlanner
from optimizer.dayahead.solve import solve


def solved(inputs: PlanInputs, options: SolveOptions | None = None) -> PlanResult:
    """solve() where the test expects a plan: fails the test with HiGHS's reason if there is none."""
    result = solve(inputs, options)
    assert isinstance(result, PlanResult), result.reason
    return result


def planned(planner: RollingPlanner, inputs: PlanInputs) -> PlanResult:
    """RollingPlanner.plan() where the test expects a plan."""
    result = planner.plan(inputs)
    assert isinstance(result, PlanResult), result.reason
    return result
