"""JMA (気象庁) hourly observation CSVs as shipped in ``scenarios/data/jma_hourly_*.csv``.

JMA labels each hour by its END (hour "13" = 12:00-13:00 JST) and gives GHI as the hour's irradiation;
the file's ``ghi_wm2`` is the hour mean in W/m². The reader moves each row to the hour's midpoint (the
instant that best represents a mean), turns values that JMA marks missing (``col:missing``) into NaN and
converts cloud cover from tenths to %. Source: 気象庁ホームページ, reformatted by the project.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecasts.weather import WEATHER_COLUMNS, as_instantaneous

STATIONS = {  # JMA station: (latitude °N, longitude °E, altitude m)
    "Hiroshima": (34.3983, 132.4617, 3.6),
    "Fukuoka": (33.5817, 130.3750, 2.5),
    "Tokyo": (35.6917, 139.75, 25.2),
}
SOURCE_COLUMNS = {"ghi_wm2": "ghi_wm2", "temp_air_c": "temp_air_c", "wind_speed_ms": "wind_speed_ms"}


def _missing_mask(flags: pd.Series, column: str) -> np.ndarray:
    return flags.fillna("").str.contains(f"{column}:missing", regex=False).to_numpy()


def read_jma_csv(path: str | Path, station: str | None = None) -> pd.DataFrame:
    """Read a JMA hourly CSV into the canonical weather frame (UTC index at each hour's midpoint).

    ``station`` selects one station of a multi-station file (required when the file has several).
    Also returns ``sunshine_h`` (h per hour) for reference; ``attrs`` has provider, station and position.
    """
    raw = pd.read_csv(path)
    names = sorted(raw["station"].unique())
    if station is None:
        if len(names) != 1:
            raise ValueError(f"station: the file has stations {names}; name one")
        station = names[0]
    if station not in names:
        raise ValueError(f"station: '{station}' is not in the file; it has {names}")
    raw = raw[raw["station"] == station]
    end = pd.DatetimeIndex(pd.to_datetime(raw["time_end_jst"], utc=True), name="time")
    frame = pd.DataFrame(index=end)
    flags = raw["quality_flags"].astype("string")
    for target, source in SOURCE_COLUMNS.items():
        values = raw[source].to_numpy(dtype=float)
        flag_name = "ghi_mj_m2" if target == "ghi_wm2" else source
        frame[target] = np.where(_missing_mask(flags, flag_name), np.nan, values)
    frame["cloud_cover_pct"] = raw["cloud_cover_tenths"].to_numpy(dtype=float) * 10.0
    frame["sunshine_h"] = raw["sunshine_h"].to_numpy(dtype=float)
    frame = frame.dropna(axis=1, how="all")
    frame = as_instantaneous(frame, pd.Timedelta(hours=1), label="end")
    lat, lon, alt = STATIONS.get(station, (np.nan, np.nan, np.nan))
    frame.attrs = {
        "provider": "jma",
        "station": station,
        "latitude": lat,
        "longitude": lon,
        "altitude_m": alt,
        "columns": [c for c in WEATHER_COLUMNS if c in frame.columns],
    }
    return frame
