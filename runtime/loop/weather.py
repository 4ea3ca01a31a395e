"""The weather step: fetch Open-Meteo's JMA forecast for the city (``forecasts.providers.fetch_openmeteo_json``
with a time-out) and store it with its issue time; the forecaster then uses the newest stored forecast.

Fallbacks, each with an event while it lasts: a failed fetch keeps the last stored forecast
('weather_fetch_failed'); with nothing stored the PV forecast is clear sky ('weather_clear_sky').
"""

from __future__ import annotations

import datetime as dt
import time

import httpx
import pandas as pd

from forecasts.providers import fetch_openmeteo_json, parse_openmeteo_json
from runtime.loop.service import Service
from runtime.store import journal
from runtime.store.db import Store
from scenarios.model import Scenario

MODEL = "jma_seamless"
PROVIDER = f"open-meteo:{MODEL}"


def city_position(scenario: Scenario) -> tuple[float, float]:
    """Mean latitude and longitude (degrees) of the scenario's PV facilities (all facilities if none has PV)."""
    sites = [f for f in scenario.facilities if f.pv_arrays] or list(scenario.facilities)
    return sum(f.latitude for f in sites) / len(sites), sum(f.longitude for f in sites) / len(sites)


def fetch_weather(svc: Service, now: dt.datetime) -> int | None:
    """Fetch and store the city's weather forecast; returns the stored id, or None if the fetch failed."""
    started = time.perf_counter()
    latitude, longitude = city_position(svc.scenario)
    try:
        payload = fetch_openmeteo_json(
            latitude, longitude, svc.settings.weather_timeout_s, client=svc.http_client, model=MODEL
        )
        parse_openmeteo_json(payload)  # refuse a malformed response before storing it
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        kept = journal.latest_weather(svc.store)
        if kept is None:
            svc.alert_once(
                "weather_clear_sky", "weather_clear_sky", f"weather fetch failed ({exc}); no stored forecast: clear sky"
            )
        else:
            svc.alert_once(
                "weather_fetch_failed",
                "weather_fetch_failed",
                f"weather fetch failed ({exc}); using the forecast issued {kept.issued_at.isoformat()}",
            )
        journal.mark_job(svc.store, "weather", now, False, str(exc)[:200])
        svc.timed("weather", started, False)
        return None
    row_id = journal.save_weather(svc.store, now, PROVIDER, latitude, longitude, payload)
    svc.clear_alert("weather_fetch_failed")
    svc.clear_alert("weather_clear_sky")
    journal.mark_job(svc.store, "weather", now, True, f"weather {row_id}")
    svc.timed("weather", started, True)
    return row_id


def stored_weather(store: Store) -> pd.DataFrame | None:
    """The newest stored weather forecast as the canonical weather frame (attrs: provider, position, issued_at)."""
    row = journal.latest_weather(store)
    if row is None:
        return None
    frame = parse_openmeteo_json(row.payload)
    frame.attrs.update(provider=row.provider, latitude=row.latitude, longitude=row.longitude)
    frame.attrs["issued_at"] = row.issued_at.isoformat()
    return frame
