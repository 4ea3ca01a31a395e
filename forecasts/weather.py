"""The weather-input interface of the PV forecaster: one canonical frame that every provider returns.

A weather frame is a pandas DataFrame with a tz-aware DatetimeIndex and any of these columns (units in the
name): ``ghi_wm2``, ``dni_wm2``, ``dhi_wm2`` (W/m²), ``temp_air_c`` (°C), ``wind_speed_ms`` (m/s at 10 m),
``cloud_cover_pct`` (0-100 %). Each value is valid at its index time (instantaneous). Providers that
deliver interval means move the label to the interval midpoint with :func:`as_instantaneous`, so the
forecaster never has to know a provider's labelling convention. NaN means missing: the forecaster falls
back for that row and flags the affected slots.

``attrs`` carries provenance: ``provider`` (e.g. 'jma', 'open-meteo'), optional ``station``, ``latitude``,
``longitude``.
"""

from __future__ import annotations

import pandas as pd

from scenarios.timegrid import require_aware_index

WEATHER_COLUMNS = ("ghi_wm2", "dni_wm2", "dhi_wm2", "temp_air_c", "wind_speed_ms", "cloud_cover_pct")


def as_instantaneous(frame: pd.DataFrame, interval: pd.Timedelta, label: str) -> pd.DataFrame:
    """Move interval-mean labels to the interval midpoint; ``label`` is 'start' or 'end' of the interval."""
    if label not in ("start", "end"):
        raise ValueError(f"label: '{label}' must be 'start' or 'end'")
    shift = interval / 2 if label == "start" else -interval / 2
    out = frame.copy()
    out.index = pd.DatetimeIndex(frame.index) + shift
    return out


def check_weather(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the canonical weather columns of ``frame`` as floats; refuse a naive index or no usable column."""
    index = require_aware_index(
        pd.DatetimeIndex(frame.index) if isinstance(frame.index, pd.DatetimeIndex) else frame.index, "weather.index"
    )
    columns = [c for c in WEATHER_COLUMNS if c in frame.columns]
    if not columns:
        raise ValueError(f"weather: no known column in {list(frame.columns)}; give any of {list(WEATHER_COLUMNS)}")
    out = frame[columns].astype(float).set_axis(index)
    out.attrs = dict(frame.attrs)
    return out.sort_index()
