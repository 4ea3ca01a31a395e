"""Default parts plugged into the loop: the forecaster (forecasts package) and the planner (optimizer via
runtime.loop_planner). Power in kW on the 30-min slot index (tz-aware, named by slot start)."""

from __future__ import annotations

import logging

import pandas as pd

from forecasts.load import forecast_facility_load
from forecasts.pv import forecast_facility_pv
from runtime import loop_planner
from runtime.loop import Planner, Service, Telemetry
from runtime.settings import Settings
from runtime.store.db import Store
from scenarios.model import Scenario

log = logging.getLogger(__name__)


def default_forecaster(scenario: Scenario, index: pd.DatetimeIndex) -> dict[str, pd.DataFrame]:
    """PV (clear-sky/pvlib) and load forecasts in kW per supplied facility on `index`."""
    frames = {}
    for f in scenario.supplied:
        pv = forecast_facility_pv(f, index) if f.pv_arrays else pd.Series(0.0, index=index)
        load = forecast_facility_load(f, index) if f.load is not None else pd.Series(0.0, index=index)
        frames[f.id] = pd.DataFrame({"pv": pv.to_numpy(dtype=float), "load": load.to_numpy(dtype=float)}, index=index)
    return frames


def default_planner() -> Planner:
    """The optimiser (Pyomo + HiGHS rolling planner) behind the loop's Planner interface."""
    return loop_planner.plan


def build_service(settings: Settings, scenario: Scenario, store: Store, telemetry: Telemetry | None) -> Service:
    """A Service with the default forecaster and planner; ensures the initial operator account exists."""
    from runtime.security import ensure_user

    ensure_user(store, settings.admin_user, settings.admin_password.get_secret_value(), "operator")
    return Service(settings, scenario, store, telemetry, default_forecaster, default_planner())
