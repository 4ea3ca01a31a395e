"""Loaders for the real public data shipped in ``scenarios/data/`` (sources in SOURCES.md).

Every loader returns tz-aware pandas objects on the 30-minute grid, each row named by its slot start
(Asia/Tokyo) unless stated otherwise. Units are in the series name or the column name.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jpholiday
import numpy as np
import pandas as pd

from scenarios.timegrid import SLOT_FREQ, TZ, require_aware, require_aware_index

DATA_PACKAGE = "scenarios.data"
JEPX_FILE = "jepx_spot_chugoku_fy2023_fy2024.csv"
DOE_FILE = "doe_crb_electric_normalized_8760_atlanta.csv"
PYCITY_FILE = "pycity_nonres_weekly_profiles_15min.csv"
JMA_FILES = {
    "Hiroshima": "jma_hourly_hiroshima_fukuoka_2025.csv",
    "Fukuoka": "jma_hourly_hiroshima_fukuoka_2025.csv",
    "Tokyo": "jma_hourly_tokyo_2024.csv",
}
EMHASS_FILE = "emhass_home_load_pv_30min_2024-2025.csv"
PRICE_COLUMNS = {"chugoku": "chugoku_price_jpy_per_kwh", "system": "system_price_jpy_per_kwh"}


def data_path(name: str) -> Path:
    """Filesystem path of a shipped data file."""
    return Path(str(resources.files(DATA_PACKAGE).joinpath(name)))


@lru_cache(maxsize=4)
def _jepx_table(path: str) -> pd.DataFrame:
    frame = pd.read_csv(path)
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame["slot_start_jst"], utc=True)).tz_convert(TZ)
    frame.index.name = "slot_start"
    return frame


def jepx_span(path: str | Path | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last slot start (Asia/Tokyo) of the shipped JEPX price file (or the one at `path`)."""
    table = _jepx_table(str(path or data_path(JEPX_FILE)))
    return table.index[0], table.index[-1]


def jepx_prices(
    start: dt.datetime | pd.Timestamp,
    end: dt.datetime | pd.Timestamp,
    area: str = "chugoku",
    path: str | Path | None = None,
) -> pd.Series:
    """JEPX day-ahead price in JPY/kWh for each slot start in [start, end) (Asia/Tokyo).

    ``area`` is 'chugoku' (the area price Yamaguchi trades at) or 'system'. Raises ValueError naming the
    span that the file lacks, so a gap is never filled silently.
    """
    if area not in PRICE_COLUMNS:
        raise ValueError(f"area: unknown price area '{area}'; use one of {sorted(PRICE_COLUMNS)}")
    table = _jepx_table(str(path or data_path(JEPX_FILE)))
    lo = require_aware(start, "start").tz_convert(TZ)
    hi = require_aware(end, "end").tz_convert(TZ)
    series = table.loc[(table.index >= lo) & (table.index < hi), PRICE_COLUMNS[area]].astype(float)
    expected = pd.date_range(lo.ceil(SLOT_FREQ), hi, freq=SLOT_FREQ, inclusive="left")
    missing = expected.difference(pd.DatetimeIndex(series.index))
    if len(missing):
        raise ValueError(
            f"prices: no JEPX price for {len(missing)} slot(s) from {missing[0].isoformat()}; "
            f"the data covers {table.index[0].date()} to {table.index[-1].date()}"
        )
    series.name = "price_jpy_per_kwh"
    return series


def is_japanese_holiday(day: dt.date) -> bool:
    """True on official Japanese public holidays (祝日, incl. substitute holidays)."""
    return bool(jpholiday.is_holiday(day))


def day_type(day: dt.date) -> str:
    """'weekday', 'saturday' or 'sunday_holiday' (Japanese holidays count as Sunday)."""
    if day.weekday() == 6 or is_japanese_holiday(day):
        return "sunday_holiday"
    if day.weekday() == 5:
        return "saturday"
    return "weekday"


@lru_cache(maxsize=2)
def _doe_table(path: str) -> pd.DataFrame:
    return pd.read_csv(path, index_col="hour_of_year")


@lru_cache(maxsize=2)
def _pycity_table(path: str) -> pd.DataFrame:
    return pd.read_csv(path)


