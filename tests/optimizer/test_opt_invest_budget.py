"""Budget mode on a constructed year: two identical shelters with a flat 1 kW critical load and no PV, a 24-h
outage at any slot. Each needs 24 kWh over the usable 0.8 = 30 kWh and 1 kW of battery to survive every start,
so a budget of one such battery saves exactly one shelter (kW, kWh, JPY after subsidy)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from invest_helpers import SLOTS, invest_input, lossless_costs, one_site

from optimizer.invest import YearSeries, plan_investment, wrap
from optimizer.invest.budget import (
    Rung,
    build_ladder,
    choose_rungs,
    choose_within_budget,
    city_choice,
    city_fits,
    ladder_levels,
    merged_plan,
    site_capex,
)
from optimizer.invest.inputs import InvestInput
from optimizer.invest.plan import InvestPlan, nothing_added
from optimizer.invest.verify import SiteVerdict, site_tasks, verify_site

DAYS = 4
DURATION = 48
SITES = ("s1", "s2")
COSTS = lossless_costs()
ONE_BATTERY = COSTS.battery_energy.net_capex_jpy * 30.0 + COSTS.battery_power.net_capex_jpy * 1.0


def flat_year() -> YearSeries:
    n = DAYS * SLOTS
    index = pd.date_range("2024-05-01", periods=n, freq="30min", tz="Asia/Tokyo")
    ones, zeros = np.ones((n, 2)), np.zeros((n, 2))
    return YearSeries(
        index=index,
        shelter_ids=SITES,
        load_kw=ones,
        critical_kw=wrap(ones, DURATION),
        pv_existing_kw=wrap(zeros, DURATION),
        pv_per_kwp=wrap(zeros, DURATION),
        price_jpy_per_kwh=np.full(n, 1.0),
        duration_slots=DURATION,
    )


YEAR = flat_year()


def build_for(site: str):
    def build(starts: dict[str, list[int]]) -> InvestInput:
        windows = tuple(YEAR.window(site, s) for s in starts.get(site, []))
        return invest_input((replace(one_site(1.0, windows=windows), id=site),), COSTS, price=1.0, duration=DURATION)

    return build


def plan_one(site: str, level: float) -> InvestPlan:
    return plan_investment(build_for(site), YEAR, {site: [0]}, target=level, hours=24.0)


def today() -> dict[str, SiteVerdict]:
    data = invest_input(tuple(replace(one_site(1.0), id=s) for s in SITES), COSTS, price=1.0, duration=DURATION)
    return {v.site: v for v in map(verify_site, site_tasks(data, YEAR, nothing_added(data)))}


@pytest.fixture(scope="module")
def ladder() -> dict[str, list[Rung]]:
    rungs, complete = build_ladder(plan_one, today(), target=1.0, levels=(1.0,), budget_jpy=1e12, hours=24.0)
    assert complete
    return rungs


def test_each_rung_is_the_hand_sized_battery_verified_over_the_year(ladder: dict[str, list[Rung]]) -> None:
    for site in SITES:
        now, sized = ladder[site]
        assert now.p == 0.0
        assert now.capex_jpy == 0.0
        assert sized.p == 1.0
        assert sized.plan is not None
        assert sized.plan.design.size(site).battery_kwh == pytest.approx(30.0, abs=1e-3)
        assert sized.capex_jpy == pytest.approx(ONE_BATTERY, rel=1e-6)


def test_a_budget_of_one_battery_saves_exactly_one_shelter(ladder: dict[str, list[Rung]]) -> None:
    choice = choose_within_budget(ladder, ONE_BATTERY * 1.01, 1.0, hours=24.0)
    assert choice.met == 1
    assert choice.capex_jpy == pytest.approx(ONE_BATTERY, rel=1e-6)
    plan = merged_plan(choice, today())
    assert sorted(v.p_survive(24.0) for v in plan.after) == [0.0, 1.0]
    assert sorted(s.battery_kwh for s in plan.design.sizes) == pytest.approx([0.0, 30.0], abs=1e-3)
    assert not plan.verified


def test_a_budget_just_short_of_one_battery_buys_nothing_and_two_batteries_save_both(
    ladder: dict[str, list[Rung]],
) -> None:
    short = choose_within_budget(ladder, ONE_BATTERY * 0.99, 1.0, hours=24.0)
    assert short.met == 0
    assert short.capex_jpy == 0.0
    both = choose_within_budget(ladder, ONE_BATTERY * 2.001, 1.0, hours=24.0)
    assert both.met == 2
    assert merged_plan(both, today()).verified


def test_more_shelters_at_target_beat_a_higher_summed_p() -> None:
    """Shelter a: 0.9 for 10 or 0.99 for 20 (target 0.95); b: 0.94 for 10 or 0.96 for 15. Budget 25: a at 0.9 and
    b at 0.96 (one shelter meets, cost 25) wins over a at 0.99 alone (one meets, 0.99 + 0 < 0.9 + 0.96). Budget 20:
    a at 0.99 alone (one meets) wins over a at 0.9 and b at 0.94 (none meets, though the summed P is larger)."""
    v = today()["s1"]

    def rung(site: str, p: float, capex: float) -> Rung:
        return Rung(site, p, p, capex, 0.0, v)

    rungs = {
        "a": [rung("a", 0.0, 0.0), rung("a", 0.9, 10.0), rung("a", 0.99, 20.0)],
        "b": [rung("b", 0.0, 0.0), rung("b", 0.94, 10.0), rung("b", 0.96, 15.0)],
    }
    chosen, status = choose_rungs(rungs, 25.0, 0.95)
    assert status == "optimal"
    assert [(g.site, g.p) for g in chosen] == [("a", 0.9), ("b", 0.96)]
    chosen, _ = choose_rungs(rungs, 20.0, 0.95)
    assert [(g.site, g.p) for g in chosen] == [("a", 0.99), ("b", 0.0)]


def test_the_deadline_bounds_the_ladder_and_the_answer_is_today() -> None:
    rungs, complete = build_ladder(plan_one, today(), target=1.0, levels=(1.0,), budget_jpy=1e12, deadline_s=-1.0)
    assert not complete
    assert all(len(r) == 1 for r in rungs.values())
    choice = choose_within_budget(rungs, 1e9, 1.0, hours=24.0, complete=complete)
    assert choice.met == 0
    assert not choice.complete


def test_the_ladder_starts_at_the_target() -> None:
    assert ladder_levels(0.95, (0.5, 0.95, 0.99, 0.7, 1.5)) == [0.95, 0.5, 0.7, 0.99]


def test_levels_above_an_unaffordable_plan_are_skipped_but_not_those_below() -> None:
    """Budget below one battery: the target's plan (1.0) is too dear, so 0.99 (built after 0.5) is skipped while
    0.5 is still planned (a flat load: it needs the same battery, P = 1)."""
    asked: list[tuple[str, float]] = []

    def spy(site: str, level: float) -> InvestPlan:
        asked.append((site, level))
        return plan_one(site, level)

    budget = ONE_BATTERY * 0.5
    rungs, complete = build_ladder(spy, today(), target=1.0, levels=(0.5, 0.99), budget_jpy=budget, hours=24.0)
    assert complete
    assert asked == [("s1", 1.0), ("s2", 1.0), ("s1", 0.5), ("s2", 0.5)]
    assert [g.target for g in rungs["s1"]] == [0.0, 1.0, 0.5]


def city_plan() -> InvestPlan:
    """Both shelters sized together (no cars: the least-cost plan is a hand-sized battery at each)."""

    def build(starts: dict[str, list[int]]) -> InvestInput:
        sites = tuple(
            replace(one_site(1.0, windows=tuple(YEAR.window(s, k) for k in starts.get(s, []))), id=s) for s in SITES
        )
        return invest_input(sites, COSTS, price=1.0, duration=DURATION)

    return plan_investment(build, YEAR, {s: [0] for s in SITES}, target=1.0, hours=24.0)


def test_the_city_wide_plan_answers_when_it_fits_and_its_capex_splits_per_shelter() -> None:
    plan = city_plan()
    assert plan.verified
    assert plan.design.capex_jpy == pytest.approx(2 * ONE_BATTERY, rel=1e-6)
    assert site_capex(plan.design, COSTS) == pytest.approx({"s1": ONE_BATTERY, "s2": ONE_BATTERY}, rel=1e-6)
    fits, why = city_fits(plan, 2 * ONE_BATTERY * 1.001)
    assert fits
    assert "within the budget" in why
    short, why_not = city_fits(plan, 2 * ONE_BATTERY * 0.999)
    assert not short
    assert "above the budget" in why_not
    choice = city_choice(plan, 2 * ONE_BATTERY * 1.001, COSTS, why)
    assert (choice.path, choice.met, choice.rungs_built) == ("city-wide", 2, 0)
    assert choice.capex_jpy == pytest.approx(2 * ONE_BATTERY, rel=1e-6)
    assert choice.city_capex_jpy == choice.capex_jpy
    assert [g.site for g in choice.chosen] == list(SITES)


def test_an_unverified_city_wide_plan_does_not_answer() -> None:
    plan = replace(city_plan(), verified=False)
    fits, why = city_fits(plan, 1e12)
    assert not fits
    assert "did not verify" in why
