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
from runtime.forecasting import corrected_facility_pv
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
                       history: Mapping[str, pd.Series] | None = None,
                       pv_history: Mapping[str, dict[str, pd.Series]] | None = None) -> dict[str, pd.DataFrame]:
    """PV (clear-sky/pvlib) and load forecasts in kW per supplied facility on `index`.

    ``history`` maps facility id -> measured load in kW per 30-min slot; with at least a day of it the load is
    the day-type profile of that history (forecasts.load), otherwise the scenario's load shape.
    ``pv_history`` maps facility id -> {array id: measured AC kW per slot}; with at least 3 days of it an
    array's forecast is scaled by its measured yield (clearest days against clear sky, forecasts.correction).
    """
    frames = {}
    for f in scenario.supplied:
        measured = (pv_history or {}).get(f.id)
        if measured:
            pv, _ = corrected_facility_pv(f, index, measured)
        else:
            pv = forecast_facility_pv(f, index) if f.pv_arrays else pd.Series(0.0, index=index)
        past = (history or {}).get(f.id)
        load = forecast_facility_load(f, index, past) if f.load is not None or past is not None \
            else pd.Series(0.0, index=index)
        frames[f.id] = pd.DataFrame({"pv": pv.to_numpy(dtype=float), "load": load.to_numpy(dtype=float)}, index=index)
    return frames


def device_history(store: Store, facility: Facility, end: dt.datetime, days: int = HISTORY_DAYS) -> pd.DataFrame:
    """Mean ``power_kw`` per 30-min slot (rows, UTC slot starts) and device id (columns) of one facility in the
    `days` before `end`, from the stored aggregates (device signs as in the devices package)."""
    aggs = readings.aggregates_between(store, end - dt.timedelta(days=days), end, facility_id=facility.id,
                                       point="power_kw")
    if not aggs:
        return pd.DataFrame()
    table = pd.DataFrame([(a.slot_start, a.device_id, a.mean) for a in aggs], columns=["slot", "device", "kw"])
    table = table.pivot_table(index="slot", columns="device", values="kw", aggfunc="mean")
    table.index = pd.DatetimeIndex(table.index).tz_convert("UTC")
    return table


def facility_load_history(facility: Facility, table: pd.DataFrame) -> pd.Series | None:
    """Measured load of a facility in kW per slot from its :func:`device_history` table.

    Grid meters (+ import) + PV (+ generation) + batteries (+ discharge) − EV chargers (+ charging), clipped
    at 0. A slot counts only if every device of the facility that reports at all has a value in it. None
    without grid-meter data.
    """
    kinds = status.device_kinds(facility)
    grid = {m.id for m in facility.meters if m.role == "grid"}
    used = [d for d in table.columns if d in grid or kinds.get(d) in ("pv", "battery", "ev")]
    if not any(d in grid for d in used):
        return None
    rows = table[used].dropna()
    signs = pd.Series({d: LOAD_SIGN[kinds[d]] for d in used})
    load = (rows * signs).sum(axis=1).clip(lower=0.0)
    return load.rename("load_kw") if len(load) else None


def array_pv_history(facility: Facility, table: pd.DataFrame) -> dict[str, pd.Series]:
    """Measured AC kW per slot of each PV array that reports (device id = array id)."""
    return {a.id: table[a.id].dropna() for a in facility.pv_arrays if a.id in table.columns}


def store_forecaster(store: Store) -> Forecaster:
    """The default forecaster with each supplied facility's load and PV yield learned from its stored telemetry
    (the aggregates of the last HISTORY_DAYS days before the horizon's first slot)."""
    def forecaster(scenario: Scenario, index: pd.DatetimeIndex) -> dict[str, pd.DataFrame]:
        end = pd.Timestamp(index[0]).to_pydatetime()
        load: dict[str, pd.Series] = {}
        pv: dict[str, dict[str, pd.Series]] = {}
        for f in scenario.supplied:
            table = device_history(store, f, end)
            if table.empty:
                continue
            if (h := facility_load_history(f, table)) is not None:
                load[f.id] = h
            pv[f.id] = array_pv_history(f, table)
        return default_forecaster(scenario, index, load, pv)

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
