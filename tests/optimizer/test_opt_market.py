"""Day-ahead bids, their clearing, imbalance prices and intraday trades, on systems solved by hand.

Quantities are kWh per 30-min slot (a plan's kW x 0.5 h), prices JPY/kWh; one JEPX bid unit is 50 kWh.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from optimizer.market.bids import curve_bid, point_bid, round_to_unit
from optimizer.market.clearing import clear_bid
from optimizer.market.hedge import hedged_net_kwh
from optimizer.market.imbalance import cap_for, expected_imbalance_cost, imbalance_prices, scarcity_price
from optimizer.market.intraday import intraday_trades, lock_closed_slots, open_slots, signed_round
from scenarios.market_ops import MarketOperations
from scenarios.model import ImbalanceParams
from scenarios.timegrid import TZ, day_slots

DAY = dt.date(2024, 7, 1)
OPS = MarketOperations()
SLOTS = day_slots(DAY)


def kw(first: float, rest: float = 0.0) -> np.ndarray:
    """48 slot powers (kW): ``first`` in slot 1, ``rest`` elsewhere."""
    out = np.full(48, rest)
    out[0] = first
    return out


def test_round_to_the_bid_unit() -> None:
    assert round_to_unit(np.array([0.0, 24.9, 25.0, 74.0, 76.0]), 50.0).tolist() == [0, 0, 50, 50, 100]
    assert signed_round(np.array([-76.0, -24.0, 26.0]), 50.0).tolist() == [-100, 0, 50]
    with pytest.raises(ValueError, match="quantity_kwh"):
        round_to_unit(np.array([-1.0]), 50.0)


def test_point_bid_is_the_plan_at_price_taker_limits() -> None:
    bid = point_bid(DAY, kw(100.0), kw(0.0, 60.0), OPS)  # 100 kW = 50 kWh; 60 kW = 30 kWh -> 50 kWh
    first = [s for s in bid.steps if s.slot_start == SLOTS[0]]
    assert [(s.side, s.price_jpy_per_kwh, s.quantity_kwh) for s in first] == [("buy", 999.0, 50.0)]
    assert bid.total_kwh("sell")[1:].tolist() == [50.0] * 47
    fill = clear_bid(bid, pd.Series(40.0, index=SLOTS))  # price takers fill at any price
    assert fill.net_kwh[0] == 50.0
    assert fill.net_kwh[1] == -50.0
    assert fill.cost_jpy == pytest.approx(50 * 40 - 47 * 50 * 40)
    with pytest.raises(ValueError, match="buy_kw: 47 values"):
        point_bid(DAY, np.zeros(47), np.zeros(48), OPS)


def curve() -> pd.DataFrame:
    """Forecast price quantiles, the same in every slot (JPY/kWh)."""
    return pd.DataFrame({"p10": 8.0, "p50": 10.0, "p90": 14.0}, index=SLOTS)


def test_curve_bid_steps_follow_the_scenario_plans() -> None:
    # slot 1: the P10 plan buys 200 kWh, the P50 plan 100, the P90 plan 50; slot 2 sells 0 / 50 / 150 kWh
    zero = np.zeros(48)
    plans = {
        "p10": (kw(400.0), zero),
        "p50": (kw(200.0), np.where(np.arange(48) == 1, 100.0, 0.0)),
        "p90": (kw(100.0), np.where(np.arange(48) == 1, 300.0, 0.0)),
    }
    bid = curve_bid(DAY, plans, curve(), OPS)
    table = bid.frame()
    one = table[table["jepx_slot"] == 1][["side", "price_jpy_per_kwh", "quantity_kwh"]].values.tolist()
    assert one == [["buy", 999.0, 50.0], ["buy", 10.0, 50.0], ["buy", 8.0, 100.0]]
    two = table[table["jepx_slot"] == 2][["side", "price_jpy_per_kwh", "quantity_kwh"]].values.tolist()
    assert two == [["sell", 10.0, 50.0], ["sell", 14.0, 100.0]]
    assert set(table["jepx_slot"]) == {1, 2}  # nothing to bid elsewhere

    def filled(price: float) -> tuple[float, float]:
        f = clear_bid(bid, pd.Series(price, index=SLOTS)).frame
        return float(f["bought_kwh"].iloc[0]), float(f["sold_kwh"].iloc[1])

    assert filled(7.0) == (200.0, 0.0)
    assert filled(9.0) == (100.0, 0.0)
    assert filled(10.0) == (100.0, 50.0)  # at the limit: filled on both sides
    assert filled(12.0) == (50.0, 50.0)
    assert filled(14.0) == (50.0, 150.0)
    assert filled(20.0) == (50.0, 150.0)


def test_curve_quantities_are_made_monotone() -> None:
    zero = np.zeros(48)
    plans = {"p10": (kw(100.0), zero), "p50": (kw(0.0), zero), "p90": (kw(200.0), zero)}  # P90 buys the most
    bid = curve_bid(DAY, plans, curve(), OPS)
    steps = [(s.side, s.price_jpy_per_kwh, s.quantity_kwh) for s in bid.steps]
    assert steps == [("buy", 999.0, 100.0)]  # P90's 100 kWh is needed at any price: P10's and P50's too
    with pytest.raises(ValueError, match="missing"):
        curve_bid(DAY, {"p50": plans["p50"]}, curve(), OPS)


def test_clearing_needs_every_price() -> None:
    bid = point_bid(DAY, kw(100.0), np.zeros(48), OPS)
    with pytest.raises(ValueError, match="no clearing price for slot 2024-07-01T00:30"):
        clear_bid(bid, pd.Series(10.0, index=SLOTS).drop(SLOTS[1]))


def test_cap_moves_to_300_in_october_2026() -> None:
    params = ImbalanceParams()
    assert cap_for(dt.date(2026, 9, 30), params) == 200.0
    assert cap_for(dt.date(2026, 10, 1), params) == 300.0


def test_scarcity_curve() -> None:
    margins = np.array([0.02, 0.03, 0.055, 0.08, 0.09])
    assert scarcity_price(margins, 200.0, OPS).tolist() == [200.0, 200.0, 122.5, 45.0, 0.0]


def test_imbalance_price_is_the_higher_of_balancing_and_scarcity_capped_at_c() -> None:
    stamps = ["2026-09-30 18:00", "2026-09-30 18:30", "2026-09-30 19:00", "2026-10-01 18:00"]
    index = pd.DatetimeIndex([pd.Timestamp(t, tz=TZ) for t in stamps])
    spot = pd.Series([10.0, 10.0, 250.0, 310.0], index=index)
    margin = pd.Series([0.15, 0.055, 0.15, 0.15], index=index)
    table = imbalance_prices(spot, ImbalanceParams(spread_jpy_per_kwh=5.0), OPS, margin)
    assert table["short_jpy_per_kwh"].tolist() == [15.0, 122.5, 200.0, 300.0]
    assert table["surplus_jpy_per_kwh"].tolist() == [5.0, 122.5, 200.0, 300.0]
    with pytest.raises(ValueError, match="reserve_margin"):
        imbalance_prices(spot, ImbalanceParams(), OPS, margin.iloc[:2])


NEEDS = [np.array([100.0]), np.array([200.0]), np.array([300.0])]
WEIGHTS = [0.3, 0.4, 0.3]


def test_expected_imbalance_cost_by_hand() -> None:
    # position 100: short 0 / 100 / 200 kWh at 25 JPY/kWh -> 0.4 x 2500 + 0.3 x 5000 = 2500 JPY
    cost = expected_imbalance_cost(np.array([100.0]), NEEDS, WEIGHTS, np.array([25.0]), np.array([5.0]))
    assert cost.tolist() == [2500.0]
    # position 300: surplus 200 / 100 / 0 kWh paid 5 JPY/kWh -> -(0.3 x 1000 + 0.4 x 500) = -500 JPY
    cost = expected_imbalance_cost(np.array([300.0]), NEEDS, WEIGHTS, np.array([25.0]), np.array([5.0]))
    assert cost.tolist() == [-500.0]
    with pytest.raises(ValueError, match="weights"):
        expected_imbalance_cost(np.array([0.0]), NEEDS, [0.5, 0.5, 0.5], np.array([1.0]), np.array([1.0]))


def test_gate_closure_locks_slots() -> None:
    index = pd.date_range("2024-07-01 10:30", periods=3, freq="30min", tz=TZ)
    now = pd.Timestamp("2024-07-01 10:00", tz=TZ)
    assert open_slots(index, now).tolist() == [False, False, True]  # gate closures 09:30, 10:00, 10:30
    locked = lock_closed_slots(np.array([1.0, 2.0, 3.0]), np.array([9.0, 9.0, 9.0]), index, now)
    assert locked.tolist() == [1.0, 2.0, 9.0]


def one_slot(average: float, high: float, low: float, short: float, surplus: float) -> tuple[pd.DataFrame, ...]:
    index = pd.DatetimeIndex([pd.Timestamp("2024-07-01 18:00", tz=TZ)])
    intraday = pd.DataFrame(
        {"average_jpy_per_kwh": [average], "high_jpy_per_kwh": [high], "low_jpy_per_kwh": [low]}, index=index
    )
    prices = pd.DataFrame({"short_jpy_per_kwh": [short], "surplus_jpy_per_kwh": [surplus]}, index=index)
    return intraday, prices


NOW = pd.Timestamp("2024-07-01 12:00", tz=TZ)


def trade(
    position: float, intraday: pd.DataFrame, prices: pd.DataFrame, now: pd.Timestamp = NOW, adverse: bool = False
) -> pd.Series:
    """The trade chosen for one slot holding ``position`` kWh against the needs 100/200/300 kWh (0.3/0.4/0.3)."""
    position_kwh = np.array([position])
    out = intraday_trades(
        pd.DatetimeIndex(intraday.index), now, position_kwh, NEEDS, WEIGHTS, intraday, prices, adverse=adverse
    )
    return out.iloc[0]


def test_buy_intraday_when_cheaper_than_the_expected_shortage() -> None:
    # position 100 kWh: no trade 2500 JPY; buy 100 at 15 -> 1500 + (-0.3 x 500 + 0.3 x 2500) = 2100;
    # buy 200 -> 3000 - 0.3 x 1000 - 0.4 x 500 = 2500. Best: buy 100 kWh.
    intraday, prices = one_slot(average=15.0, high=30.0, low=10.0, short=25.0, surplus=5.0)
    row = trade(100.0, intraday, prices)
    assert row["trade_kwh"] == 100.0
    assert row["expected_total_jpy"] == pytest.approx(2100.0)
    assert row["expected_imbalance_no_trade_jpy"] == pytest.approx(2500.0)
    # at the adverse high of 30 JPY/kWh no purchase beats the shortage (100: 3600, 200: 5500)
    assert trade(100.0, intraday, prices, adverse=True)["trade_kwh"] == 0.0


def test_sell_intraday_when_the_surplus_pays_less() -> None:
    # position 300 kWh, sell at 8, shortage 9, surplus 5: no trade -500; sell 100 -> -800 - 150 + 270 = -680;
    # sell 200 -> -1600 + 360 + 540 = -700. Best: sell 200 kWh.
    intraday, prices = one_slot(average=8.0, high=12.0, low=6.0, short=9.0, surplus=5.0)
    row = trade(300.0, intraday, prices)
    assert row["trade_kwh"] == -200.0
    assert row["expected_total_jpy"] == pytest.approx(-700.0)
    # shortage at 25 makes the sale a bad bet: keep the position (-500)
    intraday, prices = one_slot(average=8.0, high=12.0, low=6.0, short=25.0, surplus=5.0)
    assert trade(300.0, intraday, prices)["trade_kwh"] == 0.0


def test_no_trade_after_gate_closure_or_without_an_intraday_price() -> None:
    intraday, prices = one_slot(average=15.0, high=30.0, low=10.0, short=25.0, surplus=5.0)
    late = trade(100.0, intraday, prices, now=pd.Timestamp("2024-07-01 17:00", tz=TZ))
    assert (late["open"], late["trade_kwh"]) == (False, 0.0)
    intraday.loc[:, "average_jpy_per_kwh"] = np.nan
    assert trade(100.0, intraday, prices)["trade_kwh"] == 0.0


def test_hedge_leans_long_when_shortage_costs_more_than_surplus_pays() -> None:
    # plan 100 kWh, needs 100/200/300 (0.3/0.4/0.3), spot 10, shortage 25, surplus 5: staying costs 2500 in
    # expected imbalance; +100 kWh: 1000 - 150 + 750 = 1600; +200: 2000 - 300 - 200 = 1500 -> bid 300 kWh
    # (the critical ratio (25 - 10) / (25 - 5) = 0.75 falls in the P90 scenario)
    index = pd.DatetimeIndex([pd.Timestamp("2024-07-01 18:00", tz=TZ)])
    prices = pd.DataFrame({"short_jpy_per_kwh": [25.0], "surplus_jpy_per_kwh": [5.0]}, index=index)
    hedged = hedged_net_kwh(index, np.array([100.0]), NEEDS, WEIGHTS, np.array([10.0]), prices)
    assert hedged.tolist() == [300.0]
    # symmetric (shortage 15, surplus 5 around spot 10): the median need, 200 kWh, stays where the plan put it
    prices = pd.DataFrame({"short_jpy_per_kwh": [15.0], "surplus_jpy_per_kwh": [5.0]}, index=index)
    assert hedged_net_kwh(index, np.array([200.0]), NEEDS, WEIGHTS, np.array([10.0]), prices).tolist() == [200.0]
