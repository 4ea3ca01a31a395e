"""The forecast step: PV and load forecasts (kW) per supplied facility over the rolling horizon, stored as a run.

The forecaster is the service's pluggable part (by default ``runtime.loop.store_forecaster``); each run records,
per facility, the inputs its forecast was built on (``runtime.store.journal.save_forecast``).
"""

from __future__ import annotations

import datetime as dt
import time

from runtime.loop.horizon import horizon_index
from runtime.loop.service import Service
from runtime.store import journal
from runtime.store.records import ForecastRunSummary


def forecast(svc: Service, now: dt.datetime) -> int:
    """Forecast PV and load (kW) per facility over the horizon and store the run; returns its id."""
    started = time.perf_counter()
    index, _ = horizon_index(now)
    frames = svc.forecaster(svc.scenario, index)
    run_id = journal.save_forecast(
        svc.store,
        getattr(svc.forecaster, "__name__", "forecaster"),
        frames,
        ForecastRunSummary(start=index[0].to_pydatetime(), slots=len(index), facilities=len(frames)),
    )
    journal.mark_job(svc.store, "forecast", now, True, f"run {run_id}")
    svc.timed("forecast", started, True)
    return run_id
