"""Demand charge and capacity contribution (money), hand-solved: the 12-month ratchet, the energy already
metered in a partial first slot, and the group's summed demand in the capacity seasons. Prices JPY/kWh,
wheeling 4, basic charge 1,800 JPY/kW/month, no terminal value."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from opt_helpers import solved

from optimizer.dayahead.inputs import BatteryInput, FacilityInput, InputError, PlanInputs


def facility(fid: str, load: list[float], **kw: object) -> FacilityInput:
    base: dict[str, object] = {"contract_kw": 1000.0, "peak_so_far_kw": 0.0}
    base.update(kw)
    return FacilityInput(
        id=fid,
        pv_kw=np.zeros(len(load)),
        load_kw=np.array(load),
        has_pv=False,
        **base,  # type: ignore[arg-type]
    )


def plan(
    facilities: list[FacilityInput], start: str = "2024-08-01", first_hours: float = 0.5, **kw: object
) -> PlanInputs:
    n = len(facilities[0].load_kw)
    hours = np.full(n, 0.5)
    hours[0] = first_hours
    return PlanInputs(
        index=pd.date_range(start, periods=n, freq="30min", tz="Asia/Tokyo"),
        hours=hours,
        price_jpy_per_kwh=np.full(n, 10.0),
        wheeling_jpy_per_kwh=4.0,
        sale_discount_jpy_per_kwh=0.5,
        facilities=tuple(facilities),
        **kw,  # type: ignore[arg-type]
    )


def test_ratchet_bills_a_new_peak_twelve_times() -> None:
    # Contract 30 kW, this month's peak 35 kW, the 12-month peak 40 kW; one slot at 45 kW. Under the ratchet
    # (高圧 実量制) the reference is 40 and the new 5 kW raise twelve monthly bills: 5 x 12 x 1,800 = 108,000 JPY.
    # Under a fixed contract the reference is max(30, 35) = 35 and the 10 kW are billed once: 18,000 JPY.
    # Energy either way: 22.5 kWh x 14 = 315 JPY.
    peaks = {"contract_kw": 30.0, "peak_so_far_kw": 35.0, "peak_12_months_kw": 40.0}
    ratchet = solved(plan([facility("f", [45.0], demand_ratchet=True, **peaks)]))
    assert ratchet.breakdown["demand"] == pytest.approx(108_000.0)
    assert ratchet.objective_jpy == pytest.approx(108_315.0)
    fixed = solved(plan([facility("f", [45.0], **peaks)]))
    assert fixed.breakdown["demand"] == pytest.approx(18_000.0)
    missed = [m for m in ratchet.missed if m.kind == "contract_peak"]
    assert missed[0].penalty_jpy == pytest.approx(108_000.0)
    assert "billed 12 month(s)" in missed[0].reason


def battery(cap: float) -> BatteryInput:
    return BatteryInput(
        key="f/b",
        facility="f",
        capacity_kwh=cap,
        charge_kw=10.0,
        discharge_kw=10.0,
        charge_efficiency=1.0,
        discharge_efficiency=1.0,
        soc_min_kwh=0.0,
        soc_max_kwh=cap,
        initial_kwh=cap,
        degradation_jpy_per_kwh=0.0,
    )


def test_partial_first_slot_counts_the_energy_already_metered() -> None:
    # The plan starts halfway through slot 0 (0.25 h left); 8 kWh were imported in its first 15 minutes. With
    # 10 kW for the rest, slot 0's 30-min demand is (8 + 0.25 x 10) / 0.5 = 21 kW, 1 kW above the 20 kW fixed
    # contract: 1,800 JPY (counting only the 10 kW left, as before, would bill nothing). A battery whose wear
    # (20 JPY/kWh) exceeds the 14 JPY an import costs gives just the 2 kW for the 0.25 h that bring the demand
    # to (8 + 0.25 x 8) / 0.5 = 20 kW: no charge; 2 kWh x 14 = 28 JPY bought plus 0.5 kWh x 20 = 10 JPY wear.
    alone = solved(plan([facility("f", [10.0], contract_kw=20.0, metered_kwh_first_slot=8.0)], first_hours=0.25))
    assert alone.breakdown["demand"] == pytest.approx(1800.0)
    assert alone.objective_jpy == pytest.approx(1800.0 + 2.5 * 14)
    site = facility("f", [10.0], contract_kw=20.0, metered_kwh_first_slot=8.0)
    worn = replace(battery(5.0), degradation_jpy_per_kwh=20.0)
    shaved = solved(plan([site], first_hours=0.25, batteries=(worn,)))
    assert shaved.dispatch.import_kw[0, 0] == pytest.approx(8.0, abs=1e-6)
    assert shaved.breakdown["demand"] == pytest.approx(0.0, abs=1e-6)
    assert shaved.objective_jpy == pytest.approx(38.0, abs=1e-6)


def test_metered_energy_in_a_whole_first_slot_is_refused() -> None:
    with pytest.raises(InputError, match=r"facilities\[f\]\.metered_kwh_first_slot"):
        plan([facility("f", [10.0], metered_kwh_first_slot=1.0)])


def test_capacity_contribution_prices_the_groups_summed_demand_in_season() -> None:
    # Two facilities, 30 + 20 = 50 kW then 50 + 10 = 60 kW; the season's summed peak so far is 55 kW and a kW
    # above it costs 100 JPY: 5 x 100 = 500 JPY (each facility alone is far below its contract). Energy: 55 kWh
    # x 14 = 770 JPY. A 10 kW battery at 'f' with 2.5 kWh shaves slot 1 to 55 kW: no contribution, 52.5 kWh
    # bought (735 JPY). In October (no season month) the same plan has no contribution.
    a, b = facility("f", [30.0, 50.0]), facility("g", [20.0, 10.0])
    season: dict[str, Any] = {"capacity_jpy_per_kw": 100.0, "capacity_months": (7, 8, 9)}
    season["capacity_peak_so_far_kw"] = 55.0
    plain = solved(plan([a, b], **season))
    assert plain.inputs.capacity_slots == (0, 1)
    assert plain.breakdown["capacity"] == pytest.approx(500.0)
    assert plain.objective_jpy == pytest.approx(1270.0)
    shaved = solved(plan([a, b], batteries=(battery(2.5),), **season))
    assert shaved.breakdown["capacity"] == pytest.approx(0.0, abs=1e-6)
    assert shaved.objective_jpy == pytest.approx(735.0, abs=1e-6)
    october = solved(plan([a, b], start="2024-10-01", **season))
    assert october.inputs.capacity_slots == ()
    assert october.breakdown["capacity"] == 0.0
    assert october.objective_jpy == pytest.approx(770.0)
    assert solved(replace(plain.inputs, capacity_peak_so_far_kw=70.0)).breakdown["capacity"] == 0.0
