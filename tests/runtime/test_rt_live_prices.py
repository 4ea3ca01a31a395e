# mypy: allow-untyped-defs, allow-incomplete-defs
"""The live service plans on today's published JEPX prices from a configured spot file or URL (the exchange's own
layout, read by forecasts.providers), the recorded/proxy series for slots not yet published, and falls back to the
recorded series with one event when the source fails. Files are built from the shipped prices (shifted to the test
day and raised by 100 JPY/kWh so they cannot be mistaken for the proxy); HTTP uses a recorded response."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import service_fixtures
from service_fixtures import make_service

from forecasts.providers.jepx_spot import AREAS, area_column
from runtime.loop.optimise import build_request
from runtime.loop.prices import price_series
from runtime.settings import Settings
from runtime.store import journal
from scenarios.datasets import jepx_prices

sqlite_store = service_fixtures.sqlite_store
NOW = dt.datetime(2026, 12, 1, 0, 10, tzinfo=dt.timezone(dt.timedelta(hours=9)))


def spot_file(day: str, prices: np.ndarray) -> bytes:
    """One delivery day in JEPX's spot_summary layout (Shift_JIS); every area column holds `prices`."""
    header = ["受渡日", "時刻コード", "売り入札量(kWh)", "買い入札量(kWh)", "約定総量(kWh)", "システムプライス(円/kWh)"]
    header += [area_column(a) for a in AREAS]
    rows = [",".join(header)]
    for k, price in enumerate(prices, start=1):
        rows.append(",".join([day, str(k), "", "", "", f"{price:.2f}", *[f"{price:.2f}"] * len(AREAS)]))
    return ("\r\n".join(rows) + "\r\n").encode("cp932")


def published_today() -> np.ndarray:
    shipped = jepx_prices(pd.Timestamp("2024-12-03", tz="Asia/Tokyo"), pd.Timestamp("2024-12-04", tz="Asia/Tokyo"))
    return shipped.to_numpy() + 100.0


def with_source(svc, source: str, client: httpx.Client | None = None):
    settings = Settings(poll_interval_s=10, jepx_spot_source=source, jepx_timeout_s=2.0)
    return dataclasses.replace(svc, settings=settings, http_client=client)


def test_plans_on_todays_published_prices_and_proxies_the_rest(sqlite_store, tmp_path: Path):
    path = tmp_path / "spot_summary_2026.csv"
    path.write_bytes(spot_file("2026/12/01", published_today()))
    svc = with_source(make_service(sqlite_store), str(path))
    request = build_request(svc, NOW)
    today = request.index[request.index < pd.Timestamp("2026-12-02", tz="Asia/Tokyo")]
    np.testing.assert_allclose(request.price[today].to_numpy(), published_today()[-len(today) :])
    proxy, _ = price_series(svc.scenario, request.index)
    tomorrow = request.index >= pd.Timestamp("2026-12-02", tz="Asia/Tokyo")
    np.testing.assert_allclose(request.price[tomorrow].to_numpy(), proxy[tomorrow].to_numpy())
    assert f"published for {len(today)} of {len(request.index)} slots" in request.notes[0]
    assert journal.list_events(sqlite_store, kind="price_source_failed") == []


def test_failing_source_falls_back_with_one_event(sqlite_store):
    failing = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(503)))
    svc = with_source(make_service(sqlite_store), "https://jepx.example/spot_summary_{fiscal_year}.csv", failing)
    request = build_request(svc, NOW)
    proxy, _ = price_series(svc.scenario, request.index)
    np.testing.assert_allclose(request.price.to_numpy(), proxy.to_numpy())
    assert "published prices unavailable" in request.notes[0]
    build_request(svc, NOW)
    events = journal.list_events(sqlite_store, kind="price_source_failed")
    assert len(events) == 1  # once while it keeps failing
    assert "503" in events[0].message


def test_url_source_parses_the_recorded_response(sqlite_store):
    body = spot_file("2026/12/01", published_today())
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=body)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    svc = with_source(make_service(sqlite_store), "https://jepx.example/spot_summary_{fiscal_year}.csv", client)
    request = build_request(svc, NOW)
    assert seen == ["https://jepx.example/spot_summary_2026.csv"]  # December 2026 is in FY2026
    assert request.price.iloc[0] == published_today()[0]
