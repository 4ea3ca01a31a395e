"""Service tiers, worked out by hand: tier 1 at every shelter before tier 2 anywhere, shelters with tier 1
fully served for the whole outage first, and the per-tier tables."""

from __future__ import annotations

import numpy as np
import pytest
from outage_cases import START, car, ideal_battery

from optimizer.outage import OutageInput, OutageShelter, greedy_plan, plan_outage

N = 8  # 4 h of 30-min slots, one relocation block


def two_tiered_shelters() -> OutageInput:
    """A: 3 kW load of which 1 kW tier 1, a 4 kWh battery (5 kW) and a V2H charger; B: 1 kW, all tier 1, no
    battery, no charger; one car (7 kWh, 6 kW V2H, 1.5 kW V2L) at a depot one slot and 5 km (1 kWh) from both."""
    shelters = (
        OutageShelter(
            "A",
            np.full(N, 3.0),
            np.zeros(N),
            battery=ideal_battery(4.0),
            bidirectional_charger=True,
            tier1_kw=np.full(N, 1.0),
        ),
        OutageShelter("B", np.full(N, 1.0), np.zeros(N)),
    )
    km = np.full((3, 3), 5.0)
    np.fill_diagonal(km, 0.0)
    steps = np.ones((3, 3), dtype=int)
    np.fill_diagonal(steps, 0)
    return OutageInput(
        start=START,
        shelters=shelters,
        evs=(car(site=2, kwh=7.0, v2h=6.0, v2l=1.5),),
        site_ids=("A", "B", "depot"),
        distance_km=km,
        travel_slots=steps,
        n_slots=N,
        block_slots=N,
        early_weight=0.0,
    )


def test_tier_1_everywhere_before_tier_2_anywhere() -> None:
    # Most kWh would send the car to A (battery 4 + car 6 = 10 kWh of A's 12). Tiers: A's battery alone keeps
    # A's tier 1 (1 kW x 4 h = 4 kWh) if A sheds its tier 2; the car serves B's tier 1 from 14:30 (3.5 kWh):
    # one shelter fully served, 7.5 kWh of tier 1, no tier 2 anywhere.
    data = two_tiered_shelters()
    plan = plan_outage(data, time_limit_s=30)
    assert plan.assignment[0].tolist() == [1]
    assert plan.tier1_full.tolist() == [True, False]
    assert plan.tier1_kwh == pytest.approx(7.5, abs=1e-4)
    assert plan.served_kwh == pytest.approx(7.5, abs=1e-4)  # tier 2 at A shed to keep its tier 1
    table = plan.shelter_table()
    assert table.loc["A", "tier1_kwh"] == pytest.approx(4.0, abs=1e-4)
    assert table.loc["A", "tier2_kwh"] == pytest.approx(0.0, abs=1e-4)
    assert table.loc["A", "tier1_hours"] == pytest.approx(4.0)
    assert table.loc["B", "tier1_hours"] == pytest.approx(3.5)
    assert plan.summary()["shelters_tier1_full"] == 1


def test_greedy_rule_sends_the_car_to_tier_1_but_cannot_ration() -> None:
    # Greedy also sends the car to B (+3.5 kWh of tier 1 there against +2 kWh at A), but the load-following
    # rule spends A's battery on all 3 kW (1.5 kWh a slot: 3, 3, then 2 kW), so A's tier 1 is dark from
    # 15:30: 1.5 kWh of tier 1 at A, no shelter fully served: the MILP ranks above it.
    data = two_tiered_shelters()
    greedy = greedy_plan(data)
    assert greedy.assignment[0].tolist() == [1]
    assert greedy.tier1_full.tolist() == [False, False]
    assert greedy.tier1_kwh == pytest.approx(1.5 + 3.5, abs=1e-6)
    assert plan_outage(data, time_limit_s=30).score > greedy.score
