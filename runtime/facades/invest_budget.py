"""Budget mode for the disaster office: the best resilience a capex budget buys (optimizer.invest.budget): a
ladder of year-verified least-cost plans per shelter, each shelter alone with its own cars, then the pick per
shelter within the budget. Bounded by `deadline_s` for the ladder (rungs started before it finish) and the
HiGHS time limit per sizing solve. Units: JPY (capex after subsidy), h, fractions 0..1.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from optimizer.invest import InvestPlan, finance
from optimizer.invest.budget import BudgetChoice, build_ladder, choose_within_budget, merged_plan
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
) -> tuple[InvestRun, BudgetChoice]:
    """The budget plan of `scenario` (see the module docstring) as an InvestRun, and the choice behind it.
    with_fleet False: no car at all (each shelter's own cars are left out too); max_rounds and time_limit_s
    per one-shelter plan."""
    if budget_jpy < 0:
        raise ValueError(f"budget: {budget_jpy} must be >= 0 (JPY of capex after subsidy)")
    tick = time.perf_counter()
    costs = costs or load_invest_costs()
    year = year or year_series(scenario)
    today = today_verdicts(scenario, year, costs, batch or BatchSettings(workers=0))

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
