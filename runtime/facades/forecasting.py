"""The forecast step of the runtime: scenario-wide PV/load forecasts and the recorded-data backtests.

Thin glue between ``scenarios`` and ``forecasts`` for the CLI and the service loop: it picks data, calls
the forecasters, and returns plain results. Units: kW, kWh; slots are 30 min named by their start (JST).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from forecasts import suite
from forecasts.correction import YieldCorrection, apply_yield_correction, fit_clear_day_correction
from forecasts.load import critical_load_kw, forecast_facility_load
from forecasts.providers import read_jma_csv, read_openmeteo
from forecasts.pv import forecast_array_pv, forecast_facility
from forecasts.report import plot_skill
from forecasts.sky import TIERS
from forecasts.weather import station_distance
from scenarios.model import Facility, Scenario
from scenarios.timegrid import SLOT_HOURS, TZ, day_slots

logger = logging.getLogger(__name__)

BACKTESTS = suite.BACKTESTS
EMHASS_SITE_TZ = "Europe/Paris"  # the EMHASS author's home (undocumented; probably France)


@dataclass(frozen=True)
class FacilityDay:
    """One facility's forecast summary for a day: PV energy kWh, PV peak kW (slot mean), load kWh."""

    facility_id: str
    name: str
    pv_kwp: float
    pv_kwh: float
    pv_peak_kw: float
    load_kwh: float
    pv_input: str
    weather_missing: bool


@dataclass(frozen=True)
class ScenarioForecast:
    """Per-slot forecasts of a scenario (columns = facility ids, kW) and per-facility summaries."""

    index: pd.DatetimeIndex
    pv_kw: pd.DataFrame
    load_kw: pd.DataFrame
    critical_kw: pd.DataFrame
    summaries: list[FacilityDay] = field(default_factory=list)

    def long_table(self) -> pd.DataFrame:
        """One row per (slot, facility): slot_start (JST ISO), facility_id, pv_kw, load_kw, critical_kw."""
        parts = {"pv_kw": self.pv_kw, "load_kw": self.load_kw, "critical_kw": self.critical_kw}
        stacked = pd.concat({k: v.stack() for k, v in parts.items()}, axis=1)
        stacked.index.names = ["slot_start", "facility_id"]
        return stacked.reset_index()


def forecast_scenario(
    scenario: Scenario, index: pd.DatetimeIndex, weather: dict[str, pd.DataFrame] | None = None
) -> ScenarioForecast:
    """PV, load and critical-load forecasts for every facility on ``index`` (weather per facility id, optional)."""
    pv, load, critical, summaries = {}, {}, {}, []
    for facility in scenario.facilities:
        _, result = forecast_facility(facility, index, (weather or {}).get(facility.id))
        pv[facility.id] = result.ac_kw.to_numpy()
        load[facility.id] = forecast_facility_load(facility, index).to_numpy()
        critical[facility.id] = critical_load_kw(facility, index).to_numpy()
        summaries.append(
            FacilityDay(
                facility_id=facility.id,
                name=facility.name_ja,
                pv_kwp=facility.pv_kwp,
                pv_kwh=float(result.ac_kw.sum() * SLOT_HOURS),
                pv_peak_kw=float(result.ac_kw.max()),
                load_kwh=float(load[facility.id].sum() * SLOT_HOURS),
                pv_input=result.source,
                weather_missing=result.any_missing,
            )
        )
    return ScenarioForecast(
        index,
        pd.DataFrame(pv, index=index),
        pd.DataFrame(load, index=index),
        pd.DataFrame(critical, index=index),
        summaries,
    )


