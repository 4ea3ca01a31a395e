# mypy: allow-untyped-defs, allow-incomplete-defs
"""The market day on /supply (TestClient, tiny scenario, hand-written market files of market_seed): the intraday
trades and the submitted 需要調達計画 equal /api/v1/market/days/{day}; the plan file downloads byte for byte;
operators only (the disaster office sees the page without the market, a manager gets 403); the day choice."""

from __future__ import annotations

import datetime as dt
import re

import market_seed
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from service_fixtures import add_users, login, make_service

from api.app import create_app
from api.dashboard.market_section import choose_day
from runtime.store.db import open_store


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('dash-market') / 'ems.db'}")
    add_users(store)
    svc = make_service(store)
    folder = tmp_path_factory.mktemp("market")
    plan_path = market_seed.write(folder, svc.scenario.market.operations)
    svc.settings = svc.settings.model_copy(update={"market_dir": folder})
    with TestClient(create_app(svc)) as c:
        c.users = {name: login(c, name) for name in ("op", "mgr", "disaster")}
        c.cookies.clear()
        c.plan_path = plan_path
        yield c
    store.dispose()


def cells(html: str, row_class: str, cell_class: str) -> list[str]:
    rows = re.findall(rf'<tr class="{row_class}"[^>]*>(.*?)</tr>', html, re.S)
    return [re.search(rf'<td class="{cell_class}">([^<]*)<', r).group(1) for r in rows]  # type: ignore[union-attr]


def test_trades_and_plan_values_equal_the_api(client) -> None:
    op = client.users["op"]
    api = client.get("/api/v1/market/days/2024-06-10", headers=op).json()
    html = client.get("/supply?lang=en", headers=op).text
    assert 'id="market-day" data-day="2024-06-10"' in html  # today (JST) is the default day
    trades = [float(v) for v in cells(html, "trade-row", "trade")]
    assert trades == [t["trade_kwh"] for t in api["intraday"]] == [t[1] for t in market_seed.TRADES]
    prices = [float(v) for v in cells(html, "trade-row", "price")]
    assert prices == [t["price_jpy_per_kwh"] for t in api["intraday"]] == [11.5, 12.25, 13.5]
    total = re.search(r'id="trades-total">([^<]*)<', html).group(1)  # type: ignore[union-attr]
    assert f"bought {market_seed.BOUGHT_KWH:,.1f} kWh, sold {market_seed.SOLD_KWH:,.1f} kWh (3 trades)" in total
    assert len(api["plan"]) == 48
    for column in ("demand_kwh", "intraday_purchase_kwh", "intraday_sale_kwh", "open_kwh"):
        shown = [int(v) for v in cells(html, "plan-value-row", column)]
        assert shown == [p[column] for p in api["plan"]], column
        assert shown == [int(v) for v in market_seed.plan_frame()[column]], column
    assert 'href="/supply/plan-file/2024-06-10"' in html


def test_plan_file_downloads_as_written(client) -> None:
    op = client.users["op"]
    response = client.get("/supply/plan-file/2024-06-10", headers=op)
    assert response.status_code == 200
    assert response.content == client.plan_path.read_bytes()
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, as submitted
    assert client.plan_path.name in response.headers["content-disposition"]
    missing = client.get("/supply/plan-file/2024-06-11", headers=op)  # bid made, plan not written yet
    assert missing.status_code == 404
    assert client.get("/supply/plan-file/2024-06-10", headers=client.users["disaster"]).status_code == 403


def test_next_day_before_its_plan(client) -> None:
    html = client.get("/supply?day=2024-06-11&lang=en", headers=client.users["op"]).text
    assert 'data-day="2024-06-11"' in html
    assert 'id="no-trades"' in html
    assert 'id="no-plan-values"' in html
    assert "plan-value-row" not in html


def test_market_is_for_operators_only(client) -> None:
    html = client.get("/supply", headers=client.users["disaster"]).text
    assert 'id="supply-chart"' in html
    assert 'id="market' not in html
    assert client.get("/supply", headers=client.users["mgr"]).status_code == 403


def test_choose_day() -> None:
    days = [dt.date(2024, 6, 9), dt.date(2024, 6, 10), dt.date(2024, 6, 11), dt.date(2024, 6, 13)]
    today = dt.date(2024, 6, 10)
    assert choose_day(days, today, None) == today
    assert choose_day(days, today, dt.date(2024, 6, 13)) == dt.date(2024, 6, 13)
    assert choose_day(days, today, dt.date(2024, 6, 12)) == today  # no bid that day: the default
    assert choose_day(days[2:], today, None) == dt.date(2024, 6, 11)  # tomorrow's plan, due today
    assert choose_day(days[3:], today, None) is None
    assert choose_day([], today, None) is None


def test_view_is_read_again_when_a_file_changes(client, tmp_path) -> None:
    from api.dashboard.market_section import cached_view
    from runtime.market.files import MarketFiles

    ops = client.app.state.service.scenario.market.operations
    market_seed.write(tmp_path, ops)
    files = MarketFiles(tmp_path)
    first = cached_view(files, market_seed.DAY, ops)
    assert cached_view(files, market_seed.DAY, ops) is first  # unchanged files: the same view
    extra = pd.DataFrame(
        {"trade_kwh": [50.0], "buy_price": [9.0], "sell_price": [8.0], "expected_total_jpy": [450.0]},
        index=pd.DatetimeIndex([pd.Timestamp("2024-06-10T20:00+09:00")]),
    )
    files.append_intraday(market_seed.DAY, extra, pd.Timestamp("2024-06-10T12:05+09:00"))
    again = cached_view(files, market_seed.DAY, ops)
    assert again is not first
    assert [t.trade_kwh for t in again.intraday] == [*(t[1] for t in market_seed.TRADES), 50.0]
