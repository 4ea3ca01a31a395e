# mypy: allow-untyped-defs, allow-incomplete-defs
"""The service fetches Open-Meteo's JMA forecast (recorded responses only, injected HTTP transport and clock),
stores it with its issue time and forecasts PV on it; a failed fetch keeps the last stored forecast, and with none
stored the PV forecast is clear sky, each with one event."""

from __future__ import annotations

import dataclasses
import datetime as dt

import httpx
import pandas as pd
import service_fixtures
from service_fixtures import make_service

from runtime.loop.forecast import forecast
from runtime.loop.store_forecaster import store_forecaster
from runtime.loop.weather import fetch_weather
from runtime.settings import Settings
from runtime.store import journal
from scenarios.datasets import data_path

sqlite_store = service_fixtures.sqlite_store
NOW = dt.datetime(2025, 2, 25, 0, 10, tzinfo=dt.UTC)


def recorded_hourly() -> dict[str, object]:
    """An Open-Meteo hourly JSON rebuilt from the recorded 15-min sample (every 4th row, 72 hours)."""
    raw = pd.read_csv(data_path("openmeteo_forecast_15min_sample.csv")).iloc[::4]
    times = (pd.to_datetime(raw["time_local"]) - pd.to_timedelta(raw["utc_offset_s"], unit="s")).dt.strftime(
        "%Y-%m-%dT%H:%M"
    )
    return {
        "latitude": 34.16,
        "longitude": 131.46,
        "utc_offset_seconds": 0,
        "hourly": {
            "time": times.tolist(),
            "temperature_2m": raw["temp_air_c"].tolist(),
            "cloud_cover": raw["cloud_cover_pct"].tolist(),
            "wind_speed_10m": raw["wind_speed_kmh"].tolist(),
            "shortwave_radiation": raw["ghi_wm2"].tolist(),
            "diffuse_radiation": raw["dhi_wm2"].tolist(),
            "direct_normal_irradiance": raw["dni_wm2"].tolist(),
        },
    }


def service_with(store, handler):
    svc = make_service(store)
    settings = Settings(poll_interval_s=10, weather_fetch=True, weather_timeout_s=2.0)
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return dataclasses.replace(
        svc, settings=settings, http_client=client, forecaster=store_forecaster(store, live_weather=True)
    )


def test_fetch_stores_with_issue_time_and_the_forecast_uses_it(sqlite_store):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=recorded_hourly())

    svc = service_with(sqlite_store, handler)
    assert fetch_weather(svc, NOW) is not None
    assert "models=jma_seamless" in str(seen[0].url)
    assert seen[0].extensions["timeout"]["read"] == 2.0
    stored = journal.latest_weather(sqlite_store)
    assert stored is not None
    assert stored.issued_at == NOW
    assert stored.provider == "open-meteo:jma_seamless"
    inputs = journal.forecast_inputs(sqlite_store, forecast(svc, NOW))
    assert inputs["centre"].pv_input == "ghi_dni_dhi"
    assert inputs["centre"].weather_source == "open-meteo:jma_seamless"


def test_failed_fetch_keeps_the_last_forecast_then_clear_sky(sqlite_store):
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return httpx.Response(200, json=recorded_hourly())
        raise httpx.ConnectTimeout("timed out", request=request)

    svc = service_with(sqlite_store, handler)
    fetch_weather(svc, NOW)
    assert fetch_weather(svc, NOW + dt.timedelta(hours=1)) is None
    assert fetch_weather(svc, NOW + dt.timedelta(hours=2)) is None
    failed = journal.list_events(sqlite_store, kind="weather_fetch_failed")
    assert len(failed) == 1  # once while it keeps failing
    assert "issued 2025-02-25T00:10" in failed[0].message
    inputs = journal.forecast_inputs(sqlite_store, forecast(svc, NOW + dt.timedelta(hours=2)))
    assert inputs["centre"].pv_input == "ghi_dni_dhi"  # the last stored forecast is still used


def test_nothing_stored_and_failing_means_clear_sky_with_an_event(sqlite_store):
    svc = service_with(sqlite_store, lambda r: httpx.Response(503))
    assert fetch_weather(svc, NOW) is None
    assert len(journal.list_events(sqlite_store, kind="weather_clear_sky")) == 1
    inputs = journal.forecast_inputs(sqlite_store, forecast(svc, NOW))
    assert inputs["centre"].pv_input == "clear_sky"


def test_the_scheduler_runs_the_fetch_only_when_enabled(sqlite_store):
    from runtime.loop.scheduler import LoopScheduler

    svc = service_with(sqlite_store, lambda r: httpx.Response(503))
    assert LoopScheduler(svc).jobs()["weather"][2] == 3600.0
    assert "weather" not in LoopScheduler(make_service(sqlite_store)).jobs()
