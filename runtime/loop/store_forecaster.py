"""The service's forecaster: PV per array with pvlib (clear sky, or the ``EMS_WEATHER_FILE`` weather) scaled by the
measured yield, and facility load by Japanese day type learned from stored telemetry. Power in kW on the 30-min
slot index (tz-aware, named by slot start)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from forecasts.correction import YieldCorrection
from forecasts.load import forecast_facility_load
from forecasts.pv import forecast_facility_pv
from forecasts.weather import weather_distance_km
from runtime.facades.forecasting import corrected_facility_pv, read_weather_file
from runtime.loop.service import Forecaster
from runtime.loop.weather import stored_weather
from runtime.store import readings
from runtime.store.db import Store
from runtime.store.records import ForecastInputs
from scenarios.device_identity import DeviceKind, asset_kinds
from scenarios.model import Facility, Scenario

log = logging.getLogger(__name__)


HISTORY_DAYS = 28
LOAD_SIGN = {DeviceKind.METER: 1.0, DeviceKind.PV: 1.0, DeviceKind.BATTERY: 1.0, DeviceKind.EV: -1.0}
"""Facility load = grid import + PV generation + battery discharge − EV charging (all kW, device signs)."""


def default_forecaster(
    scenario: Scenario,
    index: pd.DatetimeIndex,
    history: Mapping[str, pd.Series] | None = None,
    pv_history: Mapping[str, dict[str, pd.Series]] | None = None,
    weather: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """PV (pvlib: ``weather`` if given, else clear sky) and load forecasts in kW per supplied facility on `index`.

    ``history`` maps facility id -> measured load in kW per 30-min slot; with at least a day of it the load is
    the day-type profile of that history (forecasts.load), otherwise the scenario's load shape.
    ``pv_history`` maps facility id -> {array id: measured AC kW per slot}; with at least 3 days of it an
    array's forecast is scaled by its measured yield (clearest days against clear sky, forecasts.correction).
    Each frame's ``attrs`` record the inputs used (see :func:`pv_provenance`); the store keeps them per run.
    """
    frames = {}
    for f in scenario.supplied:
        measured = (pv_history or {}).get(f.id)
        corrections: dict[str, YieldCorrection] = {}
        if measured:
            pv, corrections = corrected_facility_pv(f, index, measured, weather)
        else:  # one shared sky for all arrays (forecasts.pv), no correction
            pv = forecast_facility_pv(f, index, weather)
        past = (history or {}).get(f.id)
        load = (
            forecast_facility_load(f, index, past)
            if f.load is not None or past is not None
            else pd.Series(0.0, index=index)
        )
        frame = pd.DataFrame({"pv": pv.to_numpy(dtype=float), "load": load.to_numpy(dtype=float)}, index=index)
        frame.attrs.update(pv_provenance(f, pv, corrections, weather, load_learned=past is not None).model_dump())
        frames[f.id] = frame
    return frames


def _learned(correction: YieldCorrection) -> bool:
    """True if the scale came from telemetry (not the 'no telemetry' / 'too few ...' default of 1)."""
    return not correction.reason.startswith(("no telemetry", "too few"))


def pv_provenance(
    facility: Facility,
    pv: pd.Series,
    corrections: Mapping[str, YieldCorrection],
    weather: pd.DataFrame | None,
    load_learned: bool = False,
) -> ForecastInputs:
    """What a facility's forecast was built on (the fields of :class:`~runtime.store.records.ForecastInputs`).

    pv_input: input tier of forecasts.sky.TIERS ('ghi_dni_dhi', 'ghi', 'cloud_cover', 'clear_sky'; 'none'
    without PV arrays); weather_missing: weather values missing while the sun was up (those slots fell back);
    weather_source: provider[:station] of the weather frame ('' without one); yield_corrected: any array
    scaled by a measured-yield correction; yield_scale: facility scale (kWp-weighted mean of the arrays',
    dimensionless); yield_scales: {array id: scale}; load_from_telemetry: load learned from stored telemetry;
    station_km: km from the weather's recorded position to the facility (None without weather or position).
    """
    source = ""
    if weather is not None:
        source = ":".join(str(weather.attrs[k]) for k in ("provider", "station") if weather.attrs.get(k))
    kwp = {a.id: a.kwp for a in facility.pv_arrays}
    scales = {a: corrections[a].scale if a in corrections else 1.0 for a in kwp}
    scale = sum(kwp[a] * scales[a] for a in kwp) / sum(kwp.values()) if kwp else 1.0
    return ForecastInputs(
        pv_input=str(pv.attrs.get("pv_input", "clear_sky")) if facility.pv_arrays else "none",
        weather_missing=bool(pv.attrs.get("weather_missing", False)) if facility.pv_arrays else False,
        weather_source=source if facility.pv_arrays else "",
        yield_corrected=any(_learned(c) for c in corrections.values()),
        yield_scale=float(scale),
        yield_scales={a: float(c.scale) for a, c in corrections.items()},
        load_from_telemetry=load_learned,
        station_km=weather_distance_km(weather, facility.latitude, facility.longitude) if facility.pv_arrays else None,
    )


def load_weather_file(spec: str | Path) -> pd.DataFrame:
    """The weather frame of the ``EMS_WEATHER_FILE`` setting: a path to an Open-Meteo CSV/JSON or a JMA hourly
    CSV; a multi-station JMA file takes the station after '#', e.g. ``jma.csv#Hiroshima``."""
    path, _, station = str(spec).partition("#")
    try:
        return read_weather_file(path, station or None)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"EMS_WEATHER_FILE: no file at {path}; give an Open-Meteo CSV/JSON or a JMA "
            "hourly CSV, or unset it for clear sky"
        ) from None


