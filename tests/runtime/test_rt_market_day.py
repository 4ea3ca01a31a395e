"""The market day over a plan: forecast, bid, clearing, 需要調達計画 file and intraday step (HiGHS, recorded data).

Hand-solved day: one facility needs 300 kW (150 kWh per slot) all day; a 100 kWh / 200 kW battery (lossless,
wear 1 JPY/kWh, empty at 00:00); wheeling 4 JPY/kWh; prices repeat every day: 5 JPY/kWh in slot 1, 30 in slot 48,
10 otherwise. A stored kWh costs 5 + 4 + 1 = 10 and saves 30 + 4 = 34 in slot 48, so the battery fills in slot 1
(100 kWh) and empties in slot 48; a second cycle through a 10-JPY slot would gain the same 25 JPY/kWh but pay the
wear twice. The plan buys 250 kWh in slot 1, 50 kWh in slot 48, 150 kWh elsewhere, all multiples of 50 kWh.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optimizer.dayahead.inputs import BatteryInput, FacilityInput, PlanInputs
from runtime.market.day import (
    bid_day,
    clear_day,
    held_position,
    intraday_day,
    intraday_prices,
    plan_day,
    price_history,
)
from runtime.market.plan_values import COLUMNS, plan_file_name, plan_values, read_plan_values, write_plan_values
from scenarios.loader import load_builtin
from scenarios.timegrid import TZ, day_slots

DAY = dt.date(2024, 1, 10)
SHAPE = np.array([5.0] + [10.0] * 46 + [30.0])


def repeating_history() -> pd.Series:
    index = pd.date_range("2023-01-01", "2024-01-31 23:30", freq="30min", tz=TZ)
    return pd.Series(np.tile(SHAPE, len(index) // 48), index=index)


def hand_inputs() -> PlanInputs:
    n = 48
    facility = FacilityInput(
        id="a", pv_kw=np.zeros(n), load_kw=np.full(n, 300.0), contract_kw=1000.0, peak_so_far_kw=0.0, has_pv=False
    )
    battery = BatteryInput(
        key="a/b1",
        facility="a",
        capacity_kwh=100.0,
        charge_kw=200.0,
        discharge_kw=200.0,
        charge_efficiency=1.0,
        discharge_efficiency=1.0,
        soc_min_kwh=0.0,
        soc_max_kwh=100.0,
        initial_kwh=0.0,
        degradation_jpy_per_kwh=1.0,
    )
    return PlanInputs(
        index=day_slots(DAY),
        hours=np.full(n, 0.5),
        price_jpy_per_kwh=SHAPE.copy(),
        wheeling_jpy_per_kwh=4.0,
        sale_discount_jpy_per_kwh=0.5,
        facilities=(facility,),
        batteries=(battery,),
    )


EXPECTED_KWH = np.array([250.0] + [150.0] * 46 + [50.0])


def test_hand_solved_day_bid_fill_and_plan_file(tmp_path: Path) -> None:
    scenario = load_builtin("tiny")
    history = repeating_history()
    run = bid_day(scenario, DAY, history=history, inputs=hand_inputs())
    assert run.forecast.issued_for == pd.Timestamp("2024-01-09 10:00", tz=TZ)
    assert np.abs(run.forecast.p50.to_numpy() - SHAPE).max() < 0.05
    # the three price scenarios give the same plan, so every slot collapses to one price-taker purchase
    assert {(s.side, s.price_jpy_per_kwh) for s in run.bid.steps} == {("buy", 999.0)}
    assert run.bid.total_kwh("buy").tolist() == EXPECTED_KWH.tolist()
    real = pd.Series(SHAPE, index=day_slots(DAY))
    fill = clear_day(scenario, run.bid, real)
    assert fill.net_kwh.tolist() == EXPECTED_KWH.tolist()
    assert fill.cost_jpy == pytest.approx(250 * 5 + 46 * 150 * 10 + 50 * 30)
    plan = plan_day(run.plans["p50"].inputs, real)
    values = plan_values(plan, fill, scenario.market.operations, pd.Timestamp("2024-01-09 11:45", tz=TZ))
    assert values.frame["demand_kwh"].tolist() == EXPECTED_KWH.astype(int).tolist()
    assert values.frame["open_kwh"].tolist() == [0] * 48
    path = write_plan_values(values, tmp_path)
    assert path.name == plan_file_name("YGE0001", DAY) == "demand_procurement_YGE0001_20240110.csv"
    table = read_plan_values(path)
    assert len(table) == 48
    assert table["コマ"].tolist() == list(range(1, 49))
    assert (table["開始時刻"].iloc[0], table["終了時刻"].iloc[-1]) == ("00:00", "24:00")
    assert table["需要(kWh)"].sum() == int(EXPECTED_KWH.sum())
    assert table["作成日時"].iloc[0] == "2024-01-09T11:45:00+09:00"
    assert list(table.columns[6:15]) == list(COLUMNS.values())


def test_yamaguchi_day_on_recorded_prices(tmp_path: Path) -> None:
    scenario = load_builtin("yamaguchi")
    day = dt.date(2024, 7, 1)
    history = price_history(scenario, day)
    assert history.index[-1] == pd.Timestamp("2024-06-30 23:30", tz=TZ)  # nothing of the delivery day
    run = bid_day(scenario, day, history=history)
    frame = run.bid.frame()
    assert (frame["quantity_kwh"] % 50 == 0).all()
    assert (frame["quantity_kwh"] > 0).all()
    fill = clear_day(scenario, run.bid)
    filled = fill.frame["bought_kwh"] + fill.frame["sold_kwh"]
    assert (filled <= run.bid.total_kwh("buy") + run.bid.total_kwh("sell") + 1e-9).all()
    plan = plan_day(run.plans["p50"].inputs, fill.frame["price_jpy_per_kwh"])
    values = plan_values(plan, fill, scenario.market.operations, pd.Timestamp("2024-06-30 11:50", tz=TZ))
    f = values.frame
    supply = f[["plant_kwh", "facility_export_kwh", "spot_purchase_kwh", "bilateral_kwh", "intraday_purchase_kwh"]]
    balance = supply.sum(axis=1) - f["spot_sale_kwh"] - f["intraday_sale_kwh"] - f["demand_kwh"]
    assert balance.tolist() == f["open_kwh"].tolist()
    # intraday at 12:00: every slot of the delivery day is still open, trades are whole intraday units
    trades = intraday_day(scenario, plan, fill.net_kwh, pd.Timestamp("2024-06-30 12:00", tz=TZ), intraday_prices(day))
    assert trades["open"].all()
    assert (trades["trade_kwh"] % 50 == 0).all()
    assert (trades["expected_total_jpy"] <= trades["expected_imbalance_no_trade_jpy"] + 1e-6).all()
    # at 12:00 on the delivery day the slots up to 13:00 (gate closure 12:00) are closed: no trades there
    late = intraday_day(scenario, plan, fill.net_kwh, pd.Timestamp("2024-07-01 12:00", tz=TZ), intraday_prices(day))
    assert not late["open"].iloc[:27].any()
    assert late["open"].iloc[27:].all()
    assert (late["trade_kwh"].iloc[:27] == 0).all()


def test_intraday_outside_the_shipped_data_is_refused() -> None:
    with pytest.raises(ValueError, match="delivery_day: 2030-01-01"):
        intraday_prices(dt.date(2030, 1, 1))


def test_point_bid_hedges_only_when_imbalance_is_asymmetric() -> None:
    scenario = load_builtin("tiny")
    history = repeating_history()
    plain = bid_day(scenario, DAY, history=history, inputs=hand_inputs(), curves=False)
    assert plain.bid.total_kwh("buy").tolist() == EXPECTED_KWH.tolist()  # symmetric spread: the plan stays
    # reserve margin 3 %: both sides priced at the cap C (200 JPY/kWh), so a surplus earns far more than spot;
    # needs -/+ 50 % of the load (75 kWh of 150): the position leans to the P90 need, 75 kWh rounded to 100
    ops = scenario.market.operations.model_copy(update={"assumed_reserve_margin": 0.03, "need_error_fraction": 0.5})
    scarce = scenario.model_copy(update={"market": scenario.market.model_copy(update={"operations": ops})})
    leaning = bid_day(scarce, DAY, history=history, inputs=hand_inputs(), curves=False)
    assert leaning.bid.total_kwh("buy").tolist() == (EXPECTED_KWH + 100.0).tolist()


def test_a_re_plan_holds_the_locked_slots_and_the_fill() -> None:
    """hand_inputs with a flat fill of 150 kWh per slot, re-planned at 00:00 of the day: slots 00:00-01:00 are past
    gate closure (locked at 150 kWh), so the battery can no longer charge in the 5-JPY slot 0 (+100 kWh would cost
    100 JPY/kWh of lock penalty). It charges in an open 10-JPY slot instead (10 + 4 + 1 premium = 15 JPY/kWh) and
    still discharges in the 30-JPY last slot: 250 kWh bought in one open slot, 50 in the last, 150 elsewhere."""
    index = day_slots(DAY)
    intraday = pd.DataFrame({"average_jpy_per_kwh": np.full(48, 10.0)}, index=index)
    now = pd.Timestamp(dt.datetime.combine(DAY, dt.time(0, 0)), tz=TZ)
    position = held_position(index, np.full(48, 150.0), np.zeros(48), now, intraday)
    assert position.locked[:3].all()
    assert not position.locked[3:].any()
    real = pd.Series(SHAPE, index=index)
    free = plan_day(hand_inputs(), real).dispatch.buy_kw * 0.5
    held = plan_day(hand_inputs(), real, position=position).dispatch.buy_kw * 0.5
    assert free[0] == pytest.approx(250.0, abs=1e-6)
    assert held[:3].tolist() == pytest.approx([150.0] * 3, abs=1e-6)
    assert held[47] == pytest.approx(50.0, abs=1e-6)
    assert sorted(np.round(held[3:47], 6).tolist())[-1] == pytest.approx(250.0, abs=1e-6)
    assert held.sum() == pytest.approx(150.0 * 48, abs=1e-6)
