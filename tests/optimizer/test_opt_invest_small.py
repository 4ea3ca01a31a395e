"""Investment sizing on tiny systems whose optimum is worked out by hand (kW, kWh, JPY; 30-min slots)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from invest_helpers import SLOTS, flat_window, invest_input, lossless_costs, one_site

from optimizer.invest import InvestCar, InvestInputError, solve_sizing
from optimizer.invest.verify import design_battery
from scenarios.invest_costs import capital_recovery_factor, load_invest_costs


def test_battery_is_load_times_72_h_over_the_usable_fraction() -> None:
    """2 kW flat, 72 h, no PV, no cars: E x (0.9 - 0.1) = 2 x 72 -> E = 180 kWh; power exactly the load."""
    costs = lossless_costs()
    design = solve_sizing(invest_input((one_site(2.0, windows=(flat_window(2.0, 144),)),), costs))
    assert design.status == "optimal"
    sizes = design.size("s1")
    assert sizes.battery_kwh == pytest.approx(2.0 * 72 / (0.9 - 0.1), abs=1e-4)
    assert sizes.battery_kw == pytest.approx(2.0, abs=1e-6)
    assert sizes.pv_kwp == 0.0


def test_battery_with_losses_divides_by_the_discharge_efficiency_too() -> None:
    """With a 0.95 discharge efficiency the stored energy drawn is 144 / 0.95 kWh."""
    costs = load_invest_costs()
    design = solve_sizing(invest_input((one_site(2.0, windows=(flat_window(2.0, 144),)),), costs))
    assert design.size("s1").battery_kwh == pytest.approx(144 / 0.95 / 0.8, abs=1e-4)


def _sunny(days: int = 1, kw: float = 0.5) -> np.ndarray:
    """PV per kWp: kw for the 12 slots 09:00-15:00 of each day (3 kWh per kWp and day at 0.5 kW)."""
    pv = np.zeros((days, SLOTS))
    pv[:, 18:30] = kw
    return pv


def test_a_roof_limit_binds() -> None:
    """1 kWp yields 1,095 kWh/yr, worth 21,900 JPY/yr at 20 JPY/kWh (sold or saved alike) against 13,402 JPY/yr of
    annualised cost: the plan fills the 10-kWp roof and stops there."""
    costs = lossless_costs()
    per_kwp = 365 * 3.0 * 20.0
    assert per_kwp > costs.pv.annualised_jpy(costs.discount_rate)
    design = solve_sizing(invest_input((one_site(2.0, pv_per_kwp=_sunny(), roof_kwp=10.0),), costs, price=20.0))
    assert design.size("s1").pv_kwp == pytest.approx(10.0, abs=1e-6)
    assert design.size("s1").battery_kwh == 0.0


def test_with_a_larger_subsidy_the_chosen_size_grows() -> None:
    """At 10 JPY/kWh a kWp earns 10,950 JPY/yr: below its 13,402 JPY/yr at a 1/2 subsidy, above its 8,361 JPY/yr
    at 4/5, so the PV goes from nothing to the whole roof."""
    half = lossless_costs()
    four_fifths = lossless_costs(pv=half.pv.model_copy(update={"subsidy_share": 0.8}))
    crf = capital_recovery_factor(half.discount_rate, half.pv.lifetime_years)
    assert 250_000 * 0.5 * crf + 5_000 > 10_950 > 250_000 * 0.2 * crf + 5_000
    site = one_site(2.0, pv_per_kwp=_sunny(), roof_kwp=12.0)
    assert solve_sizing(invest_input((site,), half, price=10.0)).size("s1").pv_kwp == 0.0
    assert solve_sizing(invest_input((site,), four_fifths, price=10.0)).size("s1").pv_kwp == pytest.approx(12.0)


def _car(usable: float, *, v2l: float = 1.5, delay: int = 0) -> InvestCar:
    return InvestCar("car", "base", np.array([usable]), np.array([delay]), v2h_kw=6.0, v2l_kw=v2l)


def test_a_car_allotted_to_the_shelter_shrinks_the_battery() -> None:
    """1 kW for 72 h = 72 kWh; a car delivers 40 x 0.92 = 36.8 kWh at up to 1.5 kW (V2L): the battery stores
    the remaining 35.2 kWh over 0.8 of its capacity = 44 kWh."""
    costs = lossless_costs()
    data = invest_input((one_site(1.0, windows=(flat_window(1.0, 144),)),), costs, cars=(_car(40.0),))
    design = solve_sizing(data)
    assert design.allotment == {"car": "s1"}
    assert design.size("s1").battery_kwh == pytest.approx((72 - 40 * 0.92) / 0.8, abs=1e-4)


def test_a_car_that_arrives_late_is_bridged_by_the_battery_power() -> None:
    """The car arrives after 4 slots (2 h) and delivers at most 1.5 kW (V2L) against 2 kW: the battery carries
    the first 2 h alone, then the 0.5 kW the car cannot, then all of it once the car's 36.8 kWh are spent (after
    24.5 h, well inside the window): 144 - 36.8 = 107.2 kWh drawn -> 134 kWh; its power must be the full 2 kW."""
    costs = lossless_costs()
    data = invest_input((one_site(2.0, windows=(flat_window(2.0, 144),)),), costs, cars=(_car(40.0, delay=4),))
    design = solve_sizing(data)
    assert design.size("s1").battery_kwh == pytest.approx((144 - 36.8) / 0.8, abs=1e-4)
    assert design.size("s1").battery_kw == pytest.approx(2.0, abs=1e-6)


def test_budget_mode_buys_the_shelters_the_money_reaches() -> None:
    """Two identical shelters each need 180 kWh and 2 kW (15.34 M JPY after the 1/2 subsidy); 20 M JPY saves one."""
    costs = lossless_costs()
    one = costs.battery_energy.net_capex_jpy * 180 + costs.battery_power.net_capex_jpy * 2
    base = one_site(2.0, windows=(flat_window(2.0, 144),))
    sites = (replace(base, id="s1"), replace(base, id="s2"))
    design = solve_sizing(invest_input(sites, costs, budget_jpy=20e6))
    assert one < 20e6 < 2 * one
    assert sorted(design.survived.values()) == [0.0, 1.0]
    assert design.capex_jpy <= 20e6 + 1e-3
    rich = solve_sizing(invest_input(sites, costs, budget_jpy=2 * one + 1.0))
    assert list(rich.survived.values()) == [1.0, 1.0]


def test_the_design_battery_is_the_capacity_weighted_mix_at_the_outage_ready_soc() -> None:
    costs = lossless_costs()
    bat = design_battery(None, 100.0, 5.0, costs)
    assert bat is not None
    assert (bat.capacity_kwh, bat.discharge_kw, bat.soc_start, bat.soc_min) == (100.0, 5.0, 0.9, 0.1)
    assert design_battery(None, 0.0, 0.0, costs) is None


def test_bad_input_names_the_field() -> None:
    costs = lossless_costs()
    site = one_site(2.0, roof_kwp=0.0)
    bad = replace(site, existing_pv_kwp=5.0)
    with pytest.raises(InvestInputError, match="roof_pv_limit_kwp"):
        solve_sizing(invest_input((bad,), costs))
    with pytest.raises(InvestInputError, match="critical_kw"):
        solve_sizing(invest_input((one_site(2.0, windows=(flat_window(2.0, 10),)),), costs))


def test_a_pinned_fleet_is_kept() -> None:
    """The loop's later rounds pin the allotment: with the car pinned away the battery carries all 72 kWh."""
    costs = lossless_costs()
    data = invest_input((one_site(1.0, windows=(flat_window(1.0, 144),)),), costs, cars=(_car(40.0),))
    pinned = solve_sizing(replace(data, fixed_fleet=({}, ())))
    assert pinned.allotment == {}
    assert pinned.size("s1").battery_kwh == pytest.approx(72 / 0.8, abs=1e-4)
    kept = solve_sizing(replace(data, fixed_fleet=({"car": "s1"}, ())))
    assert kept.size("s1").battery_kwh == pytest.approx((72 - 40 * 0.92) / 0.8, abs=1e-4)
