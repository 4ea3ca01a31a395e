"""The headline: money (energy, wheeling, imbalance, demand, capacity, wear) apart from penalties and the
stored-energy value, and the two peaks named for what they are (hand-solved; prices JPY/kWh, wheeling 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from opt_helpers import solved

from optimizer.dayahead.headline import split_costs
from optimizer.dayahead.inputs import BatteryInput, FacilityInput, PlanInputs, PlantInput
from optimizer.dayahead.solve import baseline
from runtime.facades.dayahead_planning import PlanRun


def test_split_keeps_money_penalties_and_stored_value_apart() -> None:
    # imbalance (a settled plan's term) and an unknown term count as money; penalty_* are not money; the stored
    # value is the terminal value's magnitude. 100 + 20 + 5 + 7 = 132 money, 50 penalties, 30 stored: 152.
    split = split_costs(
        {"energy": 100.0, "wheeling": 20.0, "imbalance": 5.0, "penalty_reserve": 50.0, "terminal_value": -30.0}
        | {"jepx_net_jpy": 7.0}
    )
    assert split.money_jpy == {"energy": 100.0, "wheeling": 20.0, "imbalance": 5.0, "jepx_net_jpy": 7.0}
    assert split.penalties_jpy == {"penalty_reserve": 50.0}
    assert (split.money_total_jpy, split.penalties_total_jpy, split.stored_energy_value_jpy) == (132.0, 50.0, 30.0)
    assert split.total_jpy == 152.0


def shelter_case() -> PlanInputs:
    # One slot. Shelter 's' (load 10 kW, reserve 5 kWh) with a 10 kWh battery at 2 kWh, 'g' (load 20 kW); the
    # plant gives its must-run 15 kW; price 10, nothing stored is valued at the end.
    s = FacilityInput(
        id="s",
        pv_kw=np.zeros(1),
        load_kw=np.array([10.0]),
        contract_kw=1000.0,
        peak_so_far_kw=0.0,
        reserve_kwh=5.0,
        is_shelter=True,
        has_pv=False,
    )
    g = FacilityInput(
        id="g", pv_kw=np.zeros(1), load_kw=np.array([20.0]), contract_kw=1000.0, peak_so_far_kw=0.0, has_pv=False
    )
    bat = BatteryInput("s/b", "s", 10.0, 10.0, 10.0, 1.0, 1.0, 0.0, 10.0, 2.0, 0.0)
    plant = PlantInput("wte", np.array([15.0]), np.array([15.0]), np.array([15.0]), 3.0)
    return PlanInputs(
        index=pd.date_range("2024-08-01", periods=1, freq="30min", tz="Asia/Tokyo"),
        hours=np.array([0.5]),
        price_jpy_per_kwh=np.array([10.0]),
        wheeling_jpy_per_kwh=4.0,
        sale_discount_jpy_per_kwh=0.5,
        facilities=(s, g),
        batteries=(bat,),
        plant=plant,
    )


def test_a_saving_that_is_the_baselines_penalty_is_not_money() -> None:
    # The plan charges 3 kWh (6 kW) from the grid to hold the reserve: 's' imports 16 kW, 'g' 20 kW, the
    # facilities' summed import is 36 kW and the group buys 36 - 15 = 21 kW: energy 10.5 kWh x 10 = 105, wheeling
    # 18 kWh x 4 = 72: money 177 JPY, no penalty. The baseline never charges from the grid: imports 30 kW, buys
    # 15 kW: money 75 + 60 = 135 JPY, and 3 kWh below the reserve for 0.5 h x 700 = 1,050 JPY of penalty. So the
    # plan spends 42 JPY more money; its 1,008 JPY "saving" is all the baseline's penalty.
    inputs = shelter_case()
    run = PlanRun(result=solved(inputs), baseline=baseline(inputs))
    s = run.summary()
    assert s.optimised_money_jpy == pytest.approx(177.0)
    assert s.baseline_money_jpy == pytest.approx(135.0)
    assert s.money_saving_jpy == pytest.approx(-42.0)
    assert (s.optimised_penalties_jpy, s.baseline_penalties_jpy) == pytest.approx((0.0, 1050.0))
    assert s.saving_jpy == pytest.approx(1008.0)
    assert s.peak_facilities_import_kw == pytest.approx(36.0)
    assert s.peak_jepx_purchase_kw == pytest.approx(21.0)
