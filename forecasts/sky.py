"""Sky state at sub-slot times: solar position and GHI/DNI/DHI, air temperature and wind from a weather input.

Weather frames use the canonical columns of :mod:`forecasts.weather` (``ghi_wm2``, ``dni_wm2``, ``dhi_wm2``,
``temp_air_c``, ``wind_speed_ms``, ``cloud_cover_pct``), a tz-aware index, and values valid at the index
time (instantaneous). Interval means are moved to their interval midpoint by the providers (see
:func:`forecasts.weather.as_instantaneous`), which is the best instant to represent a mean.

Input preference per weather row (the first tier whose columns are all present is used):

1. ``ghi_dni_dhi``: measured/forecast GHI, DNI and DHI (diffuse fraction kept).
2. ``ghi``: GHI only, split into DNI/DHI with pvlib's Erbs decomposition.
3. ``cloud_cover``: clear-sky GHI scaled by Kasten & Czeplak (1980): GHI = GHI_cs (1 - 0.75 (C/100)^3.4),
   then Erbs.
4. ``clear_sky``: pvlib Ineichen clear sky, its own GHI, DNI and DHI, with pvlib's shipped Linke turbidity
   climatology interpolated to the day of year as ``pvlib.clearsky.lookup_linke_turbidity`` does (offline).

Between weather rows the clear-sky index kt = GHI/GHI_cs is interpolated linearly in time, so the shape
of a day follows the sun even when the weather is hourly.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pvlib

from forecasts.solarpos import solar_position
from scenarios.model import Facility
from scenarios.timegrid import SLOT, require_aware_index

TIERS = ("ghi_dni_dhi", "ghi", "cloud_cover", "clear_sky")
TIER_COLUMNS: dict[str, tuple[str, ...]] = {
    "ghi_dni_dhi": ("ghi_wm2", "dni_wm2", "dhi_wm2"),
    "ghi": ("ghi_wm2",),
    "cloud_cover": ("cloud_cover_pct",),
    "clear_sky": (),
}
DEFAULT_TEMP_AIR_C = 20.0
DEFAULT_WIND_MS = 1.0
SUBSTEPS_PER_SLOT = 6  # 5-minute sub-intervals, evaluated at their midpoints
MIN_CLEARSKY_WM2 = 20.0  # below this clear-sky GHI, kt is not computed (dawn, dusk, night)
KT_MAX = 1.5


@dataclass(frozen=True)
class SkyState:
    """Irradiance and weather at the evaluation times of a slot index (W/m², °C, m/s, degrees).

    ``times`` holds ``n_sub`` evaluation instants per slot, slot-major (slot 0's instants first).
    ``source`` and ``missing`` are per slot: the input tier used and whether weather values were missing.
    """

    times: pd.DatetimeIndex
    n_sub: int
    zenith: np.ndarray
    azimuth: np.ndarray
    ghi: np.ndarray
    dni: np.ndarray
    dhi: np.ndarray
    ghi_clear: np.ndarray
    dni_extra: np.ndarray
    airmass: np.ndarray
    temp_air: np.ndarray
    wind_speed: np.ndarray
    source: pd.Series
    missing: pd.Series


def evaluation_times(index: pd.DatetimeIndex, sampling: str = "interval") -> tuple[pd.DatetimeIndex, int]:
    """Instants at which a slot index is evaluated and how many per slot.

    ``interval``: midpoints of the six 5-min sub-intervals of each 30-min slot (their mean is the slot's
    interval average); ``instantaneous``: the slot start itself (one value per slot).
    """
    index = require_aware_index(index)
    if sampling == "instantaneous":
        return pd.DatetimeIndex(index.tz_convert("UTC")).as_unit("ns"), 1
    if sampling != "interval":
        raise ValueError(f"sampling: '{sampling}' is not 'interval' or 'instantaneous'")
    step = SLOT / SUBSTEPS_PER_SLOT
    offsets = np.array([step * (k + 0.5) for k in range(SUBSTEPS_PER_SLOT)], dtype="timedelta64[ns]")
    starts = index.tz_convert("UTC").as_unit("ns").asi8.astype("datetime64[ns]")
    grid = (starts[:, None] + offsets[None, :]).ravel()
    return pd.DatetimeIndex(grid).tz_localize("UTC"), SUBSTEPS_PER_SLOT


@lru_cache(maxsize=64)
def _linke_monthly(lat: float, lon: float) -> np.ndarray:
    """Monthly Linke turbidity, January first (12 values), from pvlib's shipped climatology for one site."""
    mid_months = pd.DatetimeIndex([pd.Timestamp(2020, m, 15, tz="UTC") for m in range(1, 13)])
    values = pvlib.clearsky.lookup_linke_turbidity(mid_months, lat, lon, interp_turbidity=False)
    return np.asarray(values, dtype=float)


def _month_middles(year: int) -> np.ndarray:
    """Day of year of each month's middle, with the previous December's and the next January's around it
    (as pvlib's ``_calendar_month_middles``: 14 values)."""
    days = np.array([calendar.monthrange(year, m)[1] for m in range(1, 13)], dtype=float)
    return np.concatenate([[-31 / 2.0], np.cumsum(days) - days / 2.0, [days.sum() + 31 / 2.0]])


def linke_turbidity(latitude: float, longitude: float, times: pd.DatetimeIndex) -> np.ndarray:
    """Linke turbidity (dimensionless) at ``times``: pvlib's monthly climatology interpolated to the day of
    year (UTC) between month middles, exactly as ``pvlib.clearsky.lookup_linke_turbidity`` does by default."""
    monthly = _linke_monthly(round(latitude, 3), round(longitude, 3))
    wrapped = np.concatenate([[monthly[-1]], monthly, [monthly[0]]])
    utc = pd.DatetimeIndex(times).tz_convert("UTC")
    day = utc.day_of_year.to_numpy()
    leap = np.interp(day, _month_middles(2016), wrapped)
    common = np.interp(day, _month_middles(2015), wrapped)
    return np.asarray(np.where(utc.is_leap_year, leap, common), dtype=float)


def clear_sky(facility: Facility, times: pd.DatetimeIndex) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Solar position and Ineichen clear-sky GHI/DNI/DHI (W/m²) at ``times`` for the facility's site."""
    return clear_sky_at(facility.latitude, facility.longitude, facility.altitude_m, times)


def clear_sky_at(
    latitude: float, longitude: float, altitude_m: float, times: pd.DatetimeIndex
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Solar position (degrees, plus dni_extra W/m² and relative airmass) and Ineichen clear sky (W/m²)."""
    times = require_aware_index(pd.DatetimeIndex(times), "times")
    solpos = solar_position(times, latitude, longitude, altitude_m)
    airmass_rel = pvlib.atmosphere.get_relative_airmass(solpos["apparent_zenith"])
    pressure = pvlib.atmosphere.alt2pres(altitude_m)
    airmass_abs = pvlib.atmosphere.get_absolute_airmass(airmass_rel, pressure)
    linke = linke_turbidity(latitude, longitude, times)
    dni_extra = pvlib.irradiance.get_extra_radiation(times)
    cs = pvlib.clearsky.ineichen(
        solpos["apparent_zenith"], airmass_abs, linke, altitude=altitude_m, dni_extra=dni_extra
    )
    cs = pd.DataFrame(cs, index=times).fillna(0.0)
    solpos["dni_extra"] = np.asarray(dni_extra, dtype=float)
    solpos["airmass"] = np.asarray(airmass_rel, dtype=float)
    return solpos, cs


def _row_tiers(weather: pd.DataFrame) -> pd.Series:
    """The best input tier available on each weather row."""
    tier = pd.Series("clear_sky", index=weather.index, dtype=object)
    for name in reversed(TIERS[:-1]):
        cols = TIER_COLUMNS[name]
        if all(c in weather.columns for c in cols):
            tier[weather[list(cols)].notna().all(axis=1)] = name
    return tier


def _frame_tier(weather: pd.DataFrame) -> str:
    """The best tier that at least one row of the frame offers (the input this forecast is built on)."""
    present = set(_row_tiers(weather))
    return next(t for t in TIERS if t in present)


def _weather_kt(weather: pd.DataFrame, facility: Facility) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Clear-sky index, diffuse fraction (NaN where unknown) and a missing flag at the weather's own times.

    A row is missing when the sun is up (clear-sky GHI >= MIN_CLEARSKY_WM2) and it lacks the columns of the
    frame's best tier; night rows without irradiance are normal (JMA leaves them empty).
    """
    times = pd.DatetimeIndex(weather.index).tz_convert("UTC")
    _, cs = clear_sky(facility, times)
    tiers = _row_tiers(weather).set_axis(times)
    ghi_cs = cs["ghi"].to_numpy()
    ghi = weather["ghi_wm2"].to_numpy(dtype=float) if "ghi_wm2" in weather else np.full(len(times), np.nan)
    if "cloud_cover_pct" in weather:
        cc = np.clip(weather["cloud_cover_pct"].to_numpy(dtype=float), 0.0, 100.0) / 100.0
        ghi = np.where(np.isnan(ghi), ghi_cs * (1.0 - 0.75 * cc**3.4), ghi)
    with np.errstate(invalid="ignore", divide="ignore"):
        kt = np.where(ghi_cs >= MIN_CLEARSKY_WM2, np.clip(ghi / ghi_cs, 0.0, KT_MAX), np.nan)
        df = np.full(len(times), np.nan)
        if "dhi_wm2" in weather:
            df = np.where(ghi > 1.0, np.clip(weather["dhi_wm2"].to_numpy(dtype=float) / ghi, 0.0, 1.0), np.nan)
    missing = (tiers.to_numpy() != _frame_tier(weather)) & (ghi_cs >= MIN_CLEARSKY_WM2)
    return pd.Series(kt, index=times), pd.Series(df, index=times), pd.Series(missing.astype(float), index=times)


def _interp(series: pd.Series, times: pd.DatetimeIndex, max_gap: pd.Timedelta) -> np.ndarray:
    """Linear interpolation of a time series at ``times``; NaN outside the data or across gaps > max_gap."""
    valid = series.dropna()
    if valid.empty:
        return np.full(len(times), np.nan)
    x = _ns(valid.index).astype(float)
    y = valid.to_numpy(dtype=float)
    t = _ns(times).astype(float)
    out = np.interp(t, x, y)
    pos = np.searchsorted(x, t)
    lo = x[np.clip(pos - 1, 0, len(x) - 1)]
    hi = x[np.clip(pos, 0, len(x) - 1)]
    near = np.minimum(np.abs(t - lo), np.abs(hi - t))
    gap_ok = ((hi - lo) <= max_gap.value) | (near == 0)
    inside = (t >= x[0] - max_gap.value / 2) & (t <= x[-1] + max_gap.value / 2)
    return np.where(gap_ok & inside, out, np.nan)


def _ns(index: pd.Index) -> np.ndarray:
    """Integer nanoseconds since the epoch of a tz-aware DatetimeIndex, whatever its unit."""
    return pd.DatetimeIndex(index).as_unit("ns").asi8


def _weather_step(weather: pd.DataFrame) -> pd.Timedelta:
    if len(weather.index) < 2:
        return pd.Timedelta(hours=1)
    return pd.Timedelta(pd.Series(weather.index).diff().median())


def sky_state(
    facility: Facility, index: pd.DatetimeIndex, weather: pd.DataFrame | None = None, sampling: str = "interval"
) -> SkyState:
    """Solar geometry, GHI/DNI/DHI (W/m²), air temperature (°C) and wind (m/s) at the slot index's instants."""
    index = require_aware_index(index, "index")
    times, n_sub = evaluation_times(index, sampling)
    solpos, cs = clear_sky(facility, times)
    zenith = solpos["apparent_zenith"].to_numpy()
    ghi_cs = cs["ghi"].to_numpy()
    temp = np.full(len(times), DEFAULT_TEMP_AIR_C)
    wind = np.full(len(times), DEFAULT_WIND_MS)
    kt = np.ones(len(times))
    df = np.full(len(times), np.nan)
    tier_sub = np.full(len(times), TIERS.index("clear_sky"), dtype=int)  # rank in TIERS per instant
    missing_sub = np.zeros(len(times), dtype=bool)
    if weather is not None and len(weather):
        weather = weather.copy()
        weather.index = require_aware_index(pd.DatetimeIndex(weather.index), "weather.index")
        weather = weather.sort_index()
        step = _weather_step(weather) * 1.01
        frame_tier = _frame_tier(weather)
        kt_w, df_w, missing_w = _weather_kt(weather, facility)
        kt_i = _interp(kt_w, times, step)
        covered = _interp(pd.Series(1.0, index=kt_w.index), times, step) == 1.0
        row_missing = np.nan_to_num(_interp(missing_w, times, step), nan=1.0) > 0.0
        sun_up = ghi_cs >= MIN_CLEARSKY_WM2
        missing_sub = sun_up & (~covered | row_missing)
        if frame_tier != "clear_sky":
            filled = np.where(covered, _nearest(kt_w, times), np.nan)
            kt = np.where(np.isnan(kt_i), filled, kt_i)
            kt = np.where(np.isnan(kt), 1.0, kt)
            tier_sub[:] = TIERS.index(frame_tier)
            tier_sub[~covered] = TIERS.index("clear_sky")
        if frame_tier == "ghi_dni_dhi":
            df = _interp(df_w, times, step)
        temp = _column_or_default(weather, "temp_air_c", times, step, DEFAULT_TEMP_AIR_C)
        wind = _column_or_default(weather, "wind_speed_ms", times, step, DEFAULT_WIND_MS)
    ghi = kt * ghi_cs
    erbs = pvlib.irradiance.erbs(ghi, zenith, times)
    dhi = np.where(np.isnan(df), np.asarray(erbs["dhi"], dtype=float), df * ghi)
    cosz = np.cos(np.radians(zenith))
    with np.errstate(invalid="ignore", divide="ignore"):
        dni = np.where(zenith < 87.0, (ghi - dhi) / np.maximum(cosz, 0.065), 0.0)
    dni = np.clip(np.nan_to_num(dni), 0.0, solpos["dni_extra"].to_numpy())
    clear = tier_sub == TIERS.index("clear_sky")  # no weather here: Ineichen's own components, not a re-split
    ghi = np.where(clear, ghi_cs, ghi)
    dni = np.where(clear, cs["dni"].to_numpy(), dni)
    dhi = np.where(clear, cs["dhi"].to_numpy(), dhi)
    return SkyState(
        times=times,
        n_sub=n_sub,
        zenith=zenith,
        azimuth=solpos["azimuth"].to_numpy(),
        ghi=ghi,
        dni=dni,
        dhi=np.clip(dhi, 0.0, None),
        ghi_clear=ghi_cs,
        dni_extra=solpos["dni_extra"].to_numpy(),
        airmass=np.nan_to_num(solpos["airmass"].to_numpy(), nan=40.0),
        temp_air=temp,
        wind_speed=wind,
        source=_per_slot_source(tier_sub, n_sub, index),
        missing=_per_slot_any(missing_sub, n_sub, index),
    )


def _nearest(series: pd.Series, times: pd.DatetimeIndex) -> np.ndarray:
    """Value of the valid point of ``series`` nearest in time to each of ``times`` (NaN if none)."""
    valid = series.dropna()
    if valid.empty:
        return np.full(len(times), np.nan)
    x = _ns(valid.index)
    t = _ns(times)
    pos = np.clip(np.searchsorted(x, t), 1, max(len(x) - 1, 1))
    left = np.clip(pos - 1, 0, len(x) - 1)
    right = np.clip(pos, 0, len(x) - 1)
    pick = np.where(np.abs(t - x[left]) <= np.abs(x[right] - t), left, right)
    return valid.to_numpy(dtype=float)[pick]


def _column_or_default(
    weather: pd.DataFrame, column: str, times: pd.DatetimeIndex, step: pd.Timedelta, default: float
) -> np.ndarray:
    if column not in weather:
        return np.full(len(times), default)
    utc = pd.DatetimeIndex(weather.index).tz_convert("UTC")
    values = _interp(weather[column].astype(float).set_axis(utc), times, step)
    return np.where(np.isnan(values), default, values)


def _per_slot_source(tier_sub: np.ndarray, n_sub: int, index: pd.DatetimeIndex) -> pd.Series:
    """The worst (least preferred) input tier used within each slot."""
    ranks = tier_sub.reshape(len(index), n_sub)
    worst = np.asarray(TIERS, dtype=object)[ranks.max(axis=1)]
    return pd.Series(worst, index=index, name="pv_input", dtype=object)


def _per_slot_any(flags: np.ndarray, n_sub: int, index: pd.DatetimeIndex) -> pd.Series:
    return pd.Series(flags.reshape(len(index), n_sub).any(axis=1), index=index, name="weather_missing")
