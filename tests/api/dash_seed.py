# mypy: allow-untyped-defs, allow-incomplete-defs
"""A 'tiny' store seeded with figures worked out by hand for the dashboard's tests (TEST_NOW = 2024-06-10 12:10
JST): live readings, two plans, settled imbalances (two today, one yesterday), events, an override request and
one day of 30-min history for 'centre'. EXPECT holds what the pages must show."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from service_fixtures import TEST_NOW

from runtime.store import journal, plans, readings
from runtime.store.models import Aggregate
from runtime.store.readings import ReadingIn
from runtime.store.records import PlanInputsSummary, PlanSlotIn, SlackEntry

UTC = dt.UTC
V1_START = dt.datetime(2024, 6, 10, 1, 0, tzinfo=UTC)  # 10:00 JST
V2_START = dt.datetime(2024, 6, 10, 3, 0, tzinfo=UTC)  # 12:00 JST: the current slot (now 12:10)
SETTLED = (  # slot start UTC, planned kWh, actual kWh, cost JPY
    (dt.datetime(2024, 6, 9, 14, 30, tzinfo=UTC), 10.0, 13.0, 100.0),  # 23:30 JST yesterday
    (dt.datetime(2024, 6, 10, 2, 0, tzinfo=UTC), 12.0, 14.0, 30.0),  # 11:00 JST
    (dt.datetime(2024, 6, 10, 2, 30, tzinfo=UTC), 12.0, 11.0, -10.0),  # 11:30 JST
)
HISTORY_DAY = "2024-06-09"
HISTORY = (  # (device, slot start UTC, kW) on 2024-06-09 JST
    ("m1", dt.datetime(2024, 6, 8, 15, 0, tzinfo=UTC), 10.0),  # 00:00 JST
    ("m1", dt.datetime(2024, 6, 8, 15, 30, tzinfo=UTC), 20.0),  # 00:30 JST
    ("pv1", dt.datetime(2024, 6, 9, 3, 0, tzinfo=UTC), 8.0),  # 12:00 JST
)
UNSETTLED_SLOT = dt.datetime(2024, 6, 10, 1, 30, tzinfo=UTC)  # 10:30 JST: metered but not settled
UNSETTLED = (("centre", "m1", 7.0), ("office", "m1", 8.0), ("centre", "pv1", 99.0))  # PV is not a grid meter
EXPECT = {
    # live totals: grid 10 + 20 + 5, PV 6 + 4, battery 1.5 discharging, EV 3 charging
    "grid_kw": 35.0,
    "pv_kw": 10.0,
    "battery_kw": 1.5,
    "ev_kw": 3.0,
    "facilities_kw": 35.0 + 10.0 + 1.5 - 3.0,
    # gate closure 60 min: the slots 12:00 and 12:30 were fixed at 11:00 and 11:30, before v2 (made 11:55), so v1
    # binds them; 13:00 (closure 12:00) is fixed at v2; from 13:30 v2 may still change.
    "fixed_versions": {"12:00": 1, "12:30": 1, "13:00": 2, "13:30": None},
    # the current slot binds v1: plant 20, buy 4, sell 0 -> planned demand 24, deviation 35 - 24
    "planned_grid_kw": 24.0,
    "deviation_kw": 11.0,
    # money: v1's JEPX buy 4 kW x 0.5 h x 12 JPY/kWh = 24 JPY in each of today's two settled slots; imbalance
    # 30 - 10; the rest of the day (12:00-24:00, 24 slots): 12:00 and 12:30 in v1 (24 JPY each), the 22 others in
    # v2: 10 x 0.5 x 10 - 2 x 0.5 x (10 - 0.5) = 40.5 each
    "jepx_so_far": 48.0,
    "imbalance_so_far": 20.0,
    "so_far": 68.0,
    "planned": 2 * 24.0 + 22 * 40.5,
    "day_total": 68.0 + 48.0 + 891.0,
    # supply page: the three settled slots of the last 24 h
    "imbalance_kwh": 3.0 + 2.0 - 1.0,
    "imbalance_jpy": 120.0,
    # SoC plan of centre/bat1 from 0.5 of 16.4 kWh, 1.9 kW discharge then charge, efficiencies 0.95:
    # 8.2 - 1.9 / 0.95 x 0.5 = 7.2 kWh (43.902 %), 7.2 + 1.9 x 0.95 x 0.5 = 8.1025 kWh (49.405 %)
    "soc_pct": [7.2 / 16.4 * 100, 8.1025 / 16.4 * 100],
    # history of centre on 2024-06-09: grid 10 and 20 kW in two slots = 15 kWh, PV 8 kW in one slot = 4 kWh
    "history_meter_kwh": 15.0,
    "history_pv_kwh": 4.0,
}


def _plan(start: dt.datetime, buy: float, sell: float, price: float, created: dt.datetime, **extra):
    rows = [
        PlanSlotIn(
            (start + k * dt.timedelta(minutes=30)),
            plant_kw=20.0,
            jepx_buy_kw=buy,
            jepx_sell_kw=sell,
            load_kw=26.0,
            price_jpy_per_kwh=price,
        )
        for k in range(96)
    ]
    return plans.PlanIn(
        start, start + dt.timedelta(hours=48), "optimal", rows, solver_status="optimal", created_at=created, **extra
    )


def seed(store) -> dict[str, int]:
    """Store the figures above; returns the ids the tests need."""
    now = TEST_NOW
    live = [
        ReadingIn(now, "centre", "pv1", "power_kw", 6.0),
        ReadingIn(now, "centre", "bat1", "power_kw", 1.5),
        ReadingIn(now, "centre", "bat1", "soc", 0.6),
        ReadingIn(now, "centre", "m1", "power_kw", 10.0),
        ReadingIn(now, "office", "v2h1", "power_kw", 3.0),
        ReadingIn(now, "office", "m1", "power_kw", 20.0),
        ReadingIn(now, "school", "pv1", "power_kw", 4.0),
        ReadingIn(now, "school", "m1", "power_kw", 5.0),
    ]
    readings.write_readings(store, live)
    v1 = plans.save_plan(store, _plan(V1_START, 4.0, 0.0, 12.0, V1_START - dt.timedelta(minutes=5)))
    summary = PlanInputsSummary(
        facilities=3,
        batteries=1,
        slots=96,
        termination="optimal",
        mip_gap=0.001,
        solve_s=0.25,
        notes=["JEPX chugoku FY2024 <recorded>"],
        rung="solve",
        battery_soc={"centre/bat1": 0.5},
    )
    slack = [
        SlackEntry(
            kind="shelter_reserve",
            subject="centre",
            slot=V2_START,
            shortfall=1.5,
            unit="kWh",
            penalty_jpy=1050.0,
            reason="battery at its floor",
        )
    ]
    v2 = plans.save_plan(
        store,
        _plan(
            V2_START,
            10.0,
            2.0,
            10.0,
            V2_START - dt.timedelta(minutes=5),
            inputs_summary=summary,
            slack_report=slack,
            cost_breakdown={"energy": 1234.0, "wheeling": 100.0, "penalty_reserve": 1050.0},
            setpoints={"centre": {"bat1": [1.9, -1.9] + [0.0] * 94}},
        ),
    )
    for t, planned, actual, cost in SETTLED:
        journal.save_imbalance(store, t, v1.id, planned, actual, 12.0, cost)
    alarm = journal.raise_event(store, "plan_fallback_safe", "safe plan <b>in force</b>", severity="alarm", ts=now)
    journal.raise_event(store, "stale_readings", "centre/bat1 stale", facility_id="centre", ts=now)
    journal.raise_event(store, "override_requested", "office note", severity="info", facility_id="office", ts=now)
    request = journal.add_override(store, "centre", "bat1", "setpoint_kw", 2.0, "mgr", "requested", "peak shaving")
    with store.session() as session:
        for device, t, kw in HISTORY:
            session.add(
                Aggregate(
                    slot_start=t,
                    facility_id="centre",
                    device_id=device,
                    point="power_kw",
                    mean=kw,
                    minimum=kw,
                    maximum=kw,
                    count=3,
                )
            )
        for facility, device, kw in UNSETTLED:
            session.add(
                Aggregate(
                    slot_start=UNSETTLED_SLOT,
                    facility_id=facility,
                    device_id=device,
                    point="power_kw",
                    mean=kw,
                    minimum=kw,
                    maximum=kw,
                    count=3,
                )
            )
    return {"v1": v1.id, "v2": v2.id, "alarm": alarm.id, "override": request.id}


def history_cost_jpy(scenario) -> float:
    """Grid cost of centre's seeded history day at the spot prices the page uses (JPY)."""
    from runtime.loop.prices import price_series

    index = pd.date_range(pd.Timestamp(HISTORY_DAY, tz="Asia/Tokyo"), periods=48, freq="30min")
    prices, _ = price_series(scenario, index)
    return 10.0 * 0.5 * float(prices.iloc[0]) + 20.0 * 0.5 * float(prices.iloc[1])
