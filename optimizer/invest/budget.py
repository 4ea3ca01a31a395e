"""Budget mode: the best resilience a given capex (JPY after subsidy) buys, verified over the year, in bounded time.

Method: a ladder of least-cost plans per shelter, each shelter sized alone with its own home cars by the
size-and-verify loop (`plan_one`), so every rung's P(h) is the year verification's, not the MILP's; rung 0 is
today (nothing added). Then a small MILP picks one rung per shelter: the most shelters at or above the target
first, then the largest summed P(h), then the least capex, within the budget. Bounded time: rungs are built level
by level over all shelters (the target's level first, then the others from low to high), a shelter's levels at
or above one whose plan costs more than the whole budget are skipped, and no rung is started after the
deadline; the choice uses the rungs finished (`BudgetChoice.complete` says whether all were).
The ladder's shelters share no cars (each plan uses its own cars only), so the city-wide least-cost plan with the
shared fleet can reach a target for less: the caller first tries that plan and answers with it when it is
year-verified and its capex fits the budget (`city_choice`, path 'city-wide'); the ladder answers otherwise
(path 'ladder', "which shelters first for this money").
Units: JPY (capex after subsidy), JPY/yr (annual cost), fractions 0..1 of the year's outage starts, h.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import pyomo.environ as pyo

from optimizer.invest.plan import InvestPlan, Iteration, Progress
from optimizer.invest.result import InvestDesign, SiteSizes
from optimizer.invest.verify import SiteVerdict
from optimizer.solver import HighsModel, HighsOptions
from scenarios.invest_costs import InvestCosts

log = logging.getLogger(__name__)

TIE_CAPEX = 1e-6  # objective weight of capex / budget: below one start in a year (1 / 17,520), a tie-breaker


@dataclass(frozen=True)
class Rung:
    """One option for one shelter: planned for `target` (0.0 = today), its verified P(h) (own cars), capex
    after subsidy (JPY), annual cost (JPY/yr, the sizing objective), the plan (None for today) and the verdict."""

    site: str
    target: float
    p: float
    capex_jpy: float
    annual_cost_jpy: float
    verdict: SiteVerdict
    plan: InvestPlan | None = None


@dataclass(frozen=True)
class BudgetChoice:
    """The rung chosen per shelter, how many reach the target, the capex (JPY), the picking MILP's status,
    whether every rung of the ladder was built before the deadline, the rungs built and the ladder's seconds.
    path: which answered, 'city-wide' (the least-cost plan at the target with the shared fleet) or 'ladder';
    reason: why, in words; city_capex_jpy: that city-wide plan's capex after subsidy (JPY; None if not run or
    without a design)."""

    budget_jpy: float
    target: float
    hours: float
    chosen: tuple[Rung, ...]
    met: int
    capex_jpy: float
    status: str
    complete: bool
    rungs_built: int
    ladder_s: float
    path: str = "ladder"
    reason: str = ""
    city_capex_jpy: float | None = None


def ladder_levels(target: float, levels: tuple[float, ...]) -> list[float]:
    """The target first, then the other levels (0 < level <= 1) from low to high, without repeats."""
    rest = sorted({lv for lv in levels if 0 < lv <= 1 and abs(lv - target) > 1e-9})
    return [target, *rest]


def build_ladder(
    plan_one: Callable[[str, float], InvestPlan],
    today: dict[str, SiteVerdict],
    *,
    target: float,
    levels: tuple[float, ...],
    budget_jpy: float,
    hours: float = 72.0,
    deadline_s: float = 600.0,
    on_progress: Progress | None = None,
) -> tuple[dict[str, list[Rung]], bool]:
    """Rungs per shelter (today first) and whether the ladder was completed before `deadline_s` seconds."""
    tick = time.perf_counter()
    rungs = {site: [Rung(site, 0.0, v.p_survive(hours), 0.0, 0.0, v)] for site, v in today.items()}
    cap: dict[str, float] = {}  # per shelter the lowest level whose plan cost more than the budget
    for level in ladder_levels(target, levels):
        for site in today:
            if level >= cap.get(site, 2.0):
                continue
            if time.perf_counter() - tick > deadline_s:
                log.warning("budget ladder: deadline of %.0f s reached at level %.2f", deadline_s, level)
                return rungs, False
            if on_progress is not None:
                on_progress(f"budget: {site} alone for P({hours:g} h) >= {level:.2f}")
            plan = plan_one(site, level)
            if not plan.design.ok or not plan.after:
                continue
            rung = Rung(
                site, level, plan.after[0].p_survive(hours), plan.design.capex_jpy, plan.design.annual_cost_jpy,
                plan.after[0], plan,
            )  # fmt: skip
            rungs[site].append(rung)
            if rung.capex_jpy > budget_jpy:
                cap[site] = min(level, cap.get(site, 2.0))
    return rungs, True


def choose_rungs(
    rungs: dict[str, list[Rung]], budget_jpy: float, target: float, hours: float = 72.0, time_limit_s: float = 30.0
) -> tuple[tuple[Rung, ...], str]:
    """One rung per shelter by the MILP of the module docstring (rung 0, today, is always affordable)."""
    sites = list(rungs)
    n = len(sites)
    m = pyo.ConcreteModel(name="budget")
    m.R = pyo.Set(dimen=2, initialize=[(j, r) for j, s in enumerate(sites) for r in range(len(rungs[s]))])
    m.x = pyo.Var(m.R, domain=pyo.Binary)
    m.one = pyo.Constraint(range(n), rule=lambda _m, j: sum(_m.x[jj, r] for (jj, r) in _m.R if jj == j) == 1)

    def rung(j: int, r: int) -> Rung:
        return rungs[sites[j]][r]

    m.budget = pyo.Constraint(expr=sum(rung(j, r).capex_jpy * m.x[j, r] for (j, r) in m.R) <= budget_jpy)
    scale = max(budget_jpy, 1.0)

    def value(j: int, r: int) -> float:
        g = rung(j, r)
        meets = 1.0 if g.p >= target - 1e-9 else 0.0
        return (n + 1) * meets + g.p - TIE_CAPEX * g.capex_jpy / scale

    m.objective = pyo.Objective(expr=sum(value(j, r) * m.x[j, r] for (j, r) in m.R), sense=pyo.maximize)
    held = HighsModel(m)
    run = held.solve(HighsOptions(time_limit_s=time_limit_s, mip_rel_gap=0.0))
    if not run.has_solution or run.values is None:
        log.warning("budget choice: %s; keeping today at every shelter", run.termination)
        return tuple(rungs[s][0] for s in sites), run.termination
    held.load_values(run.values)
    chosen = tuple(rung(j, r) for (j, r) in m.R if pyo.value(m.x[j, r]) > 0.5)
    return chosen, "optimal" if run.optimal else run.termination


def choose_within_budget(
    rungs: dict[str, list[Rung]],
    budget_jpy: float,
    target: float,
    *,
    hours: float = 72.0,
    complete: bool = True,
    ladder_s: float = 0.0,
) -> BudgetChoice:
    """The BudgetChoice for these rungs (see choose_rungs)."""
    chosen, status = choose_rungs(rungs, budget_jpy, target, hours)
    return BudgetChoice(
        budget_jpy=budget_jpy,
        target=target,
        hours=hours,
        chosen=chosen,
        met=sum(1 for g in chosen if g.p >= target - 1e-9),
        capex_jpy=sum(g.capex_jpy for g in chosen),
        status=status,
        complete=complete,
        rungs_built=sum(len(v) - 1 for v in rungs.values()),
        ladder_s=ladder_s,
    )


def site_capex(design: InvestDesign, costs: InvestCosts) -> dict[str, float]:
    """Upfront capex after subsidy (JPY) per shelter of a design: its PV, battery kWh and kW, V2H chargers, and the
    bought cars allotted to it (as in the sizing model's capex)."""
    out = {
        s.site: costs.pv.net_capex_jpy * s.pv_kwp
        + costs.battery_energy.net_capex_jpy * s.battery_kwh
        + costs.battery_power.net_capex_jpy * s.battery_kw
        + costs.v2h_charger.net_capex_jpy * s.v2h_chargers
        for s in design.sizes
    }
    for car in design.cars_bought:
        site = design.allotment.get(car)
        if site in out:
            out[site] += costs.fleet_ev.net_capex_jpy
    return out


def city_fits(plan: InvestPlan, budget_jpy: float) -> tuple[bool, str]:
    """Whether the city-wide least-cost plan at the target answers budget mode (year-verified, a design, capex
    after subsidy within the budget, JPY), and why in words."""
    if not plan.design.ok:
        return False, f"the city-wide least-cost plan at the target has no design ({plan.design.status})"
    capex = plan.design.capex_jpy
    if not plan.verified:
        return False, f"the city-wide least-cost plan at the target ({capex:,.0f} JPY) did not verify over the year"
    if capex > budget_jpy + 1e-6:
        return False, f"the city-wide least-cost plan at the target costs {capex:,.0f} JPY, above the budget"
    return True, (
        f"the city-wide least-cost plan at the target (shared fleet, verified over the year) costs {capex:,.0f} JPY, "
        "within the budget: every shelter at the target"
    )


def city_choice(plan: InvestPlan, budget_jpy: float, costs: InvestCosts, reason: str) -> BudgetChoice:
    """The city-wide plan as budget mode's answer: per shelter its sizes' capex (JPY) and verified P (with the
    cars allotted to it), path 'city-wide'."""
    capex = site_capex(plan.design, costs)
    chosen = tuple(
        Rung(v.site, plan.target, v.p_survive(plan.hours), capex.get(v.site, 0.0), 0.0, v, plan) for v in plan.after
    )
    return BudgetChoice(
        budget_jpy=budget_jpy,
        target=plan.target,
        hours=plan.hours,
        chosen=chosen,
        met=sum(1 for g in chosen if g.p >= plan.target - 1e-9),
        capex_jpy=plan.design.capex_jpy,
        status=plan.design.status,
        complete=True,
        rungs_built=0,
        ladder_s=0.0,
        path="city-wide",
        reason=reason,
        city_capex_jpy=plan.design.capex_jpy,
    )


def merged_plan(choice: BudgetChoice, today: dict[str, SiteVerdict]) -> InvestPlan:
    """The chosen rungs as one city plan: sizes, cars, cost terms and verdicts per shelter (today's where the
    choice adds nothing: its energy and demand terms are the verification's year of operation); verified = every
    shelter reaches the target."""
    sizes: list[SiteSizes] = []
    allotment: dict[str, str] = {}
    holds: list[str] = []
    costs: dict[str, float] = {}
    after: list[SiteVerdict] = []
    rounds: list[Iteration] = []
    starts: dict[str, list[int]] = {}
    for g in choice.chosen:
        after.append(g.verdict)
        if g.plan is None:  # today: its year of operation from the verification, no capital
            sizes.append(SiteSizes(g.site, 0.0, 0.0, 0.0, 0))
            costs["energy"] = costs.get("energy", 0.0) + g.verdict.energy_jpy
            costs["demand"] = costs.get("demand", 0.0) + g.verdict.demand_jpy
            continue
        d = g.plan.design
        sizes.append(d.size(g.site))
        allotment |= d.allotment
        holds += list(d.v2h_holds)
        for k, v in d.costs.items():
            costs[k] = costs.get(k, 0.0) + v
        rounds += list(g.plan.iterations)
        starts |= g.plan.starts
    design = InvestDesign(
        status=f"budget: {choice.met} of {len(choice.chosen)} shelters at P >= {choice.target:.2f} ({choice.status})",
        objective_jpy=None,
        gap=None,
        sizes=tuple(sizes),
        allotment=allotment,
        v2h_holds=tuple(holds),
        costs=costs,
        capex_jpy=choice.capex_jpy,
    )
    verified = choice.met == len(choice.chosen)
    before = tuple(today[g.site] for g in choice.chosen)
    return InvestPlan(choice.target, choice.hours, design, tuple(after), before, tuple(rounds), starts, verified)
