"""The forecast step: PV and load forecasts (kW) per supplied facility over the rolling horizon, stored as a run.

The forecaster is the service's pluggable part (by default ``runtime.loop.store_forecaster``); each run records,
per facility, the inputs its forecast was built on (``runtime.store.journal.save_forecast``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping

import pandas as pd

from forecasts.weather import DEFAULT_MAX_STATION_KM
from runtime.loop.horizon import horizon_index
from runtime.loop.service import Service
from runtime.store import journal
from runtime.store.records import ForecastRunSummary


def warn_distant_weather(svc: Service, frames: Mapping[str, pd.DataFrame]) -> None:
    """An event (once while it lasts) when the weather's position is beyond DEFAULT_MAX_STATION_KM of a PV
    facility: its clouds pass at other times and its sun culminates at another time (Tokyo: 33 min earlier)."""
    far = {
        fid: float(km)
        for fid, frame in frames.items()
        if (km := frame.attrs.get("station_km")) is not None and float(km) > DEFAULT_MAX_STATION_KM
    }
    if not far:
        svc.clear_alert("weather_distant")
        return
    worst = max(far, key=lambda f: far[f])
    source = frames[worst].attrs.get("weather_source") or "the weather file"
    svc.alert_once(
        "weather_distant",
        "weather_distant",
        f"weather {source} is {far[worst]:.0f} km from {worst} ({len(far)} PV facilities beyond "
        f"{DEFAULT_MAX_STATION_KM:.0f} km): its clouds and solar noon are another place's; give weather for the city",
    )


def forecast(svc: Service, now: dt.datetime) -> int:
    """Forecast PV and load (kW) per facility over the horizon and store the run; returns its id."""
    started = time.perf_counter()
    index, _ = horizon_index(now)
    frames = svc.forecaster(svc.scenario, index)
    warn_distant_weather(svc, frames)
    run_id = journal.save_forecast(
        svc.store,
        getattr(svc.forecaster, "__name__", "forecaster"),
        frames,
        ForecastRunSummary(start=index[0].to_pydatetime(), slots=len(index), facilities=len(frames)),
    )
    journal.mark_job(svc.store, "forecast", now, True, f"run {run_id}")
    svc.timed("forecast", started, True)
    return run_id
