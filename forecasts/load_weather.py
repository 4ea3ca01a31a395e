"""Load forecast from the day-type profile corrected by temperature and by the recent days' level.

L(t) = P(t) + sum_b [a_b CDH(t) + h_b HDH(t) + c_b A] 1[t in block b]

- P: :func:`forecasts.load.day_type_profile` (Japanese day type x slot of day, recent days weighted more).
- CDH(t) = max(0, T(t) - COOLING_BASE_C), HDH(t) = max(0, HEATING_BASE_C - T(t)): cooling and heating
  degree hours of the slot from the air temperature T in °C (the weather input: a forecast for the target,
  measurements for the history), with one coefficient pair per block of the day (BLOCKS_H), because
  air conditioning follows occupancy.
- A: the recent level anomaly, the mean of (L - P) over the last ANOMALY_HOURS of history, with one
  coefficient c per block of the day: a load that has run above its profile for a day tends to stay there
  (a new tenant, an event, a cold spell the temperature term misses).

The coefficients are least squares with a small ridge on the history's own residuals L - P. Without
temperature only c is fitted; with less than MIN_FIT_DAYS of history the profile is returned unchanged
(the profile stays the fallback). Units: kW, °C, degree hours in K; indexes tz-aware, slots by their start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasts.load import DEFAULT_LOOKBACK_DAYS, day_type_profile, day_type_profile_frame
from scenarios.timegrid import TZ, require_aware_index

COOLING_BASE_C = 22.0
HEATING_BASE_C = 15.5
BLOCKS_H = (0, 6, 9, 12, 18, 24)  # night, morning, late morning, afternoon, evening (JST hours)
ANOMALY_HOURS = 24.0
MIN_FIT_DAYS = 14
RIDGE = 1e-3


@dataclass(frozen=True)
class LoadWeatherFit:
    """Fitted correction: per-block cooling/heating kW per K (``cooling``, ``heating``), per-block anomaly
    weights ``anomaly_weight`` (c), the anomaly A in kW at the end of the history, and the history slots used."""

    cooling: np.ndarray
    heating: np.ndarray
    anomaly_weight: np.ndarray
    anomaly_kw: float
    n_slots: int
    uses_temperature: bool


def slot_temperature(temperature: pd.Series, index: pd.DatetimeIndex) -> np.ndarray:
    """Air temperature in °C at each slot's midpoint, linear in time between the input's points (NaN outside)."""
    source = temperature.dropna()
    if source.empty:
        return np.full(len(index), np.nan)
    x = pd.DatetimeIndex(source.index).tz_convert("UTC").as_unit("ns").asi8.astype(float)
    t = (pd.DatetimeIndex(index).tz_convert("UTC") + pd.Timedelta(minutes=15)).as_unit("ns").asi8.astype(float)
    values = np.interp(t, x, source.to_numpy(dtype=float))
    step = np.median(np.diff(x)) if len(x) > 1 else 3.6e12
    return np.where((t >= x[0] - step) & (t <= x[-1] + step), values, np.nan)


def _blocks(index: pd.DatetimeIndex) -> np.ndarray:
    hours = pd.DatetimeIndex(index).tz_convert(TZ).hour.to_numpy()
    return np.searchsorted(np.asarray(BLOCKS_H[1:]), hours, side="right")


def _degree_features(temp_c: np.ndarray, index: pd.DatetimeIndex) -> np.ndarray:
    """Columns CDH x block, then HDH x block (zeros where the temperature is unknown)."""
    n_blocks = len(BLOCKS_H) - 1
    blocks = _blocks(index)
    cdh = np.nan_to_num(np.clip(temp_c - COOLING_BASE_C, 0.0, None))
    hdh = np.nan_to_num(np.clip(HEATING_BASE_C - temp_c, 0.0, None))
    onehot = np.eye(n_blocks)[blocks]
    return np.hstack([onehot * cdh[:, None], onehot * hdh[:, None]])


def _anomaly_features(anomaly: np.ndarray | float, index: pd.DatetimeIndex) -> np.ndarray:
    """The recent anomaly (kW) in one column per block of the day: its persistence differs by occupancy."""
    n_blocks = len(BLOCKS_H) - 1
    values = np.broadcast_to(np.asarray(anomaly, dtype=float), (len(index),))
    return np.asarray(np.eye(n_blocks)[_blocks(index)] * values[:, None], dtype=float)


def _daily_anomaly(residual: pd.Series) -> np.ndarray:
    """For each slot, the mean residual over the ANOMALY_HOURS before the start of its JST day (NaN-safe)."""
    local = pd.DatetimeIndex(residual.index).tz_convert(TZ)
    daily = residual.groupby(local.normalize()).mean()
    previous = daily.shift(1)
    return np.asarray(previous.reindex(local.normalize()).to_numpy(dtype=float), dtype=float)


def _profiled(features: np.ndarray, index: pd.DatetimeIndex, targets: pd.DatetimeIndex, lookback: int) -> np.ndarray:
    """The day-type profile of each feature column (same weights as the load's), evaluated at ``targets``."""
    frame = pd.DataFrame(features, index=index).dropna()
    return day_type_profile_frame(frame, targets, lookback_days=lookback).to_numpy()


@dataclass(frozen=True)
class _History:
    index: pd.DatetimeIndex
    residual: pd.Series
    degree: np.ndarray | None  # degree-hour features of the history slots, or None without temperature


def _history(history: pd.Series, temperature: pd.Series | None, lookback_days: int) -> _History | None:
    hist = history.dropna()
    if hist.empty or hist.index.max() - hist.index.min() < pd.Timedelta(days=MIN_FIT_DAYS):
        return None
    hist = hist[hist.index >= hist.index.max() - pd.Timedelta(days=lookback_days)]
    index = pd.DatetimeIndex(hist.index)
    residual = hist - day_type_profile(hist, index, lookback_days=lookback_days).to_numpy()
    temp = slot_temperature(temperature, index) if temperature is not None else np.full(len(index), np.nan)
    degree = _degree_features(np.where(np.isfinite(temp), temp, np.nan), index)
    degree[~np.isfinite(temp)] = np.nan
    return _History(index, residual, degree if np.isfinite(temp).mean() > 0.5 else None)


def fit_load_weather(
    history: pd.Series, temperature: pd.Series | None = None, lookback_days: int = DEFAULT_LOOKBACK_DAYS
) -> LoadWeatherFit | None:
    """Fit the correction on ``history`` (kW per slot, tz-aware) and its temperature (°C, any step), or None
    when the history spans less than MIN_FIT_DAYS. Degree hours enter as deviations from their own day-type
    profile, because the load profile already holds the history's average weather."""
    past = _history(history, temperature, lookback_days)
    if past is None:
        return None
    columns = []
    if past.degree is not None:
        columns.append(past.degree - _profiled(past.degree, past.index, past.index, lookback_days))
    design = np.hstack([*columns, _anomaly_features(_daily_anomaly(past.residual), past.index)])
    y_all = past.residual.to_numpy()
    keep = np.isfinite(design).all(axis=1) & np.isfinite(y_all)
    x, y = design[keep], y_all[keep]
    coef = np.linalg.solve(x.T @ x + RIDGE * len(y) * np.eye(x.shape[1]), x.T @ y) if len(y) else np.zeros(x.shape[1])
    n_blocks = len(BLOCKS_H) - 1
    zeros = np.zeros(n_blocks)
    recent = past.residual[past.residual.index > past.index.max() - pd.Timedelta(hours=ANOMALY_HOURS)]
    uses = past.degree is not None
    return LoadWeatherFit(
        cooling=coef[:n_blocks] if uses else zeros,
        heating=coef[n_blocks : 2 * n_blocks] if uses else zeros,
        anomaly_weight=coef[-n_blocks:],
        anomaly_kw=float(recent.mean()) if len(recent) else 0.0,
        n_slots=int(keep.sum()),
        uses_temperature=uses,
    )


def forecast_load_weather(
    history: pd.Series,
    index: pd.DatetimeIndex,
    temperature: pd.Series | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> pd.Series:
    """Forecast kW per slot of ``index`` (see the module docstring); ``temperature`` (°C) must cover the
    history and the targets to be used. ``attrs['load_input']``: 'weather_profile' (temperature and recent
    level), 'recent_profile' (recent level only) or 'history' (the plain day-type profile, too little history).
    Never below 0 kW."""
    index = require_aware_index(index, "index")
    profile = day_type_profile(history.dropna(), index, lookback_days=lookback_days)
    fit = fit_load_weather(history, temperature, lookback_days)
    if fit is None:
        profile.attrs["load_input"] = "history"
        return profile
    correction = _anomaly_features(fit.anomaly_kw, index) @ fit.anomaly_weight
    label = "recent_profile"
    if fit.uses_temperature and temperature is not None:
        temp = slot_temperature(temperature, index)
        past = _history(history, temperature, lookback_days)
        if past is not None and past.degree is not None and np.isfinite(temp).any():
            deviation = _degree_features(temp, index) - _profiled(past.degree, past.index, index, lookback_days)
            deviation[~np.isfinite(temp)] = 0.0
            correction = correction + np.nan_to_num(deviation) @ np.concatenate([fit.cooling, fit.heating])
            label = "weather_profile"
    out = pd.Series(np.clip(profile.to_numpy() + correction, 0.0, None), index=index, name="load_kw")
    out.attrs["load_input"] = label
    return out