def device_history(store: Store, facility: Facility, end: dt.datetime, days: int = HISTORY_DAYS) -> pd.DataFrame:
    """Mean ``power_kw`` per 30-min slot (rows, UTC slot starts) and device id (columns) of one facility in the
    `days` before `end`, from the stored aggregates (device signs as in the devices package)."""
    aggs = readings.aggregates_between(
        store, end - dt.timedelta(days=days), end, facility_id=facility.id, point="power_kw"
    )
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
    kinds = asset_kinds(facility)
    grid = {m.id for m in facility.meters if m.role == "grid"}
    used = [d for d in table.columns if d in grid or kinds.get(d) in (DeviceKind.PV, DeviceKind.BATTERY, DeviceKind.EV)]
    if not any(d in grid for d in used):
        return None
    rows = table[used].dropna()
    signs = pd.Series({d: LOAD_SIGN[kinds[d]] for d in used})
    load = (rows * signs).sum(axis=1).clip(lower=0.0)
    return load.rename("load_kw") if len(load) else None


def array_pv_history(facility: Facility, table: pd.DataFrame) -> dict[str, pd.Series]:
    """Measured AC kW per slot of each PV array that reports (device id = array id)."""
    return {a.id: table[a.id].dropna() for a in facility.pv_arrays if a.id in table.columns}


def store_forecaster(store: Store, weather_file: str | Path | None = None, live_weather: bool = False) -> Forecaster:
    """The default forecaster with each supplied facility's load and PV yield learned from its stored telemetry
    (the aggregates of the last HISTORY_DAYS days before the horizon's first slot).

    ``weather_file`` (the ``EMS_WEATHER_FILE`` setting, see :func:`load_weather_file`) is re-read on every run,
    so a file refreshed by a fetch job is picked up; if it cannot be read the run logs a warning and uses
    clear sky (recorded as pv_input 'clear_sky', weather_missing true). ``live_weather`` (the
    ``EMS_WEATHER_FETCH`` setting): without a weather file, each run uses the newest weather forecast the service
    fetched and stored (``runtime.loop.weather``), clear sky while none is stored.
    """
    if weather_file is not None:
        load_weather_file(weather_file)  # fail at start-up with a clear message, not at the first forecast

    def forecaster(scenario: Scenario, index: pd.DatetimeIndex) -> dict[str, pd.DataFrame]:
        weather, failed = None, False
        if weather_file is not None:
            try:
                weather = load_weather_file(weather_file)
            except (OSError, ValueError) as exc:
                log.warning("weather file %s unreadable, forecasting clear sky: %s", weather_file, exc)
                failed = True
        elif live_weather:
            weather = stored_weather(store)
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
        frames = default_forecaster(scenario, index, load, pv, weather)
        if failed:
            for frame in frames.values():
                frame.attrs["weather_missing"] = frame.attrs["pv_input"] != "none"
        return frames

    forecaster.__name__ = "store_forecaster"
    return forecaster
