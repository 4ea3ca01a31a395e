# mypy: allow-untyped-defs, allow-incomplete-defs
"""The loop's one fallback chain (runtime.loop.fallback): assemble -> solve -> LP relaxation -> last plan shifted ->
baseline -> safe, with the real optimiser rungs on 'tiny', one test per rung."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import service_fixtures
from service_fixtures import make_service

from runtime.loop import fallback
from runtime.loop.fallback import NoPlan
from runtime.loop.optimise import optimise
from runtime.loop.optimiser_planner import OptimizerPlanner
from runtime.store import journal, plans
from runtime.store.records import FallbackReason
from scenarios.loader import builtin_data, parse_scenario

sqlite_store = service_fixtures.sqlite_store
NOW = pd.Timestamp("2024-06-10 12:10", tz="Asia/Tokyo").to_pydatetime()  # JEPX data exists for this day


def _flat_forecaster(scenario, index):
    return {
        f.id: pd.DataFrame({"pv": 1.0 if f.pv_arrays else 0.0, "load": 5.0}, index=index) for f in scenario.supplied
    }


def _broken_forecaster(scenario, index):
    raise ValueError("weather feed: no data for the horizon")


class NoMilp(OptimizerPlanner):
    """The real optimiser whose MILP rung gives nothing (as a time-out without incumbent would)."""

    def solve(self, request, inputs):
        return NoPlan("HiGHS found no solution (TimeLimit)")


class MilpRaises(OptimizerPlanner):
    """The real optimiser whose MILP rung raises (a bug in a rung must not stop the chain)."""

    def solve(self, request, inputs):
        raise ZeroDivisionError("bug in a rung")


def _service(store, planner, scenario=None):
    svc = make_service(store, "tiny", planner=planner)
    svc.forecaster = _flat_forecaster
    if scenario is not None:
        svc.scenario = scenario
    return svc


def _binary_tiny():
    """'tiny' with a 1.4 kW minimum on the office charger: the model gets EV binaries to relax."""
    data = builtin_data("tiny")
    data["facilities"][1]["ev_chargers"][0]["min_power_kw"] = 1.4
    return parse_scenario(data)


def test_first_rung_solves_and_records_it(sqlite_store):
    svc = _service(sqlite_store, OptimizerPlanner())
    row = optimise(svc, NOW)
    assert row.kind == "optimal"
    assert row.solver_status == "optimal"
    assert row.inputs_summary.rung == "solve"
    assert row.inputs_summary.fallback_reasons == []  # no rung was skipped
    assert journal.list_events(svc.store) == []
    assert svc.failures.get("optimise", 0) == 0


def test_lp_relaxation_rung_when_the_milp_gives_nothing(sqlite_store):
    svc = _service(sqlite_store, NoMilp(), _binary_tiny())
    row = optimise(svc, NOW)
    assert row.kind == "optimal"
    assert row.solver_status == "relaxed"
    assert row.inputs_summary.rung == "lp_relaxation"
    assert "TimeLimit" in row.inputs_summary.reason
    assert [e.kind for e in journal.list_events(svc.store)] == ["plan_fallback_relaxed"]


def test_shifted_rung_before_the_baseline(sqlite_store):
    svc = _service(sqlite_store, OptimizerPlanner())
    good = optimise(svc, NOW)
    svc.planner = NoMilp()
    row = optimise(svc, NOW + dt.timedelta(hours=1))
    assert row.kind == "shifted"
    assert row.inputs_summary.base_plan_id == good.id
    assert row.inputs_summary.fallback_reasons[1].rung == "lp_relaxation"
    assert row.inputs_summary.fallback_reasons[1].reason.startswith("LP relaxation: the model has no binary")
    assert journal.list_events(svc.store, kind="plan_fallback_shifted")


def test_baseline_rung_without_a_plan_to_shift(sqlite_store):
    svc = _service(sqlite_store, NoMilp())
    row = optimise(svc, NOW)
    assert row.kind == "baseline"
    assert row.solver_status == "baseline"
    assert row.inputs_summary.rung == "baseline"
    assert "no valid plan to shift" in row.inputs_summary.reason
    assert "energy" in row.cost_breakdown  # priced by the optimiser's cost function, unlike the safe plan
    latest = plans.latest_plan(svc.store)
    assert latest is not None
    assert latest.id == row.id  # the loop follows it
    event = journal.list_events(svc.store, kind="plan_fallback_baseline")[0]
    assert event.severity == "warning"
    assert svc.failures["optimise"] == 1


def test_a_raising_rung_is_recorded_and_the_chain_goes_on(sqlite_store):
    svc = _service(sqlite_store, MilpRaises())
    row = optimise(svc, NOW)
    assert row.kind == "baseline"
    first = row.inputs_summary.fallback_reasons[0]
    assert first == FallbackReason(rung="solve", reason="solve raised ZeroDivisionError: bug in a rung")


def test_failed_input_assembly_ends_in_the_safe_plan(sqlite_store):
    svc = _service(sqlite_store, OptimizerPlanner())
    svc.forecaster = _broken_forecaster
    row = optimise(svc, NOW)
    assert row.kind == "safe"
    assert "assembling inputs failed: ValueError: weather feed" in row.inputs_summary.reason
    assert all(v == 0 for v in row.setpoints["centre"]["bat1"])
    assert journal.list_events(svc.store, kind="plan_fallback_safe")[0].severity == "alarm"


def test_failed_input_assembly_follows_the_last_plan_shifted(sqlite_store):
    svc = _service(sqlite_store, OptimizerPlanner())
    good = optimise(svc, NOW)
    svc.forecaster = _broken_forecaster
    row = optimise(svc, NOW + dt.timedelta(minutes=30))
    assert row.kind == "shifted"
    assert row.inputs_summary.base_plan_id == good.id
    assert "assembling inputs failed" in row.inputs_summary.reason


def test_chain_raises_only_if_every_rung_fails():
    with pytest.raises(RuntimeError, match="a: nothing; b raised ValueError: boom"):
        fallback.run_chain(
            [("a", lambda: NoPlan("a: nothing")), ("b", lambda: (_ for _ in ()).throw(ValueError("boom")))]
        )
    chosen = fallback.run_chain([("a", lambda: NoPlan("why a")), ("b", lambda: 42)])
    assert (chosen.plan, chosen.rung, chosen.reason) == (42, "b", "why a")
