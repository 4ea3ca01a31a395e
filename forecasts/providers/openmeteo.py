"""Open-Meteo forecasts (https://open-meteo.com, CC BY 4.0, "Weather data by Open-Meteo.com").

``read_openmeteo`` parses a recorded response: the project's CSV layout of ``minutely_15`` blocks
(``scenarios/data/openmeteo_forecast_15min_sample.csv``: local time + utc_offset_s, km/h wind,
instantaneous GHI/DHI/DNI) or the API's JSON. ``get_openmeteo`` fetches a live forecast with httpx and a
time-out, then parses it with the same code. Radiation requested as ``*_instant`` is instantaneous; plain
radiation variables are means over the preceding interval and are moved to the interval midpoint.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd

from forecasts.weather import WEATHER_COLUMNS

logger = logging.getLogger(__name__)

API_URL = "https://api.open-meteo.com/v1/forecast"
KMH_TO_MS = 1.0 / 3.6
MINUTELY_15_VARIABLES = (
    "temperature_2m",
    "relative_humidity_2m",
    "rain",
    "cloud_cover",
    "wind_speed_10m",
    "shortwave_radiation_instant",
    "diffuse_radiation_instant",
    "direct_normal_irradiance_instant",
)
JSON_NAMES = {  # API variable -> (canonical column, scale, is an interval mean over the preceding step)
    "temperature_2m": ("temp_air_c", 1.0, False),
    "cloud_cover": ("cloud_cover_pct", 1.0, False),
    "wind_speed_10m": ("wind_speed_ms", KMH_TO_MS, False),
    "shortwave_radiation_instant": ("ghi_wm2", 1.0, False),
    "diffuse_radiation_instant": ("dhi_wm2", 1.0, False),
    "direct_normal_irradiance_instant": ("dni_wm2", 1.0, False),
    "shortwave_radiation": ("ghi_wm2", 1.0, True),
    "diffuse_radiation": ("dhi_wm2", 1.0, True),
    "direct_normal_irradiance": ("dni_wm2", 1.0, True),
}
CSV_NAMES = {"temp_air_c": 1.0, "cloud_cover_pct": 1.0, "ghi_wm2": 1.0, "dhi_wm2": 1.0, "dni_wm2": 1.0}


def _local_index(times: pd.Series | list[str], offset_s: pd.Series | np.ndarray) -> pd.DatetimeIndex:
    """Local wall-clock strings + UTC offset in seconds -> tz-aware UTC index."""
    naive = pd.DatetimeIndex(pd.to_datetime(pd.Series(times)))
    offsets = pd.to_timedelta(np.asarray(offset_s, dtype=float), unit="s")
    return pd.DatetimeIndex(naive - offsets).tz_localize("UTC").rename("time")


def _finish(frame: pd.DataFrame, latitude: float, longitude: float) -> pd.DataFrame:
    frame = frame.sort_index()
    frame.attrs = {
        "provider": "open-meteo",
        "latitude": latitude,
        "longitude": longitude,
        "columns": [c for c in WEATHER_COLUMNS if c in frame.columns],
    }
    return frame


def _read_csv(path: Path, latitude: float, longitude: float) -> pd.DataFrame:
    raw = pd.read_csv(path)
    required = {"time_local", "utc_offset_s"}
    if not required <= set(raw.columns):
        raise ValueError(f"{path}: an Open-Meteo CSV needs columns {sorted(required)}; it has {list(raw.columns)}")
    index = _local_index(raw["time_local"], raw["utc_offset_s"])
    frame = pd.DataFrame(index=index)
    for column, scale in CSV_NAMES.items():
        if column in raw:
            frame[column] = raw[column].to_numpy(dtype=float) * scale
    if "wind_speed_kmh" in raw:
        frame["wind_speed_ms"] = raw["wind_speed_kmh"].to_numpy(dtype=float) * KMH_TO_MS
    return _finish(frame, latitude, longitude)


def parse_openmeteo_json(payload: dict[str, Any]) -> pd.DataFrame:
    """Canonical weather frame from an Open-Meteo forecast JSON (its ``minutely_15`` or ``hourly`` block)."""
    block_name = next((b for b in ("minutely_15", "hourly") if b in payload), None)
    if block_name is None:
        raise ValueError("open-meteo: the response has neither 'minutely_15' nor 'hourly' data")
    block = payload[block_name]
    step = pd.Timedelta(minutes=15) if block_name == "minutely_15" else pd.Timedelta(hours=1)
    offset = payload.get("utc_offset_seconds", 0)
    index = _local_index(block["time"], np.full(len(block["time"]), offset))
    frame = pd.DataFrame(index=index)
    for name, (column, scale, is_mean) in JSON_NAMES.items():
        if name not in block or column in frame:
            continue
        values = pd.Series(np.asarray(block[name], dtype=float) * scale, index=index)
        if is_mean:  # mean over the preceding step: value at the step's midpoint, re-sampled to the labels
            shifted = values.set_axis(index - step / 2)
            values = shifted.reindex(shifted.index.union(index)).interpolate(method="time").reindex(index)
        frame[column] = values.to_numpy()
    return _finish(frame, float(payload.get("latitude", np.nan)), float(payload.get("longitude", np.nan)))


def read_openmeteo(path: str | Path, latitude: float = np.nan, longitude: float = np.nan) -> pd.DataFrame:
    """Read a recorded Open-Meteo response: ``.csv`` (project layout) or ``.json`` (the API's JSON).

    The CSV layout has no position: pass ``latitude``/``longitude`` (°) to record it in ``attrs``.
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        return parse_openmeteo_json(json.loads(path.read_text(encoding="utf-8")))
    if path.suffix.lower() == ".csv":
        return _read_csv(path, latitude, longitude)
    raise ValueError(f"{path}: expected a .csv or .json Open-Meteo recording")


HOURLY_VARIABLES = (
    "temperature_2m",
    "cloud_cover",
    "wind_speed_10m",
    "shortwave_radiation",
    "diffuse_radiation",
    "direct_normal_irradiance",
)


def fetch_openmeteo_json(
    latitude: float,
    longitude: float,
    timeout: float = 10.0,
    forecast_days: int = 3,
    client: httpx.Client | None = None,
    model: str | None = None,
) -> dict[str, Any]:
    """The raw Open-Meteo forecast JSON for a site (raises httpx errors on failure or time-out).

    ``model`` e.g. 'jma_seamless' (JMA's MSM/GSM): hourly variables (interval means over the preceding hour,
    moved to their midpoints by :func:`parse_openmeteo_json`); None: Open-Meteo's best match at 15 minutes.
    ``timeout`` in seconds bounds the whole request; ``client`` lets callers inject a transport (tests).
    """
    params: dict[str, str | float | int] = {
        "latitude": latitude,
        "longitude": longitude,
        "forecast_days": forecast_days,
        "timezone": "UTC",
    }
    if model is None:
        params["minutely_15"] = ",".join(MINUTELY_15_VARIABLES)
    else:
        params["hourly"] = ",".join(HOURLY_VARIABLES)
        params["models"] = model
    owned = client is None
    http = client or httpx.Client(timeout=timeout)
    try:
        response = http.get(API_URL, params=params, timeout=timeout)
        response.raise_for_status()
        payload: dict[str, Any] = response.json()
        logger.info("open-meteo forecast fetched for %.4f, %.4f (model %s)", latitude, longitude, model or "best")
        return payload
    finally:
        if owned:
            http.close()


def get_openmeteo(
    latitude: float,
    longitude: float,
    timeout: float = 10.0,
    forecast_days: int = 3,
    client: httpx.Client | None = None,
    model: str | None = None,
) -> pd.DataFrame:
    """Fetch an Open-Meteo forecast for a site (:func:`fetch_openmeteo_json`) and parse it into the canonical
    weather frame (raises httpx errors on failure/time-out)."""
    return parse_openmeteo_json(fetch_openmeteo_json(latitude, longitude, timeout, forecast_days, client, model))
