"""The weather year of investment planning: the nearest shipped JMA station's measured hours, the Tokyo 2024
year where that station has no record.

The repo ships JMA hourly records for Hiroshima and Fukuoka (2025-08-05..2025-11-15, 103 days) and Tokyo (all of
2024). The analysis year is 2024 (the JEPX Chugoku prices), so 'nearest-jma' takes the station nearest to the
scenario's facilities (their mean position, great-circle km), moves its 2025 hours to the same calendar days of
2024 (weather varies by season, not by weekday) and fills the other days from JMA Tokyo 2024. For Yamaguchi
that is Hiroshima (about 95 km) for 5 Aug - 15 Nov and Tokyo (about 730 km) for the rest: the measured cloud
variability of the nearest station where it exists, a stand-in elsewhere. `describe()` says which.
Indices are UTC at each hour's midpoint (the canonical weather frame of forecasts.providers.jma).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from forecasts.providers.jma import STATIONS, read_jma_csv
from runtime.facades.forecasting import read_weather_file
from scenarios.datasets import JMA_FILES, data_path
from scenarios.model import Scenario

NEAREST = "nearest-jma"
TOKYO = "tokyo-2024"
CLEAR_SKY = "clear-sky"
FILL_STATION = "Tokyo"
ANALYSIS_YEAR = 2024
EARTH_KM = 6371.0


@dataclass(frozen=True)
class WeatherYear:
    """A weather frame for the analysis year (None = clear sky) and what it is made of.

    station: the measured station used where it has a record; station_km: its distance from the scenario's
    facilities (km); measured_days: days of the year from that station, the rest from `fill`.
    """

    frame: pd.DataFrame | None
    name: str
    station: str | None = None
    station_km: float | None = None
    measured_days: int = 0
    fill: str | None = None

    def describe(self) -> str:
        """One line for reports: which station covers which days."""
        if self.frame is None:
            return "clear sky (no weather record)"
        if self.fill is None:
            return f"{self.name}"
        return (
            f"JMA {self.station} ({self.station_km:.0f} km away, the nearest shipped station) on {self.measured_days} "
            f"days moved to {ANALYSIS_YEAR}; JMA {self.fill} {ANALYSIS_YEAR} on the other days"
        )


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(a))


def nearest_station(scenario: Scenario) -> tuple[str, float]:
    """The shipped JMA station nearest to the mean position of the scenario's facilities, and its km."""
    lat = sum(f.latitude for f in scenario.facilities) / len(scenario.facilities)
    lon = sum(f.longitude for f in scenario.facilities) / len(scenario.facilities)
    km = {name: distance_km(lat, lon, *STATIONS[name][:2]) for name in JMA_FILES}
    best = min(km, key=lambda name: km[name])
    return best, km[best]


def _moved_to_year(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """The frame with its index moved by whole years to `year` (same calendar days and hours)."""
    shift = year - int(frame.index[0].year)
    if shift == 0:
        return frame
    out = frame.copy()
    out.index = pd.DatetimeIndex(frame.index + pd.DateOffset(years=shift), name=frame.index.name)
    return out


def nearest_weather(scenario: Scenario) -> WeatherYear:
    """The nearest station's record moved to the analysis year, JMA Tokyo 2024 elsewhere (module docstring)."""
    station, km = nearest_station(scenario)
    fill = read_jma_csv(data_path(JMA_FILES[FILL_STATION]), FILL_STATION)
    if station == FILL_STATION:
        return WeatherYear(fill, TOKYO, station, km, 366, None)
    near = _moved_to_year(read_jma_csv(data_path(JMA_FILES[station]), station), ANALYSIS_YEAR)
    outside = (fill.index < near.index[0]) | (fill.index > near.index[-1])
    frame = pd.concat([fill[outside], near]).sort_index()
    frame.attrs = dict(near.attrs) | {"filled_from": FILL_STATION}
    days = int(pd.DatetimeIndex(near.index).tz_convert("Asia/Tokyo").normalize().nunique())
    return WeatherYear(frame, f"{NEAREST}:{station}", station, km, days, FILL_STATION)


def weather_year(scenario: Scenario, weather: str = NEAREST) -> WeatherYear:
    """'nearest-jma' (default, see the module docstring), 'tokyo-2024', 'clear-sky' or a weather file path."""
    if weather == NEAREST:
        return nearest_weather(scenario)
    if weather == CLEAR_SKY:
        return WeatherYear(None, CLEAR_SKY)
    if weather == TOKYO:
        return WeatherYear(read_jma_csv(data_path(JMA_FILES[FILL_STATION]), FILL_STATION), "JMA Tokyo 2024")
    return WeatherYear(read_weather_file(weather), f"file {weather}")
