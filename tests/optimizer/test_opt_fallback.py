"""The fallback chain on optimiser inputs (runtime.loop.fallback.plan_result, what `ems plan` runs): a solve that
gives nothing falls back to the LP relaxation, the last plan shifted, then the baseline, and says so. The
optimizer's own rungs never raise: solve() returns NoSolution with HiGHS's termination."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from optimizer.dayahead.from_scenario import build_inputs
from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.result import NoSolution, SolveOptions
from optimizer.dayahead.solve import baseline, shifted, solve, solve_relaxed
from runtime.facades.dayahead_planning import day_index
from runtime.loop.fallback import plan_result
from scenarios.loader import builtin_data, parse_scenario

JST = ZoneInfo("Asia/Tokyo")

NO_TIME = SolveOptions(time_limit_s=0.0)


def tiny_inputs(day: dt.datetime, min_power_kw: float = 0.0, n: int = 48) -> PlanInputs:
    data = builtin_data("tiny")
    data["facilities"][1]["ev_chargers"][0]["min_power_kw"] = min_power_kw
    s = parse_scenario(data)
    idx = pd.date_range(pd.Timestamp(day), periods=n, freq="30min")
    hours = (idx.hour + idx.minute / 60).to_numpy()
    pv = {
        "centre": pd.Series(12 * np.clip(np.sin(np.pi * (hours - 6) / 13), 0, None), index=idx),
        "school": pd.Series(16 * np.clip(np.sin(np.pi * (hours - 6) / 13), 0, None), index=idx),
    }
    load = {f.id: pd.Series(8.0 + 4 * (hours > 8) * (hours < 18), index=idx) for f in s.facilities}
    price = pd.Series(10 + 8 * (hours > 16) * (hours < 21), index=idx, dtype=float)
    return build_inputs(s, idx, pv, load, price)


def test_solve_without_solution_is_typed_not_raised() -> None:
    inputs = tiny_inputs(dt.datetime(2024, 8, 1, tzinfo=JST))
    result = solve(inputs, NO_TIME)
    assert isinstance(result, NoSolution)
    assert result.status == "no_solution"
    assert result.termination == "TimeLimit"
    assert "TimeLimit" in result.reason
    # no binary in this model: the relaxation is the MILP itself, so it is not tried again
    relaxed = solve_relaxed(inputs, NO_TIME)
    assert isinstance(relaxed, NoSolution)
    assert "no binary" in relaxed.reason


def test_time_out_without_solution_falls_back_to_baseline() -> None:
    inputs = tiny_inputs(dt.datetime(2024, 8, 1, tzinfo=JST))
    result = plan_result(inputs, NO_TIME)
    assert result.fallback_used == "baseline"
    assert result.status == "baseline"
    assert "TimeLimit" in result.fallback_reason
    assert result.objective_jpy == pytest.approx(baseline(inputs).objective_jpy)


def test_lp_relaxation_is_tried_first_when_binaries_exist() -> None:
    inputs = tiny_inputs(dt.datetime(2024, 8, 1, tzinfo=JST), min_power_kw=1.4)
    assert inputs.binary_evs == ["ev1"]
    result = plan_result(inputs, NO_TIME)
    assert result.fallback_used == "baseline"
    assert "LP relaxation" in result.fallback_reason


def test_lp_relaxation_fallback_when_the_mip_finds_nothing() -> None:
    # A node limit of 0 with heuristics off stops the MIP before any incumbent; the LP has no such limit.
    inputs = tiny_inputs(dt.datetime(2024, 8, 1, tzinfo=JST), min_power_kw=1.4)
    options = SolveOptions(highs_options={"mip_max_nodes": 0, "mip_heuristic_effort": 0.0, "presolve": "off"})
    result = plan_result(inputs, options)
    if result.fallback_used is None:
        pytest.skip("HiGHS found an incumbent at the root; the relaxation path is covered by the next assertions")
    assert result.fallback_used == "lp_relaxation"
    assert result.status == "relaxed"
    assert result.objective_jpy <= baseline(inputs).objective_jpy + 1e-6


def test_relaxed_rung_solves_the_lp_when_binaries_exist() -> None:
    inputs = tiny_inputs(dt.datetime(2024, 8, 1, tzinfo=JST), min_power_kw=1.4)
    relaxed = solve_relaxed(inputs)
    assert not isinstance(relaxed, NoSolution)
    assert relaxed.status == "relaxed"
    milp = solve(inputs)
    assert not isinstance(milp, NoSolution)
    assert relaxed.solver_objective_jpy is not None
    assert milp.solver_objective_jpy is not None
    assert relaxed.solver_objective_jpy <= milp.solver_objective_jpy + 1e-6  # a relaxation bounds the MILP


def test_last_plan_shifted_when_given() -> None:
    first = plan_result(tiny_inputs(dt.datetime(2024, 8, 1, 0, 0, tzinfo=JST)))
    assert first.status == "optimal"
    assert first.fallback_used is None
    later = tiny_inputs(dt.datetime(2024, 8, 1, 1, 0, tzinfo=JST))
    result = plan_result(later, NO_TIME, previous=first)
    assert result.fallback_used == "last_plan_shifted"
    assert result.status == "shifted"
    np.testing.assert_allclose(result.dispatch.buy_kw[:-2], first.dispatch.buy_kw[2:])
    # a previous plan of another shape is not used
    other = plan_result(tiny_inputs(dt.datetime(2024, 8, 1, 1, 0, tzinfo=JST), n=24), NO_TIME, previous=first)
    assert other.fallback_used == "baseline"
    assert "does not fit" in other.fallback_reason
    assert shifted(first, tiny_inputs(dt.datetime(2024, 8, 1, 1, 0, tzinfo=JST), n=24)) is None


def test_day_index_refuses_empty_horizon() -> None:
    with pytest.raises(ValueError, match="horizon"):
        day_index(dt.date(2024, 8, 1), 0)