def _doe_fraction(building: str, index: pd.DatetimeIndex) -> np.ndarray:
    """Fraction of annual energy per hour, aligned by weekday (2017 starts on a Sunday), holidays as Sunday."""
    table = _doe_table(str(data_path(DOE_FILE)))
    if building not in table.columns:
        raise ValueError(f"load.source: unknown DOE building type '{building}'; use one of {list(table.columns[1:])}")
    local = index.tz_convert(TZ)
    weekday_sun0 = (local.day_of_week.to_numpy() + 1) % 7  # Sunday = 0 as in 2017-01-01
    holiday = np.array([is_japanese_holiday(d) for d in local.date])
    weekday_sun0 = np.where(holiday, 0, weekday_sun0)
    week_of_year = np.clip((local.day_of_year.to_numpy() - 1) // 7, 0, 51)
    day_of_2017 = week_of_year * 7 + weekday_sun0
    hours = np.clip(day_of_2017 * 24 + local.hour.to_numpy(), 0, 8759)
    return np.asarray(table[building].to_numpy()[hours], dtype=float)


def _pycity_fraction(column: str, index: pd.DatetimeIndex) -> np.ndarray:
    """Fraction of annual energy per hour from a typical week (holidays as Sunday)."""
    table = _pycity_table(str(data_path(PYCITY_FILE)))
    name = column if column.endswith("_w") else f"{column}_w"
    if name not in table.columns:
        options = [c.removesuffix("_w") for c in table.columns if c.endswith("_w")]
        raise ValueError(f"load.source: unknown pycity profile '{column}'; use one of {options}")
    local = index.tz_convert(TZ)
    holiday = np.array([is_japanese_holiday(d) for d in local.date])
    dow = np.where(holiday, 6, local.day_of_week.to_numpy())
    quarter = dow * 96 + local.hour.to_numpy() * 4 + local.minute.to_numpy() // 15
    watts = table[name].to_numpy()[quarter]
    week_kwh = 1000.0
    return np.asarray(watts / 1000.0 / (week_kwh * 52.1775), dtype=float)


def _shape_per_annual_kwh(source: str, index: pd.DatetimeIndex) -> np.ndarray:
    """Unnormalised kW per kWh/yr of a named shape on ``index``."""
    family, _, name = source.partition(":")
    if family == "doe":
        return _doe_fraction(name, index)
    if family == "pycity":
        return _pycity_fraction(name, index)
    raise ValueError(f"load.source: '{source}' must start with 'doe:' or 'pycity:'")


@lru_cache(maxsize=64)
def _year_energy(source: str, year: int) -> float:
    """Energy (in units of annual kWh) the unnormalised shape gives over a whole JST calendar year."""
    start = pd.Timestamp(year=year, month=1, day=1, tz=TZ)
    year_index = pd.date_range(start, start + pd.DateOffset(years=1), freq=SLOT_FREQ, inclusive="left")
    return float(_shape_per_annual_kwh(source, year_index).sum() * 0.5)


def load_shape_kw(source: str, annual_kwh: float, index: pd.DatetimeIndex) -> pd.Series:
    """Mean load in kW in each slot of ``index`` from a named shape scaled to annual_kwh.

    ``source`` is 'doe:<BuildingType>' (hourly, held over both half-hours, weekdays aligned, Japanese
    holidays as Sundays) or 'pycity:<profile>' (a typical week). Each calendar year of the result sums
    to annual_kwh exactly: the shape is renormalised after the holiday and weekday alignment.
    """
    require_aware_index(index, "index")
    raw = _shape_per_annual_kwh(source, index)
    years = index.tz_convert(TZ).year.to_numpy()
    norm = np.array([_year_energy(source, int(y)) for y in years]) if len(years) else np.array([])
    return pd.Series(raw / norm * annual_kwh, index=index, name="load_kw")


def jma_weather(station: str = "Hiroshima") -> pd.DataFrame:
    """JMA hourly observations with the index at each hour's START (UTC-aware), units in column names.

    JMA labels hours by their end; this loader moves the label to the start so that it matches the
    project's convention. Columns: ghi_wm2 (W/m², hour mean; NaN at night as in the source),
    temp_air_c, wind_speed_ms, rh_pct, precip_mm, sunshine_h, cloud_cover_tenths, quality_flags.
    """
    if station not in JMA_FILES:
        raise ValueError(f"station: unknown JMA station '{station}'; use one of {sorted(JMA_FILES)}")
    frame = pd.read_csv(data_path(JMA_FILES[station]))
    frame = frame[frame["station"] == station]
    end = pd.DatetimeIndex(pd.to_datetime(frame["time_end_jst"], utc=True))
    frame.index = pd.DatetimeIndex(end - pd.Timedelta(hours=1), name="interval_start")
    columns = [
        "ghi_wm2",
        "temp_air_c",
        "wind_speed_ms",
        "rh_pct",
        "precip_mm",
        "sunshine_h",
        "cloud_cover_tenths",
        "quality_flags",
    ]
    return frame[columns]


def jma_weather_30min(station: str = "Hiroshima") -> pd.DataFrame:
    """JMA hourly observations held over both half-hours: a 30-min grid named by slot start (JST)."""
    hourly = jma_weather(station).drop(columns=["quality_flags"])
    index = pd.date_range(hourly.index[0], hourly.index[-1] + pd.Timedelta(minutes=30), freq=SLOT_FREQ)
    frame = hourly.reindex(index, method="ffill", limit=1)
    frame.index = pd.DatetimeIndex(frame.index).tz_convert(TZ).rename("slot_start")
    return frame


def emhass_load_pv() -> pd.DataFrame:
    """Measured 30-min home load and PV (W columns converted to kW), index = the source's UTC interval label."""
    frame = pd.read_csv(data_path(EMHASS_FILE))
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame["time_utc"], utc=True), name="interval_start")
    return pd.DataFrame(
        {
            "load_kw": frame["load_w"] / 1000.0,
            "pv_kw": frame["pv_w"] / 1000.0,
            "pv_forecast_kw": frame["pv_forecast_w"] / 1000.0,
        }
    )


