"""Budget mode for the disaster office: the best resilience a capex budget buys (optimizer.invest.budget).
First the city-wide least-cost plan at the target (the normal `ems invest` path: shared fleet, year-verified);
if it verifies and its capex after subsidy fits the budget, it is the answer (every shelter at the target).
Otherwise a ladder of year-verified least-cost plans per shelter, each shelter alone with its own cars, then
the pick per shelter within the budget. The `budget` block says which path answered and why. Bounded by the
HiGHS time limit and max_rounds for the city-wide plan, `deadline_s` for the ladder (rungs started before it
finish) and the HiGHS time limit per sizing solve. Units: JPY (capex after subsidy), h, fractions 0..1.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

from optimizer.invest import InvestPlan, finance
from optimizer.invest.budget import (
    BudgetChoice,
    build_ladder,
    choose_within_budget,
    city_choice,
    city_fits,
    merged_plan,
)
from optimizer.invest.plan import nothing_added
from optimizer.invest.verify import SiteVerdict, site_tasks, verify_site
from optimizer.invest.year import YearSeries
from runtime.batch import BatchSettings, run_tasks
from runtime.facades.invest_planning import (
    InvestRun,
    invest_input_for,
    links_in_outage,
    representative_days,
    run_invest,
    year_series,
)
from scenarios.invest_costs import InvestCosts, load_invest_costs
from scenarios.model import Scenario

log = logging.getLogger(__name__)

BUDGET_LEVELS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99)


def today_verdicts(
    scenario: Scenario, year: YearSeries, costs: InvestCosts, batch: BatchSettings
) -> dict[str, SiteVerdict]:
    """Every shelter's year verification with nothing added and no car plan (P before)."""
    data = invest_input_for(scenario, year, {}, costs, with_fleet=False)
    tasks = site_tasks(data, year, nothing_added(data))
    return {v.site: v for v in run_tasks(verify_site, tasks, label="invest: verify today", settings=batch)}


def run_budget(
    scenario: Scenario,
    budget_jpy: float,
    costs: InvestCosts | None = None,
    target: float = 0.95,
    *,
    year: YearSeries | None = None,
    levels: tuple[float, ...] = BUDGET_LEVELS,
    deadline_s: float = 600.0,
    time_limit_s: float = 60.0,
    max_rounds: int = 6,
    with_fleet: bool = True,
    on_progress: Callable[[str], None] | None = None,
    batch: BatchSettings | None = None,
    city_first: bool = True,
    city_time_limit_s: float = 120.0,
    city_max_rounds: int = 10,
) -> tuple[InvestRun, BudgetChoice]:
    """The budget plan of `scenario` (see the module docstring) as an InvestRun, and the choice behind it.
    with_fleet False: no car at all (each shelter's own cars are left out too); max_rounds and time_limit_s
    per one-shelter plan, city_max_rounds and city_time_limit_s (run_invest's defaults) for the city-wide plan;
    city_first False: the ladder only."""
    if budget_jpy < 0:
        raise ValueError(f"budget: {budget_jpy} must be >= 0 (JPY of capex after subsidy)")
    tick = time.perf_counter()
    costs = costs or load_invest_costs()
    year = year or year_series(scenario)
    batch = batch or BatchSettings(workers=0)
    reason, city_capex = "city-wide plan not tried", None
    if city_first:
        if on_progress is not None:
            on_progress(f"budget: city-wide least-cost plan for P >= {target:.2f}")
        city = run_invest(
            scenario,
            costs,
            target,
            year=year,
            max_rounds=city_max_rounds,
            time_limit_s=city_time_limit_s,
            with_fleet=with_fleet,
            on_progress=on_progress,
            batch=batch,
        )
        fits, reason = city_fits(city.plan, budget_jpy)
        city_capex = city.plan.design.capex_jpy if city.plan.design.ok else None
        log.info("budget %.0f JPY: %s", budget_jpy, reason)
        if fits:
            choice = city_choice(city.plan, budget_jpy, costs, reason)
            seconds = {**city.seconds, "city": city.seconds["total"], "total": time.perf_counter() - tick}
            return replace(city, budget_jpy=budget_jpy, seconds=seconds, budget=choice), choice
    city_s = time.perf_counter() - tick
    run, choice = _ladder_run(
        scenario, budget_jpy, costs, target, year, levels, deadline_s, time_limit_s, max_rounds, with_fleet,
        on_progress, batch,
    )  # fmt: skip
    choice = replace(choice, reason=f"{reason}: the ladder of one-shelter plans answers", city_capex_jpy=city_capex)
    seconds = {**run.seconds, "city": city_s, "total": time.perf_counter() - tick}
    return replace(run, seconds=seconds, budget=choice), choice


def _ladder_run(
    scenario: Scenario,
    budget_jpy: float,
    costs: InvestCosts,
    target: float,
    year: YearSeries,
    levels: tuple[float, ...],
    deadline_s: float,
    time_limit_s: float,
    max_rounds: int,
    with_fleet: bool,
    on_progress: Callable[[str], None] | None,
    batch: BatchSettings,
) -> tuple[InvestRun, BudgetChoice]:
    """The ladder path: one-shelter plans per level, then the pick within the budget (path 'ladder')."""
    tick = time.perf_counter()
    today = today_verdicts(scenario, year, costs, batch)

    def plan_one(site: str, level: float) -> InvestPlan:
        one = run_invest(
            scenario,
            costs,
            level,
            year=year,
            shelters=[site],
            max_rounds=max_rounds,
            time_limit_s=time_limit_s,
            with_fleet=with_fleet,
        )
        return one.plan

    rungs, complete = build_ladder(
        plan_one,
        today,
        target=target,
        levels=levels,
        budget_jpy=budget_jpy,
        deadline_s=deadline_s,
        on_progress=on_progress,
    )
    ladder_s = time.perf_counter() - tick
    choice = choose_within_budget(rungs, budget_jpy, target, complete=complete, ladder_s=ladder_s)
    plan = merged_plan(choice, today)
    seconds = {"ladder": ladder_s, "total": time.perf_counter() - tick}
    seconds["milp"] = sum(r.milp_s for r in plan.iterations)
    seconds["verify"] = sum(r.verify_s for r in plan.iterations)
    run = InvestRun(
        scenario.name,
        year.source or "",
        plan,
        finance(plan, costs),
        representative_days(year),
        with_fleet,
        budget_jpy,
        seconds,
        choice,
        links_in_outage(scenario),
    )
    return run, choice
