"""Blending the last measured clear-sky index with a weather forecast's, by lead time.

Persistence of the measured clear-sky index kt = P / P_clear is the best forecast for the next minutes to
an hour (clouds keep their cover); a numerical weather forecast is better beyond (Lorenz et al. 2016,
"Comparison of global horizontal irradiance forecasts based on numerical weather prediction models with
different spatio-temporal resolutions"). :func:`blend_kt` weighs them with
w(lead) = exp(-lead_h / tau_h): kt = w kt_measured + (1 - w) kt_weather, so at lead 0 it is smart
persistence and after a few tau the weather forecast. Units: kt dimensionless (0..KT_CAP), lead in hours.

tau = 4 h was chosen on the first half (Feb-Aug 2024) of the one real forecast-vs-measured PV record shipped
(EMHASS: a recorded PV forecast of unknown issue time and the measured PV) among 1.5, 3, 4 and 6 h by mean
skill against smart persistence over the lead buckets; the second half is the held-out check
(benchmarks/results/forecasts.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_TAU_NWP_H = 4.0
KT_CAP = 1.5


def blend_kt(
    kt_weather: np.ndarray, kt_measured: np.ndarray | float, lead_h: np.ndarray, tau_h: float = DEFAULT_TAU_NWP_H
) -> np.ndarray:
    """Blended clear-sky index (see the module docstring); where the weather kt is NaN the measured one is kept,
    where the measured one is NaN the weather's."""
    if not tau_h > 0:
        raise ValueError(f"tau_h: {tau_h} must be > 0 (hours over which the measured kt loses its weight)")
    weather = np.asarray(kt_weather, dtype=float)
    measured = np.broadcast_to(np.asarray(kt_measured, dtype=float), weather.shape)
    w = np.exp(-np.asarray(lead_h, dtype=float) / tau_h)
    out = w * measured + (1.0 - w) * weather
    out = np.where(np.isnan(weather), measured, out)
    out = np.where(np.isnan(measured), weather, out)
    return np.asarray(np.clip(out, 0.0, KT_CAP), dtype=float)


def blend_forecast_kw(
    forecast_kw: pd.Series,
    clear_kw: pd.Series,
    kt_measured: float,
    issue: pd.Timestamp,
    tau_h: float = DEFAULT_TAU_NWP_H,
) -> pd.Series:
    """A weather-based PV forecast (kW per slot) corrected by the last measured clear-sky index ``kt_measured``
    (measured kW / clear-sky kW of the last slot before ``issue``), lead = end of each slot after the issue.

    Slots whose clear-sky power is zero stay at the forecast. Same index and unit out as in.
    """
    index = pd.DatetimeIndex(forecast_kw.index)
    clear = clear_kw.reindex(index).to_numpy(dtype=float)
    slot_h = (index[1] - index[0]) / pd.Timedelta(hours=1) if len(index) > 1 else 0.5
    lead_h = (index - issue) / pd.Timedelta(hours=1) + slot_h
    with np.errstate(invalid="ignore", divide="ignore"):
        kt_weather = np.where(clear > 0, forecast_kw.to_numpy(dtype=float) / clear, np.nan)
    kt = blend_kt(kt_weather, kt_measured, np.clip(lead_h, 0.0, None), tau_h)
    values = np.where(clear > 0, kt * clear, forecast_kw.to_numpy(dtype=float))
    out = pd.Series(values, index=forecast_kw.index, name=forecast_kw.name)
    out.attrs = {**forecast_kw.attrs, "kt_measured": kt_measured}
    return out


def last_clear_sky_index(
    measured_kw: pd.Series, clear_kw: pd.Series, issue: pd.Timestamp, min_clear_fraction: float = 0.1
) -> float | None:
    """Clear-sky index (measured / clear-sky kW) of the last slot that ends by ``issue`` with enough sun
    (clear-sky power >= ``min_clear_fraction`` of its maximum), or None if there is none (night, no data).

    Both series are per 30-min slot named by its start (tz-aware); capped at KT_CAP.
    """
    frame = pd.concat({"m": measured_kw, "c": clear_kw}, axis=1).dropna()
    if frame.empty:
        return None
    ends = pd.DatetimeIndex(frame.index) + pd.Timedelta(minutes=30)
    sunny = frame["c"] >= min_clear_fraction * max(float(frame["c"].max()), 1e-9)
    usable = frame[(ends <= issue) & sunny.to_numpy() & (frame["c"].to_numpy() > 0)]
    if usable.empty:
        return None
    last = usable.iloc[-1]
    return float(min(last["m"] / last["c"], KT_CAP))
