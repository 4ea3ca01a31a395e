"""Representative days: the medoid day of each (season, day type) group of a year, weighted by the group's size.

Seasons by local month: winter Dec-Feb, spring Mar-May, summer Jun-Aug, autumn Sep-Nov; day types 'weekday' and
'holiday' (Saturdays, Sundays and Japanese holidays). A day's features are its 48-slot profiles (any columns,
each scaled by its year maximum); the medoid is the day with the least summed Euclidean distance to the others
of its group. Weights sum to the days of the year given (365 for a 365-day year).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEASON_OF_MONTH = {12: "winter", 1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring"}
SEASON_OF_MONTH |= {6: "summer", 7: "summer", 8: "summer", 9: "autumn", 10: "autumn", 11: "autumn"}


@dataclass(frozen=True)
class RepresentativeDays:
    """Chosen days (index into the year's days), their weights (days stood for) and group labels."""

    days: tuple[int, ...]
    weights: np.ndarray
    labels: tuple[str, ...]


def pick_days(features: np.ndarray, months: np.ndarray, holidays: np.ndarray) -> RepresentativeDays:
    """Medoid day per (season, day type) group.

    features: (days, n) per-day profiles (e.g. load, PV per kWp and price, 48 slots each, concatenated);
    months: (days,) local month 1..12; holidays: (days,) True for Saturdays, Sundays and holidays.
    """
    if features.shape[0] != len(months) or len(months) != len(holidays):
        raise ValueError("features, months and holidays need one row per day of the year")
    scale = np.abs(features).max(axis=0)
    scaled = features / np.where(scale > 0, scale, 1.0)
    days: list[int] = []
    weights: list[float] = []
    labels: list[str] = []
    for season in ("winter", "spring", "summer", "autumn"):
        for kind, flag in (("weekday", False), ("holiday", True)):
            members = np.flatnonzero(np.array([SEASON_OF_MONTH[int(m)] == season for m in months]) & (holidays == flag))
            if len(members) == 0:
                continue
            block = scaled[members]
            distance = np.sqrt(((block[:, None, :] - block[None, :, :]) ** 2).sum(axis=2)).sum(axis=1)
            days.append(int(members[int(np.argmin(distance))]))
            weights.append(float(len(members)))
            labels.append(f"{season}/{kind}")
    return RepresentativeDays(tuple(days), np.array(weights), tuple(labels))
