"""The backtests on the shipped recorded data, by name: what was measured on what.

- ``jma_hiroshima_ghi`` / ``jma_fukuoka_ghi``: measured hourly GHI (JMA, Aug-Nov 2025). No weather forecast
  was recorded for these stations, so the weather-forecast models are *constructed*
  (``nwp_constructed``: measured kt + AR(1) error fitted on the EMHASS recorded forecast's errors,
  :mod:`forecasts.backtest_nwp`): they show the blend's mechanics, not a real forecast's skill.
- ``emhass_pv``: one home's measured 30-min PV year with the PV forecast its EMHASS recorded (a real
  forecast, issue time not recorded: assumed known at every issue) as ``recorded`` / ``recorded_blend``.
- ``emhass_load``: the same home's measured load (probably France; no temperature shipped, so the load
  model uses the recent days only), on the Japanese clock by its Paris wall time.
- ``jepx_volume_tokyo``: a real, temperature-driven 30-min demand-like series with a real temperature
  record: JEPX spot contracted volume (whole market, average MW per slot) for 2024 with JMA Tokyo's 2024
  hourly air temperature (Tokyo is the largest demand centre). Not a facility: it tests whether the
  degree-hour terms help on real data.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from forecasts.backtest import clear_sky_envelope, ghi_backtest, hourly_ghi, pv_backtest
from forecasts.backtest_load import load_backtest, relabel_wall_time
from forecasts.backtest_nwp import KtErrorAR1, constructed_weather_kt, fit_kt_error_ar1
from forecasts.providers import read_jma_csv
from scenarios.datasets import JEPX_FILE, JMA_FILES, data_path, emhass_load_pv, jma_weather

BACKTESTS = ("jma_hiroshima_ghi", "jma_fukuoka_ghi", "emhass_pv", "emhass_load", "jepx_volume_tokyo")
EMHASS_SITE_TZ = "Europe/Paris"  # the EMHASS author's home (undocumented; probably France)
CONSTRUCTED_SEED = 2025


@lru_cache(maxsize=1)
def recorded_forecast_error() -> KtErrorAR1:
    """AR(1) model of the EMHASS recorded PV forecast's clear-sky-index error against the measured PV."""
    measured = emhass_load_pv()
    index = pd.date_range(measured.index.min().floor("D"), measured.index.max(), freq="30min")
    pv = measured["pv_kw"].reindex(index)
    clear = clear_sky_envelope(pv.fillna(0.0))
    daylight = clear > 0.05 * float(np.nanpercentile(pv, 99.9))
    kt_actual = (pv / clear).where(daylight).clip(upper=1.5)
    kt_forecast = (measured["pv_forecast_kw"].clip(lower=0.0).reindex(index) / clear).where(daylight).clip(upper=1.5)
    return fit_kt_error_ar1(kt_forecast, kt_actual)


def jma_ghi(station: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """GHI backtest at a JMA station with a constructed weather forecast (see the module docstring)."""
    weather = read_jma_csv(data_path(JMA_FILES[station]), station)
    lat, lon, alt = (float(weather.attrs[k]) for k in ("latitude", "longitude", "altitude_m"))
    ghi, clear = hourly_ghi(weather, lat, lon, alt)
    kt = (ghi / clear).where(clear >= 20.0).clip(upper=1.5)
    constructed = constructed_weather_kt(kt, recorded_forecast_error(), seed=CONSTRUCTED_SEED)
    return ghi_backtest(weather, lat, lon, alt, weather_kt=constructed, weather_name="nwp_constructed")


def jepx_volume_mw() -> pd.Series:
    """JEPX spot contracted volume as average MW per 30-min slot (kWh / 0.5 h / 1000), slot starts JST."""
    table = pd.read_csv(data_path(JEPX_FILE))
    index = pd.DatetimeIndex(pd.to_datetime(table["slot_start_jst"], utc=True)).tz_convert("Asia/Tokyo")
    return pd.Series(table["contracted_volume_kwh"].to_numpy(dtype=float) / 500.0, index=index, name="volume_mw")


def tokyo_temperature() -> pd.Series:
    """JMA Tokyo air temperature in °C at the instant of each hourly reading (the hour's end)."""
    frame = jma_weather("Tokyo")
    readings = pd.DatetimeIndex(frame.index).shift(1, freq="h")
    return pd.Series(frame["temp_air_c"].to_numpy(dtype=float), index=readings, name="temp_air_c")


def run_backtest(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pairs, score table by lead) of one named backtest of BACKTESTS."""
    if name == "jma_hiroshima_ghi":
        return jma_ghi("Hiroshima")
    if name == "jma_fukuoka_ghi":
        return jma_ghi("Fukuoka")
    if name == "emhass_pv":
        return pv_backtest(emhass_load_pv(), max_lead_h=48)
    if name == "emhass_load":
        return load_backtest(relabel_wall_time(emhass_load_pv()["load_kw"], EMHASS_SITE_TZ))
    if name == "jepx_volume_tokyo":
        volume = jepx_volume_mw()
        volume = volume[pd.DatetimeIndex(volume.index).year == 2024]  # the year of the Tokyo record
        return load_backtest(volume, temperature=tokyo_temperature())
    raise ValueError(f"backtest: unknown '{name}'; use one of {list(BACKTESTS)}")
