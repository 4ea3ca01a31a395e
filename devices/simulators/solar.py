"""A small clear-sky PV model for the simulators (pvlib is reserved for ``forecasts``).

Solar position from the NOAA/Spencer series (equation of time and declination, accuracy ~0.5°),
Haurwitz clear-sky GHI, a fixed clear-sky diffuse fraction, plane-of-array irradiance from the
cosine of the incidence angle, a linear cell-temperature derate and inverter clipping.
Times are tz-aware; angles in degrees; irradiance in W/m²; power in kW.
"""

from __future__ import annotations

import datetime as dt
import math

from scenarios.assets import PVArray

DIFFUSE_FRACTION = 0.15
ALBEDO = 0.2


def solar_vector(when: dt.datetime, latitude: float, longitude: float) -> tuple[float, float, float]:
    """Unit vector towards the sun in local (east, north, up) coordinates at tz-aware ``when``."""
    if when.tzinfo is None:
        raise ValueError("solar_vector needs a tz-aware time (got a naive datetime)")
    utc = when.astimezone(dt.UTC)
    hour = utc.hour + utc.minute / 60 + utc.second / 3600
    gamma = 2 * math.pi / 365 * (utc.timetuple().tm_yday - 1 + (hour - 12) / 24)
    eqtime = 229.18 * (
        0.000075
        + 0.001868 * math.cos(gamma)
        - 0.032077 * math.sin(gamma)
        - 0.014615 * math.cos(2 * gamma)
        - 0.040849 * math.sin(2 * gamma)
    )
    decl = (
        0.006918
        - 0.399912 * math.cos(gamma)
        + 0.070257 * math.sin(gamma)
        - 0.006758 * math.cos(2 * gamma)
        + 0.000907 * math.sin(2 * gamma)
        - 0.002697 * math.cos(3 * gamma)
        + 0.00148 * math.sin(3 * gamma)
    )
    true_solar_min = hour * 60 + eqtime + 4 * longitude
    ha = math.radians(true_solar_min / 4 - 180)
    phi = math.radians(latitude)
    east = -math.cos(decl) * math.sin(ha)
    north = math.cos(phi) * math.sin(decl) - math.sin(phi) * math.cos(decl) * math.cos(ha)
    up = math.sin(phi) * math.sin(decl) + math.cos(phi) * math.cos(decl) * math.cos(ha)
    return east, north, up


def haurwitz_ghi(cos_zenith: float) -> float:
    """Clear-sky global horizontal irradiance in W/m² (Haurwitz 1945); 0 when the sun is down."""
    if cos_zenith <= 0:
        return 0.0
    return 1098.0 * cos_zenith * math.exp(-0.057 / cos_zenith)


def poa_irradiance(when: dt.datetime, latitude: float, longitude: float, tilt_deg: float, azimuth_deg: float) -> float:
    """Clear-sky plane-of-array irradiance in W/m² on a surface (azimuth clockwise from north)."""
    east, north, up = solar_vector(when, latitude, longitude)
    ghi = haurwitz_ghi(up)
    if ghi <= 0:
        return 0.0
    beta, gam = math.radians(tilt_deg), math.radians(azimuth_deg)
    cos_inc = east * math.sin(beta) * math.sin(gam) + north * math.sin(beta) * math.cos(gam) + up * math.cos(beta)
    dhi = DIFFUSE_FRACTION * ghi
    dni = (ghi - dhi) / max(up, 0.05)
    return dni * max(cos_inc, 0.0) + dhi * (1 + math.cos(beta)) / 2 + ghi * ALBEDO * (1 - math.cos(beta)) / 2


def pv_ac_kw(array: PVArray, when: dt.datetime, latitude: float, longitude: float, cloud_factor: float = 1.0) -> float:
    """AC power in kW of ``array``: clear sky × ``cloud_factor`` (0..1), losses, temperature, clipping."""
    poa = poa_irradiance(when, latitude, longitude, array.tilt_deg, array.azimuth_deg) * min(max(cloud_factor, 0), 1)
    cell_temp_c = 20.0 + poa / 800.0 * 25.0
    dc_kw = array.kwp * poa / 1000.0 * (1 - array.losses_pct / 100) * (1 + array.temp_coeff_per_c * (cell_temp_c - 25))
    return max(0.0, min(dc_kw, array.inverter_kw))


def cloud_factor(when: dt.datetime, seed: int) -> float:
    """A smooth, deterministic cloud factor 0.3..1.0 for a facility (seeded), varying over tens of minutes."""
    t = when.timestamp() / 60.0
    wave = math.sin(t / 23.0 + seed) * 0.5 + math.sin(t / 7.3 + 2 * seed) * 0.3 + math.sin(t / 61.0 + seed / 3) * 0.2
    return 0.65 + 0.35 * wave
