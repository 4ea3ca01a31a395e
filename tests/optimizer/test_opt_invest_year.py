"""The year verification and the size-and-verify loop on constructed years (kW, kWh; 30-min slots)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from invest_helpers import SLOTS, invest_input, lossless_costs, one_site

from optimizer.invest import YearSeries, pick_days, plan_investment, wrap
from optimizer.invest.inputs import InvestInput
from optimizer.invest.plan import starts_to_add
from optimizer.invest.verify import SiteVerdict

DAYS = 10
DURATION = 48  # a 24-h outage keeps the constructed year small


def sunny_then_dark_year(dark_days: tuple[int, ...] = (6,)) -> YearSeries:
    """1 kW critical load; 1 kWp of new PV gives 1 kW from 06:00 to 18:00 (12 kWh/day) except on dark days."""
    n = DAYS * SLOTS
    index = pd.date_range("2024-05-01", periods=n, freq="30min", tz="Asia/Tokyo")
    per_kwp = np.zeros((DAYS, SLOTS))
    per_kwp[:, 12:36] = 1.0
    per_kwp[list(dark_days)] = 0.0
    per_kwp = per_kwp.reshape(-1, 1)
    return YearSeries(
        index=index,
        shelter_ids=("s1",),
        load_kw=np.full((n, 1), 1.0),
        critical_kw=wrap(np.full((n, 1), 1.0), DURATION),
        pv_existing_kw=wrap(np.zeros((n, 1)), DURATION),
        pv_per_kwp=wrap(per_kwp, DURATION),
        price_jpy_per_kwh=np.full(n, 1.0),
        duration_slots=DURATION,
    )


def builder(year: YearSeries, roof_kwp: float = 5.0):
    costs = lossless_costs()

    def build(starts: dict[str, list[int]]) -> InvestInput:
        windows = tuple(year.window("s1", s) for s in starts.get("s1", []))
        site = one_site(1.0, windows=windows, pv_per_kwp=year.pv_per_kwp[:SLOTS].reshape(1, SLOTS), roof_kwp=roof_kwp)
        return invest_input((site,), costs, price=1.0, duration=DURATION)

    return build


def test_the_year_verification_catches_a_design_that_passed_only_on_the_modelled_window() -> None:
    """Sized on a sunny window from 06:00 (PV carries the day, the battery the night), the design fails the
    starts that run into the dark day; the loop adds one and re-sizes until every start of the year survives:
    24 kWh of darkness over 0.8 usable = 30 kWh."""
    year = sunny_then_dark_year()
    sunny_start = 12  # day 0, 06:00
    plan = plan_investment(builder(year), year, {"s1": [sunny_start]}, target=1.0, hours=24.0)
    first, last = plan.iterations[0], plan.iterations[-1]
    assert first.below_target == ("s1",)
    assert first.worst_p < 1.0
    assert plan.verified
    assert last.below_target == ()
    assert len(plan.starts["s1"]) >= 2
    assert plan.after[0].p_survive(24.0) == 1.0
    assert plan.design.size("s1").battery_kwh == pytest.approx(24.0 / 0.8, abs=1e-3)


def test_start_to_add_takes_the_failure_needed_for_the_target() -> None:
    """Hours per start [24, 10, 20, 24, 5]: P(24 h) = 0.4; for 0.6 one more start must survive: the easiest
    failure (20 h, start 2); for 0.8 two more: the second easiest (10 h, start 1) and the easier one with it
    unless it is within `spacing` slots."""
    hours = np.array([24.0, 10.0, 20.0, 24.0, 5.0])
    verdict = SiteVerdict("s1", hours, hours, np.zeros(1), 0.0, 0.0, 0.0)
    assert starts_to_add(verdict, 0.6, 24.0, [], spacing=1) == [2]
    assert starts_to_add(verdict, 0.8, 24.0, [], spacing=1) == [1, 2]
    assert starts_to_add(verdict, 0.8, 24.0, [], spacing=2) == [1]
    assert starts_to_add(verdict, 0.8, 24.0, [1], spacing=1) == [4, 2]
    assert starts_to_add(verdict, 0.4, 24.0, []) == []


def test_representative_days_are_group_medoids_weighted_to_the_year() -> None:
    """365 days: 8 groups (season x weekday/holiday); weights add to 365; each pick is its group's medoid."""
    days = pd.date_range("2024-01-01", periods=365, freq="D")
    rng = np.random.default_rng(0)
    features = rng.random((365, 4))
    holidays = np.array([d.weekday() >= 5 for d in days])
    chosen = pick_days(features, days.month.to_numpy(), holidays)
    assert chosen.weights.sum() == 365
    assert len(chosen.days) == 8
    winter_weekdays = [i for i, d in enumerate(days) if d.month in (12, 1, 2) and d.weekday() < 5]
    block = features[winter_weekdays]
    total = np.sqrt(((block[:, None] - block[None]) ** 2).sum(axis=2)).sum(axis=1)
    assert chosen.days[chosen.labels.index("winter/weekday")] == winter_weekdays[int(np.argmin(total))]