def _user_price_csv(path: Path, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Prices from a user CSV with columns slot_start (ISO, tz offset) and price_jpy_per_kwh."""
    frame = pd.read_csv(path)
    for column in ("slot_start", "price_jpy_per_kwh"):
        if column not in frame.columns:
            raise ValueError(
                f"market.price_source: {path} lacks column '{column}' (need slot_start, price_jpy_per_kwh)"
            )
    index = pd.DatetimeIndex(pd.to_datetime(frame["slot_start"], utc=True)).tz_convert(TZ)
    series = pd.Series(frame["price_jpy_per_kwh"].to_numpy(dtype=float), index=index, name="price_jpy_per_kwh")
    series = series[(series.index >= start) & (series.index < end)]
    expected = pd.date_range(start.ceil(SLOT_FREQ), end, freq=SLOT_FREQ, inclusive="left")
    missing = expected.difference(pd.DatetimeIndex(series.index))
    if len(missing):
        raise ValueError(f"market.price_source: {path} has no price for {len(missing)} slot(s) from {missing[0]}")
    return series


def market_prices(price_source: str, start: dt.datetime | pd.Timestamp, end: dt.datetime | pd.Timestamp) -> pd.Series:
    """Price in JPY/kWh per slot start in [start, end) from a scenario's ``market.price_source``.

    'builtin:jepx_chugoku' and 'builtin:jepx_system' read the shipped JEPX file; anything else is a CSV
    path with columns slot_start and price_jpy_per_kwh (or the JEPX file's own layout).
    """
    lo = require_aware(start, "start").tz_convert(TZ)
    hi = require_aware(end, "end").tz_convert(TZ)
    builtin = {"builtin:jepx_chugoku": "chugoku", "builtin:jepx_system": "system"}
    if price_source in builtin:
        return jepx_prices(lo, hi, builtin[price_source])
    path = Path(price_source)
    if not path.is_file():
        raise ValueError(f"market.price_source: '{price_source}' is neither a builtin series nor an existing CSV file")
    header = pd.read_csv(path, nrows=0).columns
    if "slot_start_jst" in header:
        return jepx_prices(lo, hi, "chugoku", path)
    return _user_price_csv(path, lo, hi)
