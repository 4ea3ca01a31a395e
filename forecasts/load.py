"""Facility load forecasts (kW per 30-min slot) and shelter critical load.

Without telemetry history the scenario's load shape scaled to its annual kWh is used. With history, each
slot is forecast from a profile by Japanese day type (weekday / Saturday / Sunday-holiday, official
holidays via jpholiday) and slot of the day (JST), built from past days of the same day type with weights
that halve every ``half_life_days`` days, so recent days dominate (the blend with recent days).

Units: kW (mean power over each slot, slot named by its start). Indexes must be tz-aware.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scenarios.datasets import day_type, load_shape_kw
from scenarios.model import Facility
from scenarios.timegrid import TZ, require_aware_index

EVENING_START_H = 17
EVENING_END_H = 22
DEFAULT_HALF_LIFE_DAYS = 7.0
DEFAULT_LOOKBACK_DAYS = 56
MIN_HISTORY_DAYS = 1


def _slot_of_day(local: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(local.hour * 2 + local.minute // 30)


def _day_types(local: pd.DatetimeIndex) -> np.ndarray:
    days = pd.Index(local.date)
    kinds = {d: day_type(d) for d in days.unique()}
    return np.array([kinds[d] for d in days], dtype=object)


def day_type_profile(
    history: pd.Series,
    index: pd.DatetimeIndex,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> pd.Series:
    """Forecast kW per slot of ``index`` from ``history`` (kW per slot, tz-aware) by day type and slot.

    For each target slot: the weighted mean of history values at the same JST slot of the day on days of the
    same day type in the last ``lookback_days`` before the history's end, weight 0.5 ** (age_days /
    half_life_days). Falls back to all day types when no day of that type exists; NaN if the slot has no
    history at all.
    """
    hist = history.dropna()
    frame = day_type_profile_frame(hist.to_frame("kw"), index, half_life_days, lookback_days)
    return pd.Series(frame["kw"].to_numpy(), index=index, name="load_kw", dtype=float)


def day_type_profile_frame(
    history: pd.DataFrame,
    index: pd.DatetimeIndex,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> pd.DataFrame:
    """:func:`day_type_profile` of every column of ``history`` at once (same weights, rows with any NaN dropped)."""
    index = require_aware_index(index, "index")
    hist = history.dropna()
    hist = hist[hist.index >= hist.index.max() - pd.Timedelta(days=lookback_days)]
    local_h = pd.DatetimeIndex(hist.index).tz_convert(TZ)
    end_day = local_h.max().normalize()
    weight = 0.5 ** (((end_day - local_h.normalize()) / pd.Timedelta(days=1)).to_numpy() / half_life_days)
    columns = list(hist.columns)
    frame = pd.DataFrame(hist.to_numpy(dtype=float) * weight[:, None], columns=columns)
    frame["w"] = weight
    frame["slot"] = _slot_of_day(local_h)
    frame["type"] = _day_types(local_h)
    by_type = frame.groupby(["type", "slot"])[[*columns, "w"]].sum()
    by_slot = frame.groupby("slot")[[*columns, "w"]].sum()
    typed = by_type[columns].div(by_type["w"], axis=0)
    pooled = by_slot[columns].div(by_slot["w"], axis=0)
    local = index.tz_convert(TZ)
    keys = pd.MultiIndex.from_arrays([_day_types(local), _slot_of_day(local)])
    values = typed.reindex(keys).to_numpy()
    fallback = pooled.reindex(_slot_of_day(local)).to_numpy()
    values = np.where(np.isnan(values), fallback, values)
    return pd.DataFrame(values, index=index, columns=columns)


def forecast_facility_load(facility: Facility, index: pd.DatetimeIndex, history: pd.Series | None = None) -> pd.Series:
    """Mean load in kW per slot of ``index`` for a facility.

    ``history``: measured load in kW per 30-min slot (tz-aware index, slot starts). Without it (or with less
    than one day of values) the scenario's load shape scaled to its annual kWh is returned (zeros if the
    facility has no load). Slots the history cannot cover fall back to the shape. Name 'load_kw';
    ``attrs['load_input']`` is 'history' or 'shape'.
    """
    index = require_aware_index(index, "index")
    if facility.load is None:
        shape = pd.Series(0.0, index=index, name="load_kw")
    else:
        shape = load_shape_kw(facility.load.source, facility.load.annual_kwh, index)
    if history is None:
        shape.attrs["load_input"] = "shape"
        return shape
    hist_index = require_aware_index(pd.DatetimeIndex(history.index), "history.index")
    valid = history.set_axis(hist_index).dropna()
    if valid.empty or valid.index.max() - valid.index.min() < pd.Timedelta(days=MIN_HISTORY_DAYS):
        shape.attrs["load_input"] = "shape"
        return shape
    profile = day_type_profile(valid, index)
    result = profile.fillna(shape).rename("load_kw")
    result.attrs["load_input"] = "history"
    return result


def critical_load_kw(facility: Facility, index: pd.DatetimeIndex) -> pd.Series:
    """Critical load in kW per slot: shelters' critical_load_kw × evening_peak_factor from 17:00 to 22:00 JST
    (base otherwise); non-shelters their flat critical_load_kw; 0 if neither. Name 'critical_kw'."""
    index = require_aware_index(index, "index")
    if facility.shelter is not None:
        hours = index.tz_convert(TZ).hour
        evening = (hours >= EVENING_START_H) & (hours < EVENING_END_H)
        base = facility.shelter.critical_load_kw
        values = np.where(evening, base * facility.shelter.evening_peak_factor, base)
    else:
        values = np.full(len(index), facility.critical_load_kw)
    return pd.Series(values, index=index, name="critical_kw", dtype=float)
