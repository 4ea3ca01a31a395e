"""The weather-input interface of the PV forecaster: one canonical frame that every provider returns.

A weather frame is a pandas DataFrame with a tz-aware DatetimeIndex and any of these columns (units in the
name): ``ghi_wm2``, ``dni_wm2``, ``dhi_wm2`` (W/m²), ``temp_air_c`` (°C), ``wind_speed_ms`` (m/s at 10 m),
``cloud_cover_pct`` (0-100 %). Each value is valid at its index time (instantaneous). Providers that
deliver interval means move the label to the interval midpoint with :func:`as_instantaneous`, so the
forecaster never has to know a provider's labelling convention. NaN means missing: the forecaster falls
back for that row and flags the affected slots.

``attrs`` carries provenance: ``provider`` (e.g. 'jma', 'open-meteo'), optional ``station``, ``latitude``,
``longitude``. :func:`station_distance` says how far that position is from a site and warns beyond 50 km.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import pandas as pd

from scenarios.timegrid import require_aware_index

logger = logging.getLogger(__name__)

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


EARTH_RADIUS_KM = 6371.0
DEFAULT_MAX_STATION_KM = 50.0
MINUTES_PER_DEGREE = 4.0  # the sun crosses 1° of longitude in 4 minutes


@dataclass(frozen=True)
class StationDistance:
    """How far a weather input's position is from the site: great-circle km, and the shift of solar noon in
    minutes (station minus site: negative means the sun culminates earlier there, e.g. Tokyo -33 min from
    Yamaguchi). ``warning`` is a sentence for the operator when the station is beyond the limit, else None."""

    distance_km: float
    noon_shift_min: float
    warning: str | None


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in km between two positions in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def weather_position(weather: pd.DataFrame) -> tuple[float, float] | None:
    """(latitude, longitude) in degrees recorded in a weather frame's ``attrs``, or None if not recorded."""
    lat, lon = weather.attrs.get("latitude"), weather.attrs.get("longitude")
    if lat is None or lon is None or not (math.isfinite(float(lat)) and math.isfinite(float(lon))):
        return None
    return float(lat), float(lon)


def weather_distance_km(weather: pd.DataFrame | None, latitude: float, longitude: float) -> float | None:
    """Great-circle km from a weather frame's recorded position to a site (None without weather or position)."""
    position = None if weather is None else weather_position(weather)
    return None if position is None else great_circle_km(*position, latitude, longitude)


def station_distance(
    weather: pd.DataFrame, latitude: float, longitude: float, max_km: float = DEFAULT_MAX_STATION_KM
) -> StationDistance | None:
    """Distance of the weather frame's position (``attrs`` latitude/longitude) from a site, or None if unknown.

    Beyond ``max_km`` the weather describes another sky (clouds pass at other times; the sun culminates at
    another time), so a warning is logged and returned for the forecast record and the operator's events.
    """
    position = weather_position(weather)
    if position is None:
        return None
    km = great_circle_km(*position, latitude, longitude)
    shift = -(position[1] - longitude) * MINUTES_PER_DEGREE
    warning = None
    if km > max_km:
        name = weather.attrs.get("station") or weather.attrs.get("provider") or "the weather input"
        when = "earlier" if shift < 0 else "later"
        warning = (
            f"weather from {name} is {km:.0f} km from the site ({latitude:.3f} N, {longitude:.3f} E), beyond "
            f"{max_km:.0f} km; its solar noon is {abs(shift):.0f} min {when}: give weather for the site"
        )
        logger.warning(warning)
    return StationDistance(distance_km=km, noon_shift_min=shift, warning=warning)
