"""The year backtest's pieces: settlement of a hand-made day, stitching, the error model, the state carried, and
the tiny scenario end to end on a real Dask LocalCluster (same rows as in-process)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from optimizer.dayahead.costs import cost_breakdown
from optimizer.dayahead.decisions import Dispatch
from optimizer.dayahead.from_scenario import Overrides
from optimizer.dayahead.inputs import FacilityInput, PlanInputs
from runtime.backtest.actuals import DaySeries, simulate
from runtime.backtest.config import BacktestConfig, weeks
from runtime.backtest.day import Counters, DayRun, day_market, day_series, run_day
from runtime.backtest.execute import Segment, execute, next_day_state, stitch
from runtime.backtest.market import intraday_prices, naive_price_forecast
from runtime.backtest.run import run_backtest
from runtime.backtest.settle import settle_day
from runtime.batch import BatchSettings
from scenarios.loader import load_builtin
from scenarios.model import CapacityContribution, ImbalanceParams

DAY = dt.date(2023, 7, 4)  # a Tuesday of FY2023


def _one_facility(load_kw: list[float], price: list[float]) -> PlanInputs:
    n = len(load_kw)
    index = pd.date_range(pd.Timestamp(DAY).tz_localize("Asia/Tokyo"), periods=n, freq="30min")
    facility = FacilityInput(
        id="f", pv_kw=np.zeros(n), load_kw=np.array(load_kw), contract_kw=50.0, peak_so_far_kw=0.0, has_pv=False
    )
    return PlanInputs(
        index=index,
        hours=np.full(n, 0.5),
        price_jpy_per_kwh=np.array(price),
        wheeling_jpy_per_kwh=3.0,
        sale_discount_jpy_per_kwh=0.0,
        facilities=(facility,),
    )


def _grid_only(load_kw: list[float]) -> Dispatch:
    n, zeros = len(load_kw), np.zeros((0, len(load_kw)))
    load = np.array(load_kw)
    return Dispatch(
        plant_kw=np.zeros(n),
        buy_kw=load.copy(),
        sell_kw=np.zeros(n),
        import_kw=load[None, :].copy(),
        export_kw=np.zeros((1, n)),
        pv_used_kw=np.zeros((1, n)),
        bat_charge_kw=zeros,
        bat_discharge_kw=zeros,
        bat_soc_kwh=zeros,
        ev_charge_kw=zeros,
        ev_discharge_kw=zeros,
        ev_soc_kwh=zeros,
        ev_trip_short_kwh=zeros,
        link_ab_kw=zeros,
        link_ba_kw=zeros,
        plant_self_kw=np.zeros(n),
    )


def test_settlement_of_a_hand_made_day() -> None:
    """Planned 10 kW in both slots (5 kWh each), bought day-ahead in 1-kWh units; the load was 12 then 9 kW.

    slot 0: energy 5 kWh x 10 = 50 JPY; metered 6 kWh, so 1 kWh short at min(10 + 5, 200) = 15 JPY;
    slot 1: energy 5 x 20 = 100 JPY; metered 4.5 kWh, 0.5 kWh long earns max(20 - 5, 0) = 15 -> -7.5 JPY.
    Nothing to trade intraday (plan = fill). Wheeling 3 JPY/kWh on the 10.5 kWh metered = 31.5 JPY."""
    plan = _one_facility([10.0, 10.0], [10.0, 20.0])
    actual = _one_facility([12.0, 9.0], [10.0, 20.0])
    executed = execute([Segment(0, plan, _grid_only([10.0, 10.0]))], np.zeros((1, 2)), np.array([[12.0, 9.0]]))
    assert executed.actual.buy_kw.tolist() == [12.0, 9.0]
    run = DayRun(executed, np.array([5.0, 5.0]), np.array([5.0, 5.0]), actual, Counters())
    prices = (np.array([12.0, 12.0]), np.array([12.0, 12.0]))
    s = settle_day(run, prices, ImbalanceParams(spread_jpy_per_kwh=5.0), DAY, with_stored_value=False)
    assert s.terms["energy"] == pytest.approx(150.0)
    assert s.terms["imbalance"] == pytest.approx(15.0 - 7.5)
    assert s.terms["intraday"] == 0.0
    assert s.terms["wheeling"] == pytest.approx(31.5)
    assert s.imbalance_kwh == pytest.approx(1.5)
    assert s.facility_peak_kw == {"f": pytest.approx(12.0)}
    assert "demand" not in s.terms  # billed per month
    assert "terminal_value" not in s.terms  # counted on a week's last day only


def test_a_fill_off_the_plan_is_traded_intraday_where_the_slot_traded() -> None:
    """Fill 0 kWh (a 50-kWh bid unit rounds 5 kWh away): slot 0 buys its 5 kWh intraday at 12 JPY = 60 JPY;
    slot 1 had no intraday trade (NaN), so its 5 kWh is imbalance at 20 + 5 = 25 JPY = 125 JPY."""
    plan = _one_facility([10.0, 10.0], [10.0, 20.0])
    executed = execute([Segment(0, plan, _grid_only([10.0, 10.0]))], np.zeros((1, 2)), np.array([[10.0, 10.0]]))
    run = DayRun(executed, np.zeros(2), np.array([5.0, 5.0]), plan, Counters())
    prices = (np.array([12.0, np.nan]), np.array([12.0, np.nan]))
    s = settle_day(run, prices, ImbalanceParams(spread_jpy_per_kwh=5.0), DAY, with_stored_value=True)
    assert (s.terms["energy"], s.terms["intraday"], s.terms["imbalance"]) == (0.0, 60.0, 125.0)
    assert (s.intraday_kwh, s.imbalance_kwh) == (5.0, 5.0)


def test_adverse_intraday_prices_are_the_high_and_the_low_of_the_slot() -> None:
    average, same = intraday_prices(DAY, "average")
    high, low = intraday_prices(DAY, "adverse")
    traded = ~np.isnan(high)
    assert traded.sum() > 40  # nearly every slot of a 2023 day traded intraday
    assert np.array_equal(average, same, equal_nan=True)
    assert (high[traded] >= average[traded]).all()
    assert (low[traded] <= average[traded]).all()
    assert np.isnan(intraday_prices(dt.date(2030, 1, 1))[0]).all()  # outside the shipped file: no trade


def test_stitching_takes_each_slot_from_the_latest_plan_in_force() -> None:
    first = Segment(0, _one_facility([1.0] * 4, [1.0] * 4), _grid_only([1.0, 1.0, 1.0, 1.0]))
    second = Segment(2, _one_facility([7.0] * 2, [1.0] * 2), _grid_only([7.0, 8.0]))
    dispatch, _pv, load = stitch([first, second], 4)
    assert dispatch.buy_kw.tolist() == [1.0, 1.0, 7.0, 8.0]
    assert load.tolist() == [[1.0, 1.0, 7.0, 7.0]]  # the forecast each plan was made on
    with pytest.raises(ValueError, match="must start at 0"):
        stitch([second], 4)


def test_forecast_error_model_is_seeded_and_shrinks_with_the_lead_time() -> None:
    forecast = {"a": np.full(48, 10.0)}
    config = BacktestConfig(load_error=0.1, pv_error=0.2)
    one, two = simulate(DAY, forecast, forecast, config), simulate(DAY, forecast, forecast, config)
    assert np.array_equal(one.load_actual["a"], two.load_actual["a"])
    assert not np.array_equal(
        one.load_actual["a"], simulate(DAY + dt.timedelta(days=1), forecast, forecast, config).load_actual["a"]
    )
    _pv, at_zero = one.at_lead(np.zeros(48))
    _pv, at_day = one.at_lead(np.full(48, 30.0))
    _pv, at_6h = one.at_lead(np.full(48, 6.0))
    assert np.allclose(at_zero["a"], one.load_actual["a"])
    assert np.allclose(at_day["a"], 10.0)
    assert np.allclose(at_6h["a"] - one.load_actual["a"], (10.0 - one.load_actual["a"]) * 0.5)  # sqrt(6/24)


def test_naive_price_forecast_uses_only_days_known_at_the_bid() -> None:
    from scenarios.datasets import market_prices

    def day_prices(day: dt.date) -> np.ndarray:
        start = pd.Timestamp(day).tz_localize("Asia/Tokyo")
        return market_prices("builtin:jepx_chugoku", start, start + pd.Timedelta(hours=24)).to_numpy()

    tuesday, monday = dt.date(2023, 7, 4), dt.date(2023, 7, 3)
    assert np.array_equal(naive_price_forecast("builtin:jepx_chugoku", tuesday)[0], day_prices(monday))
    assert np.array_equal(naive_price_forecast("builtin:jepx_chugoku", monday)[0], day_prices(dt.date(2023, 6, 26)))
    assert naive_price_forecast("builtin:jepx_chugoku", dt.date(2023, 4, 1))[1] == "proxy-52-weeks-later"


def test_a_new_month_starts_the_peaks_afresh_and_a_week_task_is_seven_days() -> None:
    plan = _one_facility([10.0, 10.0], [10.0, 20.0])
    capacity = CapacityContribution()
    state = next_day_state(plan, _grid_only([10.0, 30.0]), Overrides(), DAY + dt.timedelta(days=1), capacity)
    assert state.peak_this_month_kw == {"f": 30.0}
    new_month = next_day_state(plan, _grid_only([10.0, 30.0]), Overrides(), dt.date(2023, 8, 1), capacity)
    assert new_month.peak_this_month_kw == {"f": 0.0}
    assert new_month.peak_12_months_kw == {"f": 30.0}
    tasks = weeks(dt.date(2023, 4, 1), dt.date(2023, 4, 16), load_builtin("tiny"), BacktestConfig())
    assert [(t.start.isoformat(), t.days) for t in tasks] == [("2023-04-01", 7), ("2023-04-08", 7), ("2023-04-15", 2)]
    with pytest.raises(ValueError, match="--to"):
        weeks(dt.date(2023, 4, 2), dt.date(2023, 4, 1), load_builtin("tiny"), BacktestConfig())
    with pytest.raises(ValueError, match="replan_every_h"):
        BacktestConfig(replan_every_h=5)


def test_the_baseline_is_costed_by_the_shared_cost_function() -> None:
    scenario, config = load_builtin("tiny"), BacktestConfig(bid_unit_kwh=1.0)
    series: DaySeries = day_series(scenario, DAY, config)
    run = run_day("baseline", scenario, DAY, Overrides(), series, day_market(scenario, DAY), config)
    s = settle_day(run, (np.full(48, np.nan), np.full(48, np.nan)), scenario.market.imbalance, DAY, True)
    shared = cost_breakdown(run.actual_inputs, run.executed.actual)
    for term in ("wheeling", "wear", "penalty_reserve", "terminal_value"):
        assert s.terms[term] == pytest.approx(shared[term])
    assert run.counters.solves == 0
    assert s.imbalance_kwh > 0  # the rule-based plan meets the forecast error


def test_tiny_end_to_end_on_a_local_cluster() -> None:
    scenario, config = load_builtin("tiny"), BacktestConfig(bid_unit_kwh=1.0, replan_every_h=6)
    start, end = dt.date(2023, 7, 3), dt.date(2023, 7, 5)
    on_cluster = run_backtest(scenario, start, end, config=config, batch=BatchSettings(workers=2))
    assert len(on_cluster.days) == 3 * 3
    forecast = on_cluster.days[on_cluster.days["strategy"] == "forecast"]
    assert (forecast["plans_solved"] == 1 + 1 + 3).all()  # bid, 12:00 plan, re-plans for 06:00/12:00/18:00
    assert (on_cluster.days["plans_fallen_back"] == 0).all()
    months = on_cluster.months
    total = {r["strategy"]: float(r["money_jpy"]) for r in months[months["month"] == "total"].to_dict("records")}
    assert total["perfect"] <= total["forecast"]  # perfect foresight is the bound, money-wise
    bound = on_cluster.bound[on_cluster.bound["month"] == "total"]
    assert float(bound["saving_jpy"].iloc[0]) == pytest.approx(total["baseline"] - total["forecast"])
    serial = run_backtest(scenario, start, end, config=config, batch=BatchSettings(workers=0))
    pd.testing.assert_frame_equal(
        on_cluster.days.drop(columns="solve_s"), serial.days.drop(columns="solve_s"), check_exact=False, rtol=1e-6
    )
