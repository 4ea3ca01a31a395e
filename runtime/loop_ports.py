"""Default parts plugged into the loop: the forecaster (forecasts package, load learned from stored telemetry)
and the planner (optimizer via runtime.loop_planner). Power in kW on the 30-min slot index (tz-aware, named by
slot start)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

import pandas as pd

from forecasts.load import forecast_facility_load
from forecasts.pv import forecast_facility_pv
from runtime import loop_planner
from runtime.loop import Forecaster, Planner, Service, Telemetry
from runtime.settings import Settings
from runtime.store import readings, status
from runtime.store.db import Store
from scenarios.model import Facility, Scenario

log = logging.getLogger(__name__)


HISTORY_DAYS = 28
LOAD_SIGN = {"meter": 1.0, "pv": 1.0, "battery": 1.0, "ev": -1.0}
"""Facility load = grid import + PV generation + battery discharge − EV charging (all kW, device signs)."""


def default_forecaster(scenario: Scenario, index: pd.DatetimeIndex,
                       history: Mapping[str, pd.Series] | None = None) -> dict[str, pd.DataFrame]:
    """PV (clear-sky/pvlib) and load forecasts in kW per supplied facility on `index`.

    ``history`` maps facility id -> measured load in kW per 30-min slot; with at least a day of it the load is
    the day-type profile of that history (forecasts.load), otherwise the scenario's load shape.
    """
    frames = {}
    for f in scenario.supplied:
        pv = forecast_facility_pv(f, index) if f.pv_arrays else pd.Series(0.0, index=index)
        past = (history or {}).get(f.id)
        load = forecast_facility_load(f, index, past) if f.load is not None or past is not None \
            else pd.Series(0.0, index=index)
        frames[f.id] = pd.DataFrame({"pv": pv.to_numpy(dtype=float), "load": load.to_numpy(dtype=float)}, index=index)
    return frames


def facility_load_history(store: Store, facility: Facility, end: dt.datetime,
                          days: int = HISTORY_DAYS) -> pd.Series | None:
    """Measured load of a facility in kW per 30-min slot (UTC index, slot starts) in the `days` before `end`.

    From the stored 30-min aggregates of ``power_kw``: grid meters (+ import) + PV (+ generation) + batteries
    (+ discharge) − EV chargers (+ charging), clipped at 0. A slot counts only if every device of the facility
    that reports at all has an aggregate in it. None without grid-meter data.
    """
    aggs = readings.aggregates_between(store, end - dt.timedelta(days=days), end, facility_id=facility.id,
                                       point="power_kw")
    kinds = status.device_kinds(facility)
    grid = {m.id for m in facility.meters if m.role == "grid"}
    rows = [(a.slot_start, a.device_id, a.mean) for a in aggs
            if a.device_id in grid or (kinds.get(a.device_id) in LOAD_SIGN and kinds.get(a.device_id) != "meter")]
    if not any(device in grid for _, device, _ in rows):
        return None
    table = pd.DataFrame(rows, columns=["slot", "device", "kw"]).pivot_table(
        index="slot", columns="device", values="kw", aggfunc="mean").dropna()
    signs = pd.Series({d: LOAD_SIGN[kinds[d]] for d in table.columns})
    load = (table * signs).sum(axis=1).clip(lower=0.0)
    load.index = pd.DatetimeIndex(load.index).tz_convert("UTC")
    return load.rename("load_kw") if len(load) else None


def store_forecaster(store: Store) -> Forecaster:
    """The default forecaster with each supplied facility's load learned from its stored telemetry (the
    aggregates of the last HISTORY_DAYS days before the horizon's first slot)."""
    def forecaster(scenario: Scenario, index: pd.DatetimeIndex) -> dict[str, pd.DataFrame]:
        end = pd.Timestamp(index[0]).to_pydatetime()
        history = {f.id: h for f in scenario.supplied if (h := facility_load_history(store, f, end)) is not None}
        return default_forecaster(scenario, index, history)

    forecaster.__name__ = "store_forecaster"
    return forecaster


def default_planner() -> Planner:
    """The optimiser (Pyomo + HiGHS rolling planner) behind the loop's Planner interface."""
    return loop_planner.plan


def build_service(settings: Settings, scenario: Scenario, store: Store, telemetry: Telemetry | None) -> Service:
    """A Service with the default forecaster and planner; ensures the initial operator account exists."""
    from runtime.security import ensure_user

    ensure_user(store, settings.admin_user, settings.admin_password.get_secret_value(), "operator")
    return Service(settings, scenario, store, telemetry, store_forecaster(store), default_planner())
