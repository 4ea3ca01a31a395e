"""Pure helpers of the dashboard, by hand: map projection and scale, autonomy colours, chart descriptions, the JSON
block's escaping, the day's money across the JST day boundary, the SoC path."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from api.dashboard.chart_spec import Series, sankey, slot_labels, time_chart
from api.dashboard.facility_data import soc_path
from api.dashboard.map_data import KM_PER_DEG_LAT, autonomy_state, projection
from api.dashboard.money import day_money
from api.dashboard.templating import json_block
from runtime.store.models import Imbalance, PlanSlot
from scenarios.assets import Battery


def test_projection_keeps_kilometres_equal_on_both_axes():
    proj = projection([(131.0, 34.0), (131.1, 34.1)])
    lat = 34.05
    x0, y0 = proj.xy(131.05, lat)
    _, y_north = proj.xy(131.05, lat + 1 / KM_PER_DEG_LAT)  # 1 km north
    x_east, _ = proj.xy(131.05 + 1 / (KM_PER_DEG_LAT * math.cos(math.radians(lat))), lat)  # 1 km east
    assert y0 - y_north == pytest.approx(proj.px_per_km)
    assert x_east - x0 == pytest.approx(proj.px_per_km)
    assert proj.xy(131.0, 34.1) == (40.0, 40.0)  # the north-west corner at the margins
    with pytest.raises(ValueError, match="no facility coordinates"):
        projection([])


@pytest.mark.parametrize(
    ("hours", "plan_hours", "state"), [(None, 24, "none"), (24.0, 24, "full"), (30.0, 72, "day"), (5.0, 72, "short")]
)
def test_autonomy_state(hours, plan_hours, state):
    assert autonomy_state(hours, plan_hours) == state


def test_chart_descriptions():
    t0 = dt.datetime(2024, 6, 9, 15, 0, tzinfo=dt.UTC)
    labels = slot_labels([t0, t0 + dt.timedelta(minutes=30)])
    assert labels == ["06/10 00:00", "06/10 00:30"]  # JST, with the date
    chart = time_chart(labels, [Series("a", "bar", "#000", [1.23456, float("nan")])], "kW")
    assert chart["series"][0]["data"] == [1.235, None]
    with pytest.raises(ValueError, match="series 'b': 1 values for 2 slots"):
        time_chart(labels, [Series("b", "line", "#000", [1.0])], "kW")
    flow = sankey([("PV", "Load", 3.0), ("Grid", "Load", 0.01), ("Load", "EV", 1.0)], "kW")
    assert flow["nodes"] == [{"name": "PV"}, {"name": "Load"}, {"name": "EV"}]  # the 0.01 kW link is dropped
    assert [link["value"] for link in flow["links"]] == [3.0, 1.0]


def test_json_block_cannot_be_closed_by_data():
    block = str(json_block("x", {"note": "</script><script>alert(1)</script> & more"}))
    assert block.count("</script>") == 1
    assert "\\u003c/script\\u003e" in block
    assert "\\u0026" in block


def _slot(t, buy, sell, price):
    return PlanSlot(slot_start=t, jepx_buy_kw=buy, jepx_sell_kw=sell, price_jpy_per_kwh=price)


def test_day_money_counts_today_only():
    now = dt.datetime(2024, 6, 10, 14, 50, tzinfo=dt.UTC)  # 23:50 JST: one slot left today
    today = dt.datetime(2024, 6, 10, 14, 0, tzinfo=dt.UTC)  # 23:00 JST
    yesterday = dt.datetime(2024, 6, 9, 14, 30, tzinfo=dt.UTC)  # 23:30 JST the day before
    settled = [
        Imbalance(slot_start=today, plan_id=7, cost_jpy=10.0),
        Imbalance(slot_start=yesterday, plan_id=7, cost_jpy=999.0),
    ]
    old = {7: [_slot(today, 2.0, 0.0, 10.0), _slot(yesterday, 100.0, 0.0, 10.0)]}
    current = dt.datetime(2024, 6, 10, 14, 30, tzinfo=dt.UTC)  # 23:30 JST
    tomorrow = dt.datetime(2024, 6, 10, 15, 0, tzinfo=dt.UTC)  # 00:00 JST the next day
    plan = [_slot(current, 0.0, 4.0, 20.0), _slot(tomorrow, 100.0, 0.0, 20.0)]
    money = day_money(now, settled, old.__getitem__, plan, 0.5)
    assert money.settled_slots == 1
    assert money.jepx_so_far_jpy == 2.0 * 0.5 * 10.0
    assert money.imbalance_so_far_jpy == 10.0
    assert money.planned_slots == 1
    assert money.jepx_planned_jpy == -4.0 * 0.5 * 19.5  # a sale earns spot minus the discount
    assert money.day_total_jpy == 10.0 + 10.0 - 39.0


def test_soc_path_applies_the_efficiencies():
    battery = Battery(
        id="b",
        capacity_kwh=10.0,
        charge_kw=5,
        discharge_kw=5,
        charge_efficiency=0.9,
        discharge_efficiency=0.8,
        modbus={"port": 1},
    )
    path = soc_path(battery, 0.5, [4.0, -4.0, 0.0])
    assert path == pytest.approx([(5.0 - 4.0 / 0.8 * 0.5) / 10, (2.5 + 4.0 * 0.9 * 0.5) / 10, 0.43])
