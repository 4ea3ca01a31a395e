"""Solar position (NREL SPA via pvlib.spa) with the site-independent half computed once per time array.

pvlib's ``spa_python`` spends most of its time on the heliocentric and nutation series, which depend only
on the time, not on the site. A scenario forecasts dozens of facilities on one time index, so this module
evaluates that half once (cached for the last few time arrays) and only the topocentric half per site.
The arithmetic is pvlib's own (the same ``pvlib.spa`` functions in the same order as
``spa.solar_position_numpy``); ΔT comes from ``spa.calculate_deltat`` (about 69 s in 2024) where
``get_solarposition`` defaults to 67 s, so angles agree with it to about 1e-3 degrees.

Angles in degrees; pressure from altitude (pvlib.atmosphere.alt2pres), air temperature 12 °C and
refraction 0.5667° as pvlib's defaults.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pvlib import atmosphere, spa

CACHE_SIZE = 4
TEMP_C = 12.0
ATMOS_REFRACT = 0.5667


@dataclass(frozen=True)
class _Geocentric:
    v: np.ndarray
    alpha: np.ndarray
    delta: np.ndarray
    xi: np.ndarray


_cache: OrderedDict[tuple[int, int, int, int], _Geocentric] = OrderedDict()


def _geocentric(times: pd.DatetimeIndex) -> _Geocentric:
    ns = pd.DatetimeIndex(times).tz_convert("UTC").as_unit("ns").asi8
    key = (int(ns[0]) if len(ns) else 0, int(ns[-1]) if len(ns) else 0, len(ns), hash(ns.tobytes()))
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    utc = pd.DatetimeIndex(times).tz_convert("UTC")
    unixtime = ns / 1e9
    delta_t = spa.calculate_deltat(utc.year.to_numpy(), utc.month.to_numpy())
    jd = spa.julian_day(unixtime)
    jde = spa.julian_ephemeris_day(jd, delta_t)
    jc = spa.julian_century(jd)
    jce = spa.julian_ephemeris_century(jde)
    jme = spa.julian_ephemeris_millennium(jce)
    radius = spa.heliocentric_radius_vector(jme)
    theta = spa.geocentric_longitude(spa.heliocentric_longitude(jme))
    beta = spa.geocentric_latitude(spa.heliocentric_latitude(jme))
    nutation = np.empty((2, len(jce)))
    spa.longitude_obliquity_nutation(
        jce,
        spa.mean_elongation(jce),
        spa.mean_anomaly_sun(jce),
        spa.mean_anomaly_moon(jce),
        spa.moon_argument_latitude(jce),
        spa.moon_ascending_longitude(jce),
        nutation,
    )
    delta_psi, delta_epsilon = nutation[0], nutation[1]
    epsilon = spa.true_ecliptic_obliquity(spa.mean_ecliptic_obliquity(jme), delta_epsilon)
    lamd = spa.apparent_sun_longitude(theta, delta_psi, spa.aberration_correction(radius))
    v = spa.apparent_sidereal_time(spa.mean_sidereal_time(jd, jc), delta_psi, epsilon)
    geo = _Geocentric(
        v=v,
        alpha=spa.geocentric_sun_right_ascension(lamd, epsilon, beta),
        delta=spa.geocentric_sun_declination(lamd, epsilon, beta),
        xi=spa.equatorial_horizontal_parallax(radius),
    )
    _cache[key] = geo
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return geo


def solar_position(times: pd.DatetimeIndex, latitude: float, longitude: float, altitude_m: float) -> pd.DataFrame:
    """Columns apparent_zenith, zenith, azimuth (degrees) at ``times`` for one site."""
    geo = _geocentric(times)
    pressure = atmosphere.alt2pres(altitude_m) / 100.0  # hPa for SPA
    hour_angle = spa.local_hour_angle(geo.v, longitude, geo.alpha)
    u = spa.uterm(latitude)
    x = spa.xterm(u, latitude, altitude_m)
    y = spa.yterm(u, latitude, altitude_m)
    delta_alpha = spa.parallax_sun_right_ascension(x, geo.xi, hour_angle, geo.delta)
    delta_prime = spa.topocentric_sun_declination(geo.delta, x, y, geo.xi, delta_alpha, hour_angle)
    h_prime = spa.topocentric_local_hour_angle(hour_angle, delta_alpha)
    e0 = spa.topocentric_elevation_angle_without_atmosphere(latitude, delta_prime, h_prime)
    delta_e = spa.atmospheric_refraction_correction(pressure, TEMP_C, e0, ATMOS_REFRACT)
    elevation = spa.topocentric_elevation_angle(e0, delta_e)
    azimuth = spa.topocentric_azimuth_angle(spa.topocentric_astronomers_azimuth(h_prime, delta_prime, latitude))
    return pd.DataFrame({"apparent_zenith": 90.0 - elevation, "zenith": 90.0 - e0, "azimuth": azimuth}, index=times)


def clear_cache() -> None:
    """Forget the cached site-independent terms (benchmarks time cold runs with it)."""
    _cache.clear()
