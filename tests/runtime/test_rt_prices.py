# mypy: allow-untyped-defs, allow-incomplete-defs
"""The live service's price lookback works for any date: recorded prices inside the shipped data (FY2023-FY2024),
the same weekday a whole number of weeks away, nearest the same calendar date, outside it; and a loop iteration in
2035 plans on them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import service_fixtures
from service_fixtures import FakeTelemetry, make_service

from runtime.loop.dispatch import dispatch
from runtime.loop.forecast import forecast
from runtime.loop.optimise import optimise
from runtime.loop.poll import poll
from runtime.loop.prices import price_series, proxy_weeks
from runtime.loop.scheduler import LoopScheduler
from runtime.loop.settle import settle_previous
from runtime.store import journal, plans
from scenarios.datasets import jepx_prices
from scenarios.loader import load_scenario

sqlite_store = service_fixtures.sqlite_store
TINY = load_scenario("tiny")


def _index(start: str, slots: int = 96) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(start, tz="Asia/Tokyo"), periods=slots, freq="30min")


def _recorded(start: str, slots: int = 96) -> np.ndarray:
    index = _index(start, slots)
    return jepx_prices(index[0], index[-1] + pd.Timedelta("30min")).to_numpy()


def test_proxy_weeks_keep_the_calendar_date_within_half_a_week() -> None:
    # 52 weeks = 364 d falls 1.24 d a year behind the calendar; whole weeks nearest y x 365.2425 d never stray
    # more than 3.5 d: 10 years = 3652.4 d -> 522 weeks = 3654 d (1.6 d off; 520 weeks would be 12.4 d off)
    assert [proxy_weeks(y) for y in (1, 2, 3, 10, 11, -3)] == [52, 104, 157, 522, 574, -157]
    assert all(abs(proxy_weeks(y) * 7 - y * 365.2425) <= 3.5 for y in range(-50, 200))


def test_recorded_day_gets_its_own_prices() -> None:
    price, note = price_series(TINY, _index("2024-06-10 00:00"))
    assert note == "JEPX chugoku"
    np.testing.assert_array_equal(price.to_numpy(), _recorded("2024-06-10 00:00"))


def test_2035_gets_the_most_recent_recorded_year_same_weekday() -> None:
    # Monday 2035-06-11 minus 11 years = 574 weeks (4018 d) is Monday 2024-06-10; 10 years (522 weeks) back would
    # be 2025-06-09, after the data ends (2025-03-31), so 11 is the most recent recorded year
    price, note = price_series(TINY, _index("2035-06-11 12:00"))
    assert note == "JEPX chugoku proxy: same weekday 574 weeks earlier"
    np.testing.assert_array_equal(price.to_numpy(), _recorded("2024-06-10 12:00"))
    assert price.index[0] == pd.Timestamp("2035-06-11 12:00", tz="Asia/Tokyo")


def test_before_the_data_looks_forward_and_the_system_price_area_is_kept() -> None:
    # Monday 2020-08-03 plus 3 years = 157 weeks (1099 d) is Monday 2023-08-07, inside the data
    price, note = price_series(TINY, _index("2020-08-03 00:00"), area="system")
    assert note == "JEPX system proxy: same weekday 157 weeks later"
    index = _index("2023-08-07 00:00")
    expected = jepx_prices(index[0], index[-1] + pd.Timedelta("30min"), area="system").to_numpy()
    np.testing.assert_array_equal(price.to_numpy(), expected)


def test_horizon_over_the_end_of_the_data_takes_the_year_before() -> None:
    # 2025-03-31 20:00 + 48 h runs past the last recorded slot (2025-03-31 23:30): 52 weeks earlier, 2024-04-01
    price, note = price_series(TINY, _index("2025-03-31 20:00"))
    assert note == "JEPX chugoku proxy: same weekday 52 weeks earlier"
    np.testing.assert_array_equal(price.to_numpy(), _recorded("2024-04-01 20:00"))


def test_no_recorded_year_covers_a_horizon_longer_than_the_data() -> None:
    with pytest.raises(ValueError, match=r"price: no recorded JEPX chugoku prices cover 2035-01-01T00:00:00\+09:00"):
        price_series(TINY, _index("2035-01-01 00:00", slots=3 * 365 * 48))


async def test_a_loop_iteration_in_2035(sqlite_store) -> None:
    now = pd.Timestamp("2035-06-11 12:10", tz="Asia/Tokyo").to_pydatetime()
    devices = FakeTelemetry()
    svc = make_service(sqlite_store, "tiny", telemetry=devices, clock=lambda: now)
    assert await poll(svc, now) == 5  # battery soc + power, three meters
    assert forecast(svc, now) > 0
    plan = optimise(svc, now)  # the real optimiser (HiGHS) on the proxy prices
    assert plan.kind == "optimal", [e.message for e in journal.list_events(svc.store)]
    assert plan.inputs_summary.rung == "solve"
    assert "JEPX chugoku proxy: same weekday 574 weeks earlier" in plan.inputs_summary.notes
    slots = plans.plan_slots(svc.store, plan.id)
    assert slots[0].slot_start == pd.Timestamp("2035-06-11 12:00", tz="Asia/Tokyo")
    np.testing.assert_array_equal([s.price_jpy_per_kwh for s in slots], _recorded("2024-06-10 12:00"))
    audit = await dispatch(svc, now)
    assert {(a.facility_id, a.device_id) for a in audit} == {("centre", "bat1"), ("office", "v2h1")}
    assert all(a.ok and a.source == "optimal" for a in audit)
    assert devices.writes[("centre", "bat1")] == plan.setpoints["centre"]["bat1"][0]
    # the next slot settles this one against the plan (made inside the slot, so the newest before its end)
    for minutes in (0, 10, 19):
        await poll(svc, now + dt.timedelta(minutes=minutes))
    imbalance = settle_previous(svc, now + dt.timedelta(minutes=21))
    assert imbalance is not None
    assert imbalance.plan_id == plan.id
    assert imbalance.actual_kwh == pytest.approx((10.0 + 20.0 + 0.0) * 0.5)  # the fake meters' 30 kW for 0.5 h
    # the scheduler reads the service's clock: an hour on, every step is overdue (on the wall clock, years
    # before 2035, none would be)
    svc.clock = lambda: now + dt.timedelta(hours=1)
    assert LoopScheduler(svc).overdue() == ["poll", "forecast", "optimise", "dispatch"]
