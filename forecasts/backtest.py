"""Backtests of the clear-sky-index (kt) forecasting approach on recorded series, against two persistence references.

A series is on a regular grid; value j is the mean over [T_j, T_j + step). A forecast issued at T_i may use
values j <= i - 1 only. For lead k = 1..K steps the target is j = i + k - 1 (its interval ends k steps after
the issue); lead_h = k × step in hours. Models, all scaled by the target's clear-sky value ``clear[j]``:

- ``clear_sky``: kt = 1 (the forecaster without any weather).
- ``kt_persistence``: kt_now = mean of the last ``recent_steps`` daylight kt values known at issue.
- ``kt_blend``: kt_clim + (kt_now - kt_clim) exp(-lead_h / tau_h), kt_clim = mean daylight kt of the last
  ``clim_days`` days: recent weather decays toward the local climate with lead time.
- ``nwp`` and ``nwp_blend`` (only when a weather forecast's clear-sky index ``weather_kt`` is given per
  target): the weather forecast alone, and :func:`forecasts.blend.blend_kt` of the last measured kt with it
  (persistence weight exp(-lead_h / tau_nwp_h)).

References, both scored on the same pairs:

- ``persistence``: the value at the same time of day on the latest day known at issue
  (j - P ceil(k / P), P = steps per day).
- ``smart_persistence`` (clear-sky-index persistence): the clear-sky index of the last daylight value known
  at issue (carried through the night), times the target's clear-sky value.

Only daylight targets (clear >= min_clear) with a finite actual value are scored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasts.blend import DEFAULT_TAU_NWP_H, KT_CAP, blend_kt
from forecasts.metrics import scores_by_lead
from forecasts.sky import clear_sky_at

KT_MODELS = ["clear_sky", "kt_persistence", "kt_blend"]
NWP_MODELS = ["nwp", "nwp_blend"]
SMART = {"skill_smart": "smart_persistence"}
LEAD_BINS_H = (0.0, 1.0, 3.0, 6.0, 12.0, 24.0, 48.0)


def lead_labels(lead_h: np.ndarray, bins: tuple[float, ...] = LEAD_BINS_H) -> np.ndarray:
    """Bucket labels such as '1-3 h' (left-open, right-closed) for lead times in hours."""
    edges = np.asarray(bins)
    pos = np.clip(np.searchsorted(edges, lead_h, side="left"), 1, len(edges) - 1)
    names = [f"{edges[p - 1]:g}-{edges[p]:g} h" for p in range(1, len(edges))]
    return np.asarray(names, dtype=object)[pos - 1]


def kt_pairs(
    actual: pd.Series,
    clear: pd.Series,
    max_lead_steps: int,
    tau_h: float = 3.0,
    clim_days: float = 7.0,
    recent_steps: int = 3,
    min_clear: float = 20.0,
    weather_kt: pd.Series | None = None,
    tau_nwp_h: float = DEFAULT_TAU_NWP_H,
    weather_name: str = "nwp",
) -> pd.DataFrame:
    """Forecast/actual pairs for every issue time and lead (see the module docstring).

    ``actual`` and ``clear`` share one regular tz-aware index (same unit, e.g. W/m² or kW). ``weather_kt``
    (optional, same index): a weather forecast's clear-sky index for each target slot, scored as the models
    ``weather_name`` and ``weather_name + '_blend'`` (NaN where the weather has no value). Returns columns
    issue, target, lead_h, lead, actual, clear, persistence, smart_persistence and one column per model.
    """
    index = pd.DatetimeIndex(actual.index)
    step = pd.Timedelta(index[1] - index[0])
    step_h = step / pd.Timedelta(hours=1)
    per_day = round(24 / step_h)
    y = actual.to_numpy(dtype=float)
    cs = clear.reindex(index).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        kt = np.where(cs >= min_clear, np.clip(y / cs, 0.0, KT_CAP), np.nan)
    kt_series = pd.Series(kt, index=index)
    recent = kt_series.dropna().rolling(recent_steps, min_periods=1).mean().reindex(index).ffill()
    last = kt_series.ffill()
    clim = kt_series.rolling(max(round(clim_days * per_day), 1), min_periods=1).mean().ffill()
    first = per_day * 2  # two days of history before the first issue
    issues = np.arange(first, len(index) - max_lead_steps + 1)
    leads = np.arange(1, max_lead_steps + 1)
    target = issues[:, None] + leads[None, :] - 1
    lead_h = np.broadcast_to(leads * step_h, target.shape)

    def at_issue(values: pd.Series, default: np.ndarray | float) -> np.ndarray:
        known = np.broadcast_to(values.to_numpy()[issues - 1][:, None], target.shape)
        return np.where(np.isnan(known), default, known)

    kt_now = at_issue(recent, 1.0)
    kt_last = at_issue(last, 1.0)
    kt_clim = at_issue(clim, kt_now)
    back = target - per_day * np.ceil(leads / per_day).astype(int)[None, :]
    cs_t = cs[target]
    columns = {
        "issue": np.repeat(index[issues], len(leads)),
        "target": index[target.ravel()],
        "lead_h": lead_h.ravel(),
        "actual": y[target].ravel(),
        "clear": cs_t.ravel(),
        "persistence": y[back].ravel(),
        "smart_persistence": (kt_last * cs_t).ravel(),
        "clear_sky": cs_t.ravel(),
        "kt_persistence": (kt_now * cs_t).ravel(),
        "kt_blend": ((kt_clim + (kt_now - kt_clim) * np.exp(-lead_h / tau_h)) * cs_t).ravel(),
    }
    if weather_kt is not None:
        kt_wx = weather_kt.reindex(index).to_numpy(dtype=float)[target]
        blended = np.where(np.isnan(kt_wx), np.nan, blend_kt(kt_wx, kt_last, lead_h, tau_nwp_h))
        columns[weather_name] = (kt_wx * cs_t).ravel()
        columns[f"{weather_name}_blend"] = (blended * cs_t).ravel()
    pairs = pd.DataFrame(columns)
    keep = (pairs["clear"] >= min_clear) & np.isfinite(pairs["actual"])
    pairs = pairs[keep].sort_values("lead_h", kind="stable").reset_index(drop=True)
    pairs["lead"] = lead_labels(pairs["lead_h"].to_numpy())
    result: pd.DataFrame = pairs
    return result


def ghi_backtest(
    weather: pd.DataFrame,
    latitude: float,
    longitude: float,
    altitude_m: float = 0.0,
    max_lead_h: int = 48,
    weather_kt: pd.Series | None = None,
    weather_name: str = "nwp",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """GHI-level backtest of the kt approach on hourly measured GHI (e.g. :func:`read_jma_csv` output).

    The weather index holds hour midpoints (instantaneous convention); it is put on a regular hourly grid
    (gaps become NaN). ``weather_kt``: a weather forecast's clear-sky index on that grid (see
    :func:`kt_pairs`). Returns (pairs, score table by lead, skill against both persistence references); W/m².
    """
    ghi, cs = hourly_ghi(weather, latitude, longitude, altitude_m)
    pairs = kt_pairs(ghi, cs, max_lead_steps=max_lead_h, weather_kt=weather_kt, weather_name=weather_name)
    models = KT_MODELS + ([weather_name, f"{weather_name}_blend"] if weather_kt is not None else [])
    return pairs, scores_by_lead(pairs, models, extra_references=SMART)


def hourly_ghi(
    weather: pd.DataFrame, latitude: float, longitude: float, altitude_m: float = 0.0
) -> tuple[pd.Series, pd.Series]:
    """Measured GHI on a regular hourly grid (night hours JMA leaves empty set to 0) and Ineichen GHI (W/m²)."""
    ghi = weather["ghi_wm2"].astype(float)
    grid = pd.date_range(ghi.index.min(), ghi.index.max(), freq="1h")
    ghi = ghi.reindex(grid)
    _, cs = clear_sky_at(latitude, longitude, altitude_m, grid)
    # JMA leaves night hours empty: they are zero irradiance, not missing values
    ghi = ghi.where(ghi.notna() | (cs["ghi"] >= 20.0), 0.0)
    return ghi, cs["ghi"]


def clear_sky_envelope(power: pd.Series, window_days: int = 14, lag_days: int = 2, quantile: float = 0.95) -> pd.Series:
    """Empirical clear-sky power (kW) per slot of day: a high quantile of the same slot over past days.

    Uses days [d - lag_days - window_days + 1, d - lag_days] for day d, so a forecast issued up to
    ``lag_days - 1`` days before its target never sees data after its issue time.
    """
    index = pd.DatetimeIndex(power.index)
    step = pd.Timedelta(index[1] - index[0])
    per_day = round(pd.Timedelta(days=1) / step)
    values = power.to_numpy(dtype=float)
    days = len(values) // per_day
    table = values[: days * per_day].reshape(days, per_day)
    frame = pd.DataFrame(table)
    env = frame.rolling(window_days, min_periods=3).quantile(quantile).shift(lag_days).to_numpy().ravel()
    out = np.full(len(values), np.nan)
    out[: len(env)] = env
    return pd.Series(out, index=index, name="clear_kw")


def pv_backtest(
    measured: pd.DataFrame, max_lead_h: int = 24, tau_nwp_h: float = DEFAULT_TAU_NWP_H
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PV backtest of the kt approach on a measured 30-min PV series (kW; e.g. :func:`emhass_load_pv`).

    The clear-sky reference is :func:`clear_sky_envelope` (the site's position and size are unknown), so the
    test scores the kt logic on real power. If ``pv_forecast_kw`` is present (a recorded third-party
    forecast of unknown issue time) it is scored as the model ``recorded``, and blended with the last measured
    clear-sky index as ``recorded_blend`` (:func:`forecasts.blend.blend_kt`). The recorded forecast is assumed
    known at every issue time: its real issue time is not recorded. Scores are normalised by capacity (the
    99.9th percentile of measured power); skill against both persistence references.
    """
    pv = measured["pv_kw"].astype(float)
    index = pd.date_range(pv.index.min().floor("D"), pv.index.max(), freq="30min")
    pv = pv.reindex(index)
    clear = clear_sky_envelope(pv.fillna(0.0)).fillna(0.0)
    capacity = float(np.nanpercentile(pv, 99.9))
    weather_kt = None
    if "pv_forecast_kw" in measured:
        recorded = measured["pv_forecast_kw"].astype(float).clip(lower=0.0).reindex(index)
        with np.errstate(invalid="ignore", divide="ignore"):
            weather_kt = pd.Series(np.where(clear > 0, recorded / clear, np.nan), index=index).clip(upper=KT_CAP)
    pairs = kt_pairs(
        pv,
        clear,
        max_lead_steps=max_lead_h * 2,
        min_clear=0.05 * capacity,
        weather_kt=weather_kt,
        tau_nwp_h=tau_nwp_h,
        weather_name="recorded",
    )
    models = KT_MODELS + (["recorded", "recorded_blend"] if weather_kt is not None else [])
    return pairs, scores_by_lead(pairs, models, capacity=capacity, extra_references=SMART)