def corrected_facility_pv(
    facility: Facility, index: pd.DatetimeIndex, measured: dict[str, pd.Series], weather: pd.DataFrame | None = None
) -> tuple[pd.Series, dict[str, YieldCorrection]]:
    """Facility PV in kW with each monitored array's forecast scaled by its measured yield.

    ``measured`` maps array id -> measured AC kW per slot (tz-aware, past days). Arrays without telemetry
    keep scale 1. Returns the corrected total ('pv_kw') and the correction used per array. The total's
    ``attrs`` record the input: 'pv_input' (best tier of any array, see forecasts.sky.TIERS),
    'weather_missing' (bool) and 'yield_scale' ({array id: scale}).
    """
    total = pd.Series(0.0, index=index, name="pv_kw")
    used: dict[str, YieldCorrection] = {}
    tiers: list[str] = []
    missing = False
    for array in facility.pv_arrays:
        forecast = forecast_array_pv(array, facility, index, weather)
        tiers.append(str(forecast.attrs.get("pv_input", "clear_sky")))
        missing = missing or bool(forecast.attrs.get("weather_missing", False))
        history = measured.get(array.id)
        if history is None or history.dropna().empty:
            used[array.id] = YieldCorrection(1.0, 0, "no telemetry")
        else:
            clear = forecast_array_pv(array, facility, pd.DatetimeIndex(history.index))
            used[array.id] = fit_clear_day_correction(history, clear)
        total = total + apply_yield_correction(forecast, used[array.id], limit_kw=array.inverter_kw).to_numpy()
    total.attrs = {
        "pv_input": next((t for t in TIERS if t in tiers), "clear_sky"),
        "weather_missing": missing,
        "yield_scale": {a: c.scale for a, c in used.items()},
    }
    return total, used


def read_weather_file(path: str | Path, station: str | None = None) -> pd.DataFrame:
    """A recorded weather file: a JMA hourly CSV (has a 'station' column) or an Open-Meteo CSV/JSON."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"--weather: no file at {path}")
    if path.suffix.lower() == ".csv" and "station" in pd.read_csv(path, nrows=0).columns:
        return read_jma_csv(path, station)
    return read_openmeteo(path)


def weather_label(weather: pd.DataFrame) -> str:
    """provider[:station] of a weather frame, e.g. 'jma:Hiroshima'."""
    return ":".join(str(weather.attrs[k]) for k in ("provider", "station") if weather.attrs.get(k)) or "weather"


def distance_warnings(scenario: Scenario, weather: pd.DataFrame) -> list[str]:
    """One warning per distinct message for the scenario's PV facilities whose weather is beyond
    forecasts.weather.DEFAULT_MAX_STATION_KM (the farthest facility's sentence, which names the km and the
    solar-noon shift); empty if the weather records no position or is near every facility."""
    worst = None
    for facility in scenario.facilities:
        if not facility.pv_arrays:
            continue
        found = station_distance(weather, facility.latitude, facility.longitude)
        if found is not None and found.warning and (worst is None or found.distance_km > worst.distance_km):
            worst = found
    return [worst.warning] if worst is not None and worst.warning else []


def forecast_scenario_day(scenario: Scenario, day: dt.date, weather: pd.DataFrame | None = None) -> ScenarioForecast:
    """PV (clear sky, or ``weather`` for every facility) and shape-based load for the 48 slots of a JST day."""
    per_facility = {f.id: weather for f in scenario.facilities} if weather is not None else None
    return forecast_scenario(scenario, day_slots(day), per_facility)


def write_forecast_csv(result: ScenarioForecast, out_dir: str | Path, stem: str) -> Path:
    """Write the long table to ``out_dir/stem.csv`` (timestamps ISO 8601 with +09:00); returns the path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{stem}.csv"
    table = result.long_table()
    table["slot_start"] = pd.DatetimeIndex(table["slot_start"]).tz_convert(TZ).map(pd.Timestamp.isoformat)
    table.to_csv(path, index=False, float_format="%.4f")
    logger.info("forecast written to %s", path)
    return path


def run_backtest(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pairs, score table) of one named backtest of BACKTESTS on the shipped recorded data
    (``forecasts.suite``: skill against persistence, and against smart persistence or the day-type profile)."""
    return suite.run_backtest(name)


def run_backtests(
    names: tuple[str, ...] = BACKTESTS,
    plot_path: str | Path | None = None,
) -> tuple[dict[str, pd.DataFrame], Path | None]:
    """Score tables by lead for each named backtest, and the skill plot written to ``plot_path`` if given."""
    tables = {name: run_backtest(name)[1] for name in names}
    path = plot_skill(tables, plot_path) if plot_path is not None else None
    return tables, path
