"""Backtest of the load forecasters against day-ahead persistence on a measured 30-min load series.

Issue once a day at 00:00 (Asia/Tokyo wall clock) for the 48 slots of that day; lead_h is the time from
the issue to the end of the target slot (0.5..24 h). Models on the history before the issue:
``day_type_profile`` (:func:`forecasts.load.day_type_profile`) and ``load_weather``
(:func:`forecasts.load_weather.forecast_load_weather`: the profile corrected by the recent level and, when a
temperature series is given, by cooling/heating degree hours). References: ``persistence`` (the same slot on
the previous day) and the profile itself (``skill_profile``). The temperature of the target day is the
recorded one, i.e. a perfect temperature forecast. Units: kW, °C.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasts.backtest import lead_labels
from forecasts.load import DEFAULT_LOOKBACK_DAYS, day_type_profile
from forecasts.load_weather import forecast_load_weather
from forecasts.metrics import scores_by_lead
from scenarios.timegrid import TZ

SLOTS_PER_DAY = 48


def relabel_wall_time(series: pd.Series, site_tz: str) -> pd.Series:
    """Re-express a foreign site's series on the Japanese clock by its local wall time (kW unchanged).

    A home in Europe keeps its 07:00 breakfast peak at 07:00 JST, so day types and slots of day mean the same
    thing as at the site. DST duplicates are averaged and DST gaps left as NaN on the regular 30-min grid.
    """
    wall = pd.DatetimeIndex(series.index).tz_convert(site_tz).tz_localize(None)
    local = pd.Series(series.to_numpy(dtype=float), index=wall).groupby(level=0).mean()
    local.index = pd.DatetimeIndex(local.index).tz_localize(TZ)
    grid = pd.date_range(local.index.min(), local.index.max(), freq="30min")
    return local.reindex(grid)


def load_pairs(
    load: pd.Series, min_history_days: int = 14, temperature: pd.Series | None = None, with_weather_model: bool = True
) -> pd.DataFrame:
    """Forecast/actual pairs: columns issue, target, lead_h, lead, actual, persistence, day_type_profile and
    (``with_weather_model``) load_weather. ``temperature``: air temperature in °C (any step, tz-aware)."""
    index = pd.DatetimeIndex(load.index).tz_convert(TZ)
    series = pd.Series(load.to_numpy(dtype=float), index=index)
    days = pd.date_range(
        index.min().ceil("D") + pd.Timedelta(days=min_history_days), index.max().floor("D"), freq="D", inclusive="left"
    )
    lookback = pd.Timedelta(days=DEFAULT_LOOKBACK_DAYS)
    chunks = []
    for issue in days:
        target = pd.date_range(issue, periods=SLOTS_PER_DAY, freq="30min")
        history = series[(series.index >= issue - lookback) & (series.index < issue)].dropna()
        if history.empty:
            continue
        forecast = day_type_profile(history, target)
        chunk = pd.DataFrame(
            {
                "issue": issue,
                "target": target,
                "lead_h": np.arange(1, SLOTS_PER_DAY + 1) * 0.5,
                "actual": series.reindex(target).to_numpy(),
                "persistence": series.reindex(target - pd.Timedelta(days=1)).to_numpy(),
                "day_type_profile": forecast.to_numpy(),
            }
        )
        if with_weather_model:
            chunk["load_weather"] = forecast_load_weather(history, target, temperature).to_numpy()
        chunks.append(chunk)
    pairs = pd.concat(chunks, ignore_index=True)
    pairs = pairs[np.isfinite(pairs["actual"])].sort_values("lead_h", kind="stable").reset_index(drop=True)
    pairs["lead"] = lead_labels(pairs["lead_h"].to_numpy())
    result: pd.DataFrame = pairs
    return result


def load_backtest(
    load: pd.Series, min_history_days: int = 14, temperature: pd.Series | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pairs, score table by lead) for the load forecasters; nMAE normalised by mean load; skill against
    persistence (``skill``) and against the day-type profile (``skill_profile``)."""
    pairs = load_pairs(load, min_history_days, temperature)
    table = scores_by_lead(
        pairs, ["day_type_profile", "load_weather"], extra_references={"skill_profile": "day_type_profile"}
    )
    return pairs, table
