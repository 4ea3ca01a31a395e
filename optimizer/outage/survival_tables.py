"""Survival probabilities by the outage start's month and by its hour of day (Asia/Tokyo), per shelter: the
REopt-style tables of P(first shortfall at or after `threshold_h` hours) over the starts in each group."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.outage.survival import SurvivalInput, simulate_starts
from scenarios.timegrid import TZ

GROUPS = ("month", "hour")


def grouped_probability(
    data: SurvivalInput, hours: np.ndarray, by: str, threshold_h: float, bin_hours: int = 1
) -> pd.DataFrame:
    """P(hours ≥ threshold_h) per shelter (rows) and start month 1..12 or start hour 0..23 (columns; with
    bin_hours > 1 the hour a bin starts, e.g. 0, 3, 6 ...), from `hours` (starts, shelters) as
    simulate_starts returns; a group without starts is left out."""
    if by not in GROUPS:
        raise ValueError(f"by: '{by}' is not one of {', '.join(GROUPS)}")
    if not 1 <= bin_hours <= 24:
        raise ValueError(f"bin_hours: {bin_hours} must be 1..24")
    local = data.starts.tz_convert(TZ)
    key = np.asarray(local.month) if by == "month" else np.asarray(local.hour) // bin_hours * bin_hours
    ok = pd.DataFrame(hours >= threshold_h - 1e-9, columns=pd.Index(data.shelter_ids, name="shelter"))
    table = ok.groupby(key).mean().T
    table.columns = pd.Index([int(c) for c in table.columns], name=by)
    return table


def survival_by(
    data: SurvivalInput, by: str = "month", threshold_h: float | None = None, with_evs: bool = True
) -> pd.DataFrame:
    """P(survive threshold_h, default the whole duration) per shelter by start month or hour (see
    grouped_probability), with or without the cars."""
    hours, _ = simulate_starts(data, with_evs=with_evs)
    limit = data.duration_slots * data.slot_hours if threshold_h is None else threshold_h
    return grouped_probability(data, hours, by, limit)
