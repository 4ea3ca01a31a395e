"""PV power forecasts per array and per facility with pvlib (AC kW per 30-min slot).

Chain per array, evaluated at 5-min sub-interval midpoints and averaged per slot (interval average, slot
named by its start): solar position -> GHI/DNI/DHI (:mod:`forecasts.sky`, from weather or clear sky) ->
Hay-Davies transposition to the plane of array -> physical incidence-angle modifier on the beam ->
Faiman cell temperature -> PVWatts DC (kWp, temperature coefficient) -> system losses (losses_pct) ->
PVWatts inverter efficiency with clipping at the array's inverter_kw.

Units: kW (AC) out; irradiance W/m²; temperatures °C. Every index must be tz-aware; UTC and JST
indexes of the same instants give the same values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pvlib

from forecasts.sky import TIERS, SkyState, sky_state
from forecasts.weather import weather_distance_km
from scenarios.assets import PVArray
from scenarios.model import Facility
from scenarios.timegrid import require_aware_index

INVERTER_ETA_NOM = 0.96
ALBEDO = 0.2


@dataclass(frozen=True)
class PVForecast:
    """An AC PV forecast in kW per slot with a record of its inputs.

    ``source`` is the input the forecast was built on (one of ``forecasts.sky.TIERS``: 'ghi_dni_dhi',
    'ghi', 'cloud_cover', 'clear_sky'), ``slot_source`` the input used in each slot (slots without weather
    fall back to clear sky) and ``missing`` flags slots whose weather values were missing while the sun was up.
    ``station_km`` is the distance in km from the weather's recorded position to the site (None if the
    weather records no position or there is no weather; see :func:`forecasts.weather.station_distance`).
    """

    ac_kw: pd.Series
    source: str
    slot_source: pd.Series
    missing: pd.Series
    station_km: float | None = None

    @property
    def any_missing(self) -> bool:
        """True if any slot had missing weather values."""
        return bool(self.missing.any())


def array_ac_kw(array: PVArray, sky: SkyState) -> np.ndarray:
    """Instantaneous AC power in kW of one array at each of ``sky.times`` (clipped at inverter_kw)."""
    total = pvlib.irradiance.get_total_irradiance(
        array.tilt_deg,
        array.azimuth_deg,
        sky.zenith,
        sky.azimuth,
        sky.dni,
        sky.ghi,
        sky.dhi,
        dni_extra=sky.dni_extra,
        airmass=sky.airmass,
        albedo=ALBEDO,
        model="haydavies",
    )
    aoi = pvlib.irradiance.aoi(array.tilt_deg, array.azimuth_deg, sky.zenith, sky.azimuth)
    iam = pvlib.iam.physical(aoi)
    poa_direct = np.nan_to_num(np.asarray(total["poa_direct"], dtype=float))
    poa_diffuse = np.nan_to_num(np.asarray(total["poa_diffuse"], dtype=float))
    poa_global = np.clip(poa_direct + poa_diffuse, 0.0, None)
    effective = np.clip(poa_direct * np.nan_to_num(np.asarray(iam, dtype=float)) + poa_diffuse, 0.0, None)
    temp_cell = pvlib.temperature.faiman(poa_global, sky.temp_air, sky.wind_speed)
    dc = pvlib.pvsystem.pvwatts_dc(effective, temp_cell, array.kwp, array.temp_coeff_per_c)
    dc = np.clip(np.asarray(dc, dtype=float), 0.0, None) * (1.0 - array.losses_pct / 100.0)
    ac = pvlib.inverter.pvwatts(dc, array.inverter_kw / INVERTER_ETA_NOM, eta_inv_nom=INVERTER_ETA_NOM)
    return np.asarray(np.clip(np.nan_to_num(np.asarray(ac, dtype=float)), 0.0, array.inverter_kw), dtype=float)


def slot_mean(values: np.ndarray, sky: SkyState, index: pd.DatetimeIndex, name: str) -> pd.Series:
    """Mean of sub-slot values per slot, as a Series on ``index``."""
    return pd.Series(values.reshape(len(index), sky.n_sub).mean(axis=1), index=index, name=name)


def forecast_array(
    array: PVArray,
    facility: Facility,
    index: pd.DatetimeIndex,
    weather: pd.DataFrame | None = None,
    sampling: str = "interval",
) -> PVForecast:
    """Forecast one array with its input record; ``sampling`` 'interval' (slot mean) or 'instantaneous' (at start)."""
    index = require_aware_index(index, "index")
    sky = sky_state(facility, index, weather, sampling)
    ac = slot_mean(array_ac_kw(array, sky), sky, index, f"{array.id}_kw")
    km = weather_distance_km(weather, facility.latitude, facility.longitude)
    return PVForecast(ac, _dominant(sky.source), sky.source, sky.missing, km)


def forecast_array_pv(
    array: PVArray, facility: Facility, index: pd.DatetimeIndex, weather: pd.DataFrame | None = None
) -> pd.Series:
    """AC power in kW of one array, interval average over each 30-min slot named by its start.

    ``weather`` None means clear sky (pvlib Ineichen with pvlib's Linke turbidity, offline). The input used
    is in ``result.attrs['pv_input']``, missing weather in ``result.attrs['weather_missing']`` (bool) and the
    weather position's distance from the site in ``result.attrs['station_km']`` (km or None).
    """
    result = forecast_array(array, facility, index, weather)
    return _with_attrs(result.ac_kw, result)


def forecast_facility(
    facility: Facility, index: pd.DatetimeIndex, weather: pd.DataFrame | None = None, sampling: str = "interval"
) -> tuple[pd.DataFrame, PVForecast]:
    """Per-array AC kW (one column per array id) and the facility total as a PVForecast (shared sky)."""
    index = require_aware_index(index, "index")
    if not facility.pv_arrays:
        zeros = pd.Series(0.0, index=index, name="pv_kw")
        none = pd.Series("clear_sky", index=index, name="pv_input", dtype=object)
        return pd.DataFrame(index=index), PVForecast(
            zeros, "clear_sky", none, pd.Series(False, index=index, name="weather_missing")
        )
    sky = sky_state(facility, index, weather, sampling)
    columns = {a.id: slot_mean(array_ac_kw(a, sky), sky, index, a.id).to_numpy() for a in facility.pv_arrays}
    frame = pd.DataFrame(columns, index=index)
    total = frame.sum(axis=1).rename("pv_kw")
    km = weather_distance_km(weather, facility.latitude, facility.longitude)
    return frame, PVForecast(total, _dominant(sky.source), sky.source, sky.missing, km)


def forecast_facility_pv(facility: Facility, index: pd.DatetimeIndex, weather: pd.DataFrame | None = None) -> pd.Series:
    """AC PV power in kW of all the facility's arrays (zeros if none), slot interval average, name 'pv_kw'."""
    _, result = forecast_facility(facility, index, weather)
    return _with_attrs(result.ac_kw, result)


def _dominant(source: pd.Series) -> str:
    """The best input tier used in any slot (the forecast's declared input)."""
    present = set(source)
    return next(t for t in TIERS if t in present)


def _with_attrs(series: pd.Series, result: PVForecast) -> pd.Series:
    out = series.copy()
    out.attrs["pv_input"] = result.source
    out.attrs["weather_missing"] = result.any_missing
    out.attrs["station_km"] = result.station_km
    return out
