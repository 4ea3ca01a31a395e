"""The market-day jobs of the live loop on the Yamaguchi scenario and the shipped JEPX data, called directly at
the times a day needs (bid 09:30, 計画値 11:30, intraday 12:05/12:35 JST the day before delivery)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from service_fixtures import make_service, sqlite_store  # noqa: F401

from optimizer.market.clearing import clear_bid
from runtime.loop.market import delivery_day, market_bid, market_intraday, market_plan
from runtime.loop.service import Service
from runtime.market.files import MarketFiles
from runtime.market.plan_values import read_plan_values
from runtime.settings import Settings
from runtime.store import journal
from scenarios.datasets import jepx_prices
from scenarios.timegrid import TZ, day_slots

DAY = dt.date(2024, 7, 1)


def jst(text: str) -> dt.datetime:
    return pd.Timestamp(text, tz=TZ).to_pydatetime()


def market_service(store, folder: Path) -> Service:
    svc = make_service(store, "yamaguchi")
    settings = svc.settings.model_copy(update={"market_enabled": True, "market_dir": folder})
    return dataclasses.replace(svc, settings=settings)


def test_delivery_day_is_tomorrow_in_jst() -> None:
    assert delivery_day(dt.datetime(2024, 6, 30, 15, 30, tzinfo=dt.UTC)) == dt.date(2024, 7, 2)  # 00:30 JST 1 July


def test_a_day_bid_plan_and_intraday(sqlite_store, tmp_path: Path) -> None:  # noqa: F811
    svc = market_service(sqlite_store, tmp_path)
    files = MarketFiles(tmp_path)
    assert market_bid(svc, jst("2024-06-30 09:30")) == files.path("bid", DAY)
    assert market_bid(svc, jst("2024-06-30 09:45")) is None  # idempotent
    bid = files.read_bid(DAY, 50.0)
    assert bid.steps
    assert all(s.quantity_kwh % 50 == 0 for s in bid.steps)
    (event,) = journal.list_events(sqlite_store, kind="market_bid")
    assert event.ts == jst("2024-06-30 09:30")

    path = market_plan(svc, jst("2024-06-30 11:30"))
    assert path is not None
    assert path.name == "demand_procurement_YGE0001_20240701.csv"
    real = jepx_prices(pd.Timestamp(DAY, tz=TZ), pd.Timestamp(DAY + dt.timedelta(days=1), tz=TZ))
    expected = clear_bid(bid, real)
    assert np.allclose(files.read_fill(DAY).net_kwh, expected.net_kwh)
    table = read_plan_values(path)
    assert table["調達_スポット(kWh)"].sum() == int(expected.frame["bought_kwh"].sum())
    assert table["販売_スポット(kWh)"].sum() == int(expected.frame["sold_kwh"].sum())

    first = market_intraday(svc, jst("2024-06-30 12:05"))
    assert first > 0  # 14 slots on this day: the plan on the real prices differs from the fill
    traded = files.traded_kwh(DAY, day_slots(DAY))
    assert int(np.count_nonzero(traded)) == first
    assert market_intraday(svc, jst("2024-06-30 12:35")) == 0  # the same forecasts: the position is already best
    assert journal.job_runs(sqlite_store)["market_intraday"].last_run == jst("2024-06-30 12:35")


def test_missed_deadline_and_plan_without_bid_raise_alarms(sqlite_store, tmp_path: Path) -> None:  # noqa: F811
    svc = market_service(sqlite_store, tmp_path)
    assert market_bid(svc, jst("2024-07-01 10:05")) is None
    (missed,) = journal.list_events(sqlite_store, kind="market_bid_missed")
    assert "2024-07-02" in missed.message
    assert market_plan(svc, jst("2024-07-01 11:30")) is None
    (alarm,) = journal.list_events(sqlite_store, kind="market_plan_without_bid")
    assert alarm.severity == "alarm"
    assert not journal.job_runs(sqlite_store)["market_plan"].last_ok


def test_market_jobs_only_when_enabled(sqlite_store, tmp_path: Path) -> None:  # noqa: F811
    from runtime.loop.scheduler import LoopScheduler

    assert not {"market_bid", "market_plan", "market_intraday"} & set(LoopScheduler(make_service(sqlite_store)).jobs())
    jobs = LoopScheduler(market_service(sqlite_store, tmp_path)).jobs()
    bid, plan, intraday = (jobs[name][1] for name in ("market_bid", "market_plan", "market_intraday"))
    after = pd.Timestamp("2024-06-30 00:00", tz=TZ).to_pydatetime()
    assert bid.get_next_fire_time(None, after) == jst("2024-06-30 09:30")
    assert plan.get_next_fire_time(None, after) == jst("2024-06-30 11:30")
    assert intraday.get_next_fire_time(None, after) == jst("2024-06-30 00:05")


def test_market_settings_from_the_environment(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EMS_MARKET_ENABLED", "true")
    monkeypatch.setenv("EMS_MARKET_DIR", str(tmp_path))
    monkeypatch.setenv("EMS_MARKET_BID_AT", "09:45")
    settings = Settings(mode="development")
    assert (settings.market_enabled, settings.market_dir, settings.market_bid_at) == (True, tmp_path, "09:45")
    monkeypatch.setenv("EMS_MARKET_PLAN_AT", "24:00")
    with pytest.raises(ValidationError, match="market_plan_at"):
        Settings(mode="development")
