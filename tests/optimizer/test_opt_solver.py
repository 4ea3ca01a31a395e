"""The one HiGHS interface (optimizer.solver / optimizer.matrices) on models solved by hand, and re-plans that
push only Param changes into the kept HiGHS object."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pyomo.environ as pyo
import pytest
from test_opt_fallback import tiny_inputs

from optimizer.dayahead.model import build_model, update_params
from optimizer.matrices import compile_model, param_entries
from optimizer.solver import HighsModel, HighsOptions, solve_once

JST = ZoneInfo("Asia/Tokyo")


def test_integer_program_with_a_ranged_row_by_hand() -> None:
    # max x + 2y with 1 <= x + y <= 4.5, x, y integer in [0, 3]: y = 3 (worth 2 each), x = 1 -> 7.
    # The ranged constraint is one HiGHS row with both bounds; an unused variable takes its lower bound.
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 3), within=pyo.Integers)
    m.y = pyo.Var(bounds=(0, 3), within=pyo.Integers)
    m.unused = pyo.Var(bounds=(2, 5))
    m.both = pyo.Constraint(expr=pyo.inequality(1, m.x + m.y, 4.5))
    m.obj = pyo.Objective(expr=m.x + 2 * m.y, sense=pyo.maximize)
    mat = compile_model(m)
    assert len(mat.row_lower) == 1
    assert (mat.row_lower[0], mat.row_upper[0]) == (1.0, 4.5)
    assert mat.maximize
    run = solve_once(m, HighsOptions(mip_rel_gap=0.0))
    assert run.optimal
    assert run.termination == "Optimal"
    assert run.objective == pytest.approx(7.0)
    assert run.bound == pytest.approx(7.0)
    assert run.values is not None
    assert run.values["x"].tolist() == pytest.approx([1.0])
    assert run.values["y"].tolist() == pytest.approx([3.0])
    assert run.values["unused"].tolist() == [2.0]


def test_infeasible_model_gives_no_solution_not_an_exception() -> None:
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1))
    m.c = pyo.Constraint(expr=m.x >= 2)
    m.obj = pyo.Objective(expr=m.x)
    run = solve_once(m, HighsOptions())
    assert not run.has_solution
    assert run.termination == "Infeasible"
    assert run.values is None


def test_param_change_is_pushed_without_a_new_hand_over() -> None:
    # min 3x s.t. x >= d (mutable): 3d; d 2 -> 5 gives 15 in the same HiGHS object, one value sent (a row bound).
    m = pyo.ConcreteModel()
    m.d = pyo.Param(initialize=2.0, mutable=True)
    m.x = pyo.Var(bounds=(0, 10))
    m.c = pyo.Constraint(expr=m.x >= m.d)
    m.obj = pyo.Objective(expr=3 * m.x)
    held = HighsModel(m)
    assert held.solve(HighsOptions()).objective == pytest.approx(6.0)
    m.d.set_value(5.0)
    again = held.solve(HighsOptions())
    assert again.objective == pytest.approx(15.0)
    assert held.handovers == 1
    assert held.values_sent == 1


def test_reevaluated_entries_equal_a_fresh_compile_of_the_plan_model() -> None:
    # Two inputs of the same structure (other prices, SoC, loads and a shorter first slot): re-evaluating the
    # Param-dependent entries of the first model gives exactly the matrices a fresh compile of the second gives.
    first = tiny_inputs(dt.datetime(2024, 8, 1, tzinfo=JST), min_power_kw=1.4)
    later = tiny_inputs(dt.datetime(2024, 8, 1, 0, 30, tzinfo=JST), min_power_kw=1.4)
    later = dataclasses.replace(later, hours=np.r_[0.2, later.hours[1:]])
    assert later.structure_key() == first.structure_key()
    m = build_model(first)
    mat = compile_model(m)
    entries = param_entries(m, mat)
    assert entries.count > 0
    assert len(entries.index["a_value"]) > 0  # slot-0 coefficients follow the first slot's length
    update_params(m, later)
    fresh = compile_model(build_model(later))
    again = entries.evaluate(mat)
    for name in ("cost", "col_lower", "col_upper", "row_lower", "row_upper", "a_value"):
        np.testing.assert_array_equal(getattr(again, name), getattr(fresh, name), err_msg=name)
    assert again.offset == fresh.offset


def test_fixed_variable_moves_to_the_bounds() -> None:
    # min y s.t. y >= x + 1 with x fixed at 2: y = 3; x keeps its fixed value in the solution arrays.
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 10))
    m.y = pyo.Var(bounds=(0, 10))
    m.x.fix(2.0)
    m.c = pyo.Constraint(expr=m.y >= m.x + 1)
    m.obj = pyo.Objective(expr=m.y)
    mat = compile_model(m)
    assert len(mat.columns) == 1
    run = solve_once(m, HighsOptions())
    assert run.objective == pytest.approx(3.0)
    assert run.values is not None
    assert run.values["x"].tolist() == [2.0]


def test_an_lp_re_solve_gets_its_own_time_limit() -> None:
    # HiGHS times LPs on a clock that runs on across runs of one Highs object: without a per-run limit, a kept
    # model whose earlier solves took longer in all than the next run's limit stops at once (TimeLimit, no
    # plan). Re-solves after every cost changed take r_i seconds each; one more, given twice the longest r_i
    # (far below the clock's total by then), must still finish optimal.
    rng = np.random.default_rng(7)
    n, rows = 1500, 400
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(n), bounds=(0.0, 1.0))
    m.tilt = pyo.Param(mutable=True, initialize=0.0)
    cost, noise = rng.uniform(1.0, 10.0, n), rng.uniform(-3.0, 3.0, n)
    weight = rng.uniform(1.0, 10.0, (rows, n)) * (rng.random((rows, n)) < 0.05)
    m.cap = pyo.Constraint(
        range(rows), rule=lambda _m, r: sum(float(weight[r, i]) * _m.x[i] for i in np.flatnonzero(weight[r])) <= 20.0
    )
    m.obj = pyo.Objective(
        expr=sum((float(cost[i]) + m.tilt * float(noise[i])) * m.x[i] for i in range(n)), sense=pyo.maximize
    )
    held = HighsModel(m)
    assert held.solve(HighsOptions(time_limit_s=60.0)).optimal
    longest = 0.0
    for k in range(1, 9):
        m.tilt.set_value(k % 2 * 1.0 + k / 10)
        before = held.highs.getRunTime()
        assert held.solve(HighsOptions(time_limit_s=60.0)).optimal
        longest = max(longest, held.highs.getRunTime() - before)
    assert held.highs.getRunTime() > 2 * longest  # the clock's total is past the next run's limit
    m.tilt.set_value(0.5)
    again = held.solve(HighsOptions(time_limit_s=2 * longest))
    assert again.termination == "Optimal"
