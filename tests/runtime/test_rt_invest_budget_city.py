"""Budget mode on 'tiny' (one shelter 'centre'; the dealer car 'ev1' is not based there, so the one-shelter plan
may not use it): the city-wide least-cost plan at the target with the shared car answers when it fits the budget
(about 1.19 M JPY against 2.72 M for the shelter sized alone), the ladder answers below it as before."""

from __future__ import annotations

import pytest

from optimizer.invest import YearSeries
from runtime.facades import invest_planning
from runtime.facades.invest_budget import run_budget
from scenarios.loader import load_scenario
from scenarios.model import Scenario

TARGET = 0.95


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    return load_scenario("tiny")


@pytest.fixture(scope="module")
def year(tiny: Scenario) -> YearSeries:
    return invest_planning.year_series(tiny)


@pytest.fixture(scope="module")
def alone_capex(tiny: Scenario, year: YearSeries) -> float:
    """Capex (JPY) of the ladder's plan for centre alone at the target, its own cars only."""
    one = invest_planning.run_invest(tiny, target=TARGET, year=year, shelters=["centre"])
    assert one.plan.verified
    return one.plan.design.capex_jpy


@pytest.fixture(scope="module")
def city_capex(tiny: Scenario, year: YearSeries) -> float:
    """Capex (JPY) of the normal `ems invest` plan at the target (shared fleet)."""
    city = invest_planning.run_invest(tiny, target=TARGET, year=year)
    assert city.plan.verified
    return city.plan.design.capex_jpy


def test_the_shared_car_plan_answers_a_budget_it_fits(
    tiny: Scenario, year: YearSeries, city_capex: float, alone_capex: float
) -> None:
    assert city_capex < alone_capex
    budget = (city_capex + alone_capex) / 2  # above the city-wide plan, below the one-shelter plan
    run, choice = run_budget(tiny, budget, target=TARGET, year=year, levels=(TARGET,))
    assert choice.path == "city-wide"
    assert "within the budget" in choice.reason
    assert run.budget is choice
    assert run.budget_jpy == budget
    assert run.plan.verified
    assert run.plan.design.allotment == {"ev1": "centre"}
    assert choice.capex_jpy == pytest.approx(city_capex)
    assert run.money.capex_jpy == pytest.approx(city_capex)
    assert choice.capex_jpy < alone_capex
    assert choice.met == len(choice.chosen) == 1
    assert choice.chosen[0].p >= TARGET
    assert sum(g.capex_jpy for g in choice.chosen) == pytest.approx(city_capex, rel=1e-6)
    assert choice.rungs_built == 0


def test_below_the_city_wide_plan_the_ladder_answers_as_before(
    tiny: Scenario, year: YearSeries, city_capex: float
) -> None:
    """Below the city-wide plan's capex: the ladder's 0.5 plan (0.97 M JPY, measured) fits and is picked."""
    budget = city_capex * 0.99
    run, choice = run_budget(tiny, budget, target=TARGET, year=year, levels=(0.5, TARGET))
    assert choice.path == "ladder"
    assert choice.city_capex_jpy == pytest.approx(city_capex)
    assert "above the budget" in choice.reason
    assert choice.rungs_built == 2
    assert [(g.site, g.target) for g in choice.chosen] == [("centre", 0.5)]
    assert choice.capex_jpy == pytest.approx(run.plan.design.capex_jpy)
    assert 0 < choice.capex_jpy <= budget
    assert choice.met == 0
    assert not run.plan.verified
    assert "ev1" not in run.plan.design.allotment
