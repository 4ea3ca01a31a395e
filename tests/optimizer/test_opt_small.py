"""Small systems whose optimum is worked out by hand (prices JPY/kWh, 30-min slots, no terminal value)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from opt_helpers import solved

from optimizer.dayahead.inputs import BatteryInput, EVInput, FacilityInput, PlanInputs
from optimizer.dayahead.result import SolveOptions
from optimizer.dayahead.solve import baseline

TZ = "Asia/Tokyo"


def index(n: int) -> pd.DatetimeIndex:
    return pd.date_range("2024-08-01 00:00", periods=n, freq="30min", tz=TZ)


def facility(
    fid: str, load: list[float], pv: list[float] | None = None, reserve: float = 0.0, contract: float = 1000.0
) -> FacilityInput:
    return FacilityInput(
        id=fid,
        pv_kw=np.array(pv or [0.0] * len(load)),
        load_kw=np.array(load),
        contract_kw=contract,
        peak_so_far_kw=0.0,
        reserve_kwh=reserve,
        is_shelter=reserve > 0,
    )


def battery(
    fid: str,
    cap: float,
    power: float,
    initial: float,
    soc_min: float = 0.0,
    eta_c: float = 1.0,
    eta_d: float = 1.0,
    degradation: float = 0.0,
) -> BatteryInput:
    return BatteryInput(
        key=f"{fid}/b1",
        facility=fid,
        capacity_kwh=cap,
        charge_kw=power,
        discharge_kw=power,
        charge_efficiency=eta_c,
        discharge_efficiency=eta_d,
        soc_min_kwh=soc_min,
        soc_max_kwh=cap,
        initial_kwh=initial,
        degradation_jpy_per_kwh=degradation,
    )


def plan(facilities: list[FacilityInput], prices: list[float], **kw: object) -> PlanInputs:
    n = len(prices)
    return PlanInputs(
        index=index(n),
        hours=np.full(n, 0.5),
        price_jpy_per_kwh=np.array(prices),
        wheeling_jpy_per_kwh=4.0,
        sale_discount_jpy_per_kwh=0.5,
        facilities=tuple(facilities),
        **kw,  # type: ignore[arg-type]
    )


def test_battery_arbitrage_objective_to_the_yen() -> None:
    # Slot 0 costs 10, slot 1 costs 30; the facility needs 8 kW (4 kWh) in slot 1 only.
    # Battery 5 kWh, 10 kW, eta_c 1, eta_d 0.8, wear 1 JPY/kWh. Each stored kWh costs 10 + 4 (wheeling) + 1
    # (wear) = 15 and replaces 0.8 kWh bought at 30 + 4 and costs 0.8 wear: worth 26.4 > 15, so it fills up:
    # charge 5 kWh in slot 0 (buy 50 + wheel 20), discharge 8 kW x 0.5 h = 4 kWh AC = the whole load;
    # wear (5 + 4) x 1 = 9. Total 50 + 20 + 9 = 79 JPY (no battery: 4 x 34 = 136 JPY).
    inputs = plan(
        [facility("a", [0.0, 8.0])], [10.0, 30.0], batteries=(battery("a", 5.0, 10.0, 0.0, eta_d=0.8, degradation=1.0),)
    )
    result = solved(inputs)
    assert result.status == "optimal"
    assert result.objective_jpy == pytest.approx(79.0, abs=0.5)
    assert result.solver_objective_jpy == pytest.approx(result.objective_jpy, abs=1e-6)
    d = result.dispatch
    assert d.bat_charge_kw[0].tolist() == pytest.approx([10.0, 0.0], abs=1e-6)
    assert d.bat_discharge_kw[0].tolist() == pytest.approx([0.0, 8.0], abs=1e-6)
    assert d.buy_kw.tolist() == pytest.approx([10.0, 0.0], abs=1e-6)
    assert result.breakdown["energy"] == pytest.approx(50.0)
    assert result.breakdown["wear"] == pytest.approx(9.0)
    assert baseline(inputs).objective_jpy == pytest.approx(136.0)


def test_pv_surplus_serves_other_facility_through_interchange_without_purchase() -> None:
    # Facility 'pv' has 10 kW PV and no load, 'user' needs 6 kW. The 6 kW flow inside the group, 4 kW are sold:
    # cost = wheeling 6 x 0.5 x 4 = 12 minus sale 4 x 0.5 x (20 - 0.5) = 39 -> -27 JPY.
    inputs = plan([facility("pv", [0.0], pv=[10.0]), facility("user", [6.0])], [20.0])
    result = solved(inputs)
    d = result.dispatch
    assert d.buy_kw[0] == pytest.approx(0.0, abs=1e-9)
    assert d.sell_kw[0] == pytest.approx(4.0)
    assert result.objective_jpy == pytest.approx(-27.0)
    assert result.procurement["interchange_kwh"].iloc[0] == pytest.approx(3.0)
    flows = result.interchange
    assert flows.iloc[0][["from_facility", "to_facility"]].tolist() == ["pv", "user"]
    assert flows.iloc[0]["kwh"] == pytest.approx(3.0)


def test_shelter_reserve_is_kept_when_possible() -> None:
    # Reserve 8 kWh above soc_min 2 -> 10 kWh stored in every slot. Prices 10 / 40 / 10, load 20 kW, battery
    # 10 kW (5 kWh per slot), wear 1 JPY/kWh, starting at 12 kWh. Best: buy 3 kWh in slot 0 (15 JPY each incl.
    # wheeling and wear) to discharge a full 5 kWh in slot 1 (saves 43 each), then hold the 10 kWh reserve.
    # Without the reserve it discharges 5 kWh in slot 0 (saves 13 each) and 5 in slot 1: 7, 2, 2 kWh.
    def case(reserve: float) -> np.ndarray:
        inputs = plan(
            [facility("s", [20.0, 20.0, 20.0], reserve=reserve)],
            [10.0, 40.0, 10.0],
            batteries=(battery("s", 20.0, 10.0, 12.0, soc_min=2.0, degradation=1.0),),
        )
        result = solved(inputs)
        assert not [m for m in result.missed if m.kind == "shelter_reserve"]
        return result.dispatch.bat_soc_kwh[0]

    kept = case(8.0)
    assert (kept >= 10.0 - 1e-6).all()
    assert kept.tolist() == pytest.approx([15.0, 10.0, 10.0])
    assert case(0.0).tolist() == pytest.approx([7.0, 2.0, 2.0])


def test_shelter_reserve_missed_only_when_impossible_and_reported() -> None:
    # Starts at 4 kWh against a 10 kWh level; 2 kW charging adds 1 kWh per slot: short 5, 4, 3, 2, 1, 0.
    inputs = plan(
        [facility("s", [1.0] * 8, reserve=8.0)], [30.0] * 8, batteries=(battery("s", 20.0, 2.0, 4.0, soc_min=2.0),)
    )
    result = solved(inputs)
    soc = result.dispatch.bat_soc_kwh[0]
    assert soc[:6].tolist() == pytest.approx([5.0, 6.0, 7.0, 8.0, 9.0, 10.0])
    missed = [m for m in result.missed if m.kind == "shelter_reserve"]
    assert len(missed) == 1
    assert missed[0].subject == "s"
    assert missed[0].shortfall == pytest.approx(5.0)
    assert missed[0].slot == inputs.index[0]
    assert "maximum 2 kW" in missed[0].reason
    assert missed[0].penalty_jpy == pytest.approx(700.0 * 0.5 * (5 + 4 + 3 + 2 + 1))  # default reserve price


def ev_inputs(plugged_slots: int, price: float = 50.0) -> PlanInputs:
    n = 8
    plugged = np.array([1.0] * plugged_slots + [0.0] * (n - plugged_slots))
    target = np.zeros(n)
    target[plugged_slots - 1] = 32.0  # 0.8 x 40 kWh when it leaves after the last plugged slot
    ev = EVInput(
        id="car",
        facility="f",
        charger="c1",
        capacity_kwh=40.0,
        charge_kw=6.0,
        min_charge_kw=0.0,
        discharge_kw=0.0,
        efficiency=0.92,
        floor_kwh=4.0,
        initial_kwh=20.0,
        plugged=plugged,
        target_kwh=target,
        trip_kwh=np.zeros(n),
    )
    return plan([facility("f", [5.0] * n)], [price] * n, evs=(ev,))


def test_ev_meets_departure_target() -> None:
    # Needs 12 kWh; 5 plugged slots give at most 5 x 6 x 0.5 x 0.92 = 13.8 kWh. Price 50 < penalty 200.
    result = solved(ev_inputs(5))
    soc = result.dispatch.ev_soc_kwh[0]
    assert soc[4] == pytest.approx(32.0, abs=1e-6)
    assert (result.dispatch.ev_charge_kw[0, 5:] == 0).all()
    assert not result.missed


def test_missed_departure_reported_with_binding_limit() -> None:
    # 3 plugged slots give at most 8.28 kWh of the 12 needed: 3.72 kWh short, charger at maximum throughout.
    result = solved(ev_inputs(3))
    missed = [m for m in result.missed if m.kind == "ev_departure"]
    assert len(missed) == 1
    assert missed[0].shortfall == pytest.approx(12.0 - 3 * 6 * 0.5 * 0.92)
    assert "maximum 6 kW in all 3 plugged slot(s)" in missed[0].reason
    assert result.breakdown["penalty_ev_departure"] == pytest.approx(200.0 * missed[0].shortfall)


def test_semi_continuous_ev_charging_respects_minimum_power() -> None:
    # 1 kWh needed in one slot at 0.92 efficiency would be 2.17 kW; with a 4 kW minimum the charger
    # either runs >= 4 kW or not at all.
    n = 2
    ev = EVInput(
        id="car",
        facility="f",
        charger="c1",
        capacity_kwh=10.0,
        charge_kw=6.0,
        min_charge_kw=4.0,
        discharge_kw=0.0,
        efficiency=1.0,
        floor_kwh=0.0,
        initial_kwh=8.0,
        plugged=np.ones(n),
        target_kwh=np.array([0.0, 9.0]),
        trip_kwh=np.zeros(n),
    )
    inputs = plan([facility("f", [0.0] * n)], [10.0, 10.0], evs=(ev,))
    result = solved(inputs)
    charge = result.dispatch.ev_charge_kw[0]
    assert all(c < 1e-6 or c >= 4.0 - 1e-6 for c in charge)
    assert charge.sum() == pytest.approx(4.0)
    relaxed = solved(inputs, options=SolveOptions(relax=True))
    assert relaxed.dispatch.ev_charge_kw[0].sum() == pytest.approx(2.0)
    assert relaxed.objective_jpy < result.objective_jpy


def test_peak_above_contract_reported_with_binding_limit() -> None:
    # Load 50 kW, contract 30 kW, battery 10 kW for one slot at most: 10 kW above contract, unavoidable.
    inputs = plan(
        [facility("p", [50.0, 50.0], contract=30.0)], [10.0, 10.0], batteries=(battery("p", 10.0, 10.0, 10.0),)
    )
    result = solved(inputs)
    missed = [m for m in result.missed if m.kind == "contract_peak"]
    assert len(missed) == 1
    assert missed[0].shortfall == pytest.approx(10.0, abs=1e-6)
    assert "exceeds the reference 30 kW" in missed[0].reason
    assert result.breakdown["demand"] == pytest.approx(1800.0 * 10.0, abs=1e-3)


def test_physical_link_carries_up_to_its_limit_without_wheeling() -> None:
    # A has 50 kW PV and no load, B needs 50 kW; a 20 kW feeder joins them. Energy over the feeder pays no
    # wheeling, the other 30 kW go through the grid inside the group: wheeling 30 x 0.5 x 4 = 60 JPY.
    from optimizer.dayahead.inputs import LinkInput

    inputs = plan(
        [facility("a", [0.0], pv=[50.0]), facility("b", [50.0])], [20.0], links=(LinkInput("feeder", "a", "b", 20.0),)
    )
    result = solved(inputs)
    assert result.dispatch.link_kw[0, 0] == pytest.approx(20.0)
    assert result.dispatch.import_kw[1, 0] == pytest.approx(30.0)
    assert result.objective_jpy == pytest.approx(60.0)
    assert result.interchange.iloc[0]["kwh"] == pytest.approx(25.0)


def test_unavailable_battery_stays_idle_and_its_reserve_is_reported() -> None:
    from dataclasses import replace

    bat = replace(battery("s", 20.0, 10.0, 12.0, soc_min=2.0), available=False)
    inputs = plan([facility("s", [20.0, 20.0], reserve=8.0)], [10.0, 40.0], batteries=(bat,))
    result = solved(inputs)
    d = result.dispatch
    assert np.abs(d.bat_charge_kw).max() < 1e-9
    assert np.abs(d.bat_discharge_kw).max() < 1e-9
    assert d.bat_soc_kwh[0].tolist() == pytest.approx([12.0, 12.0])
    missed = [m for m in result.missed if m.kind == "shelter_reserve"]
    assert len(missed) == 1
    assert "out of service: s/b1" in missed[0].reason
    assert missed[0].shortfall == pytest.approx(8.0)


def test_tiny_miss_below_minimum_power_is_explained() -> None:
    # 0.1 kWh missing; the charger cannot run below 4 kW = 2 kWh per slot costing 2 x (10 + 4) = 28 JPY,
    # more than the 0.1 x 200 = 20 JPY penalty, so the plan pays the penalty and says why.
    ev = EVInput(
        id="car",
        facility="f",
        charger="c1",
        capacity_kwh=20.0,
        charge_kw=6.0,
        min_charge_kw=4.0,
        discharge_kw=0.0,
        efficiency=1.0,
        floor_kwh=0.0,
        initial_kwh=8.9,
        plugged=np.ones(1),
        target_kwh=np.array([9.0]),
        trip_kwh=np.zeros(1),
    )
    result = solved(plan([facility("f", [0.0])], [10.0], evs=(ev,)))
    missed = [m for m in result.missed if m.kind == "ev_departure"]
    assert len(missed) == 1
    assert missed[0].shortfall == pytest.approx(0.1)
    assert "less than one slot at the charger's minimum 4 kW" in missed[0].reason
    assert result.objective_jpy == pytest.approx(20.0)


def test_reserve_soc_is_the_plan_floor_as_for_the_follower() -> None:
    # Battery 20 kWh, 10 kW (5 kWh per slot), eta 1, starting at 16 kWh; soc_min 0.1 (2 kWh) and reserve_soc
    # 0.5 (10 kWh), the floor the real-time follower keeps. Load 20 kW (10 kWh per slot) at 40 then 50 JPY/kWh.
    # With only soc_min the battery would give 5 + 5 kWh (16 -> 11 -> 6): buy 5 x 44 + 5 x 54 = 490 JPY. The
    # floor is max(soc_min, reserve_soc) = 10 kWh, so 6 kWh: 5 in the dear slot, 1 in the other (16 -> 15 ->
    # 10): buy 9 x 44 + 5 x 54 = 666 JPY.
    from dataclasses import replace

    bat = replace(battery("a", 20.0, 10.0, 16.0, soc_min=2.0), reserve_floor_kwh=10.0)
    assert bat.floor_kwh == 10.0
    case = plan([facility("a", [20.0, 20.0])], [40.0, 50.0], batteries=(bat,))
    result = solved(case)
    assert result.dispatch.bat_soc_kwh[0].tolist() == pytest.approx([15.0, 10.0], abs=1e-6)
    assert result.objective_jpy == pytest.approx(666.0, abs=1e-6)
    assert baseline(case).dispatch.bat_soc_kwh[0].min() >= 10.0 - 1e-9  # the baseline keeps the same floor
    free = solved(replace(case, batteries=(replace(bat, reserve_floor_kwh=0.0),)))
    assert free.objective_jpy == pytest.approx(490.0, abs=1e-6)


def link_case(loss: float = 0.0, charge: float = 0.0, loads: tuple[float, float] = (0.0, 50.0)) -> PlanInputs:
    from optimizer.dayahead.inputs import LinkInput

    pv = 50.0 if loads[0] == 0.0 else 0.0
    return plan(
        [facility("a", [loads[0]], pv=[pv]), facility("b", [loads[1]])],
        [20.0],
        links=(LinkInput("feeder", "a", "b", 20.0, loss_fraction=loss, charge_jpy_per_kwh=charge),),
    )


def test_link_losses_weigh_against_wheeling() -> None:
    # A's 50 kW of PV, B's 50 kW load, a 20 kW feeder losing 10 %. Sending x kW delivers 0.9x to B, so B imports
    # 50 - 0.9x (wheeling 4 x 0.5 h) and the group buys the 0.1x lost at 20: cost 100 - 1.8x + x = 100 - 0.8x,
    # least at x = 20: 84 JPY (wheeling 64, energy 20). The link pays while 4 (1 - loss) > 20 loss, i.e. loss <
    # 1/6: at 25 % the cost would be 100 + x, so nothing is sent and B takes all 50 kW through the grid: 100 JPY.
    lossy = solved(link_case(loss=0.1))
    assert lossy.dispatch.link_kw[0, 0] == pytest.approx(20.0)
    assert lossy.dispatch.import_kw[1, 0] == pytest.approx(32.0)
    assert lossy.objective_jpy == pytest.approx(84.0)
    assert lossy.breakdown["wheeling"] == pytest.approx(64.0)
    # interchange: 18 kW x 0.5 h = 9 kWh arrive over the link, and 15 kWh of A's 30 kW export serve B's import
    assert lossy.interchange["kwh"].sum() == pytest.approx(24.0)
    too_lossy = solved(link_case(loss=0.25))
    assert too_lossy.dispatch.link_kw[0, 0] == pytest.approx(0.0, abs=1e-9)
    assert too_lossy.objective_jpy == pytest.approx(100.0)


def test_link_charge_is_paid_only_when_cheaper_than_wheeling() -> None:
    # No losses; a 3 JPY/kWh link fee beats the 4 JPY/kWh wheeling: 20 kW over the link (3 x 10 kWh = 30) and 30
    # kW through the grid (4 x 15 kWh = 60): 90 JPY. At 5 JPY/kWh the link stays idle: 100 JPY of wheeling.
    cheap = solved(link_case(charge=3.0))
    assert cheap.dispatch.link_kw[0, 0] == pytest.approx(20.0)
    assert cheap.breakdown["link"] == pytest.approx(30.0)
    assert cheap.objective_jpy == pytest.approx(90.0)
    dear = solved(link_case(charge=5.0))
    assert dear.dispatch.link_kw[0, 0] == pytest.approx(0.0, abs=1e-9)
    assert dear.objective_jpy == pytest.approx(100.0)


def test_lossy_link_carries_nothing_when_it_saves_nothing() -> None:
    # Both ends import 10 kW; moving power over the feeder only shifts wheeling from one meter to the other, so
    # without losses the flow is arbitrary. With 2.5 % losses any flow costs energy: it is exactly 0 and the
    # plan is the two imports, 2 x 5 kWh x (20 + 4) = 240 JPY.
    result = solved(link_case(loss=0.025, loads=(10.0, 10.0)))
    assert np.abs(result.dispatch.link_ab_kw).max() == 0.0
    assert np.abs(result.dispatch.link_ba_kw).max() == 0.0
    assert result.objective_jpy == pytest.approx(240.0)
    assert result.interchange.empty
