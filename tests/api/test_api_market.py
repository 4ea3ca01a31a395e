# mypy: allow-untyped-defs, allow-incomplete-defs
"""/api/v1/market: the market day's files, read-only, operators only (one Yamaguchi day on the shipped data)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import service_fixtures
from fastapi.testclient import TestClient
from service_fixtures import add_users, login, make_service

from api.app import create_app
from runtime.market.run import run_market_day, write_market_day
from scenarios.loader import load_builtin

sqlite_store = service_fixtures.sqlite_store
DAY = dt.date(2024, 7, 1)


@pytest.fixture(scope="module")
def market_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("market")
    run = run_market_day(load_builtin("yamaguchi"), DAY)
    write_market_day(run, folder)
    return folder, run


@pytest.fixture
def client(sqlite_store, market_folder):
    add_users(sqlite_store)
    svc = make_service(sqlite_store, "yamaguchi")
    svc = dataclasses.replace(svc, settings=svc.settings.model_copy(update={"market_dir": market_folder[0]}))
    with TestClient(create_app(svc)) as c:
        yield c


def test_operator_reads_the_day(client, market_folder) -> None:
    run = market_folder[1]
    headers = login(client, "op")
    assert client.get("/api/v1/market/days", headers=headers).json() == ["2024-07-01"]
    body = client.get("/api/v1/market/days/2024-07-01", headers=headers).json()
    assert body["balancing_group"] == "YGE0001"
    assert len(body["bid"]) == len(run.bid.bid.steps)
    assert body["bid"][0]["slot_start"] == "2024-07-01T00:00:00+09:00"
    assert len(body["fill"]) == 48
    assert sum(s["sold_kwh"] for s in body["fill"]) == pytest.approx(run.fill.frame["sold_kwh"].sum())
    assert [s["jepx_slot"] for s in body["plan"]] == list(range(1, 49))
    assert sum(s["open_kwh"] for s in body["plan"]) == int(run.values.frame["open_kwh"].sum())
    traded = run.intraday["trade_kwh"]
    assert len(body["intraday"]) == int((traded != 0).sum())


def test_other_roles_and_unknown_days_are_refused(client) -> None:
    for user in ("mgr", "disaster"):
        response = client.get("/api/v1/market/days", headers=login(client, user))
        assert response.status_code == 403
        assert "operator" in response.json()["detail"]
    headers = login(client, "op")
    missing = client.get("/api/v1/market/days/2024-07-02", headers=headers)
    assert missing.status_code == 404
    assert "2024-07-02" in missing.json()["detail"]
    assert client.get("/api/v1/market/days/2024-13-01", headers=headers).status_code == 422
    client.cookies.clear()  # the logins set a session cookie
    assert client.get("/api/v1/market/days").status_code == 401
