"""P10/P50/P90 bands learned from one facility's own stored forecast-vs-measured pairs, with a fallback.

A pairs frame has one row per (forecast issue, target slot): ``target`` (tz-aware slot start), ``lead_h``
(hours from the issue to the end of the slot), ``forecast`` and ``actual`` (kW), and optionally ``scale``
(kW: the forecast itself for load, the clear-sky power for PV) so that errors are learned relative to it.
:func:`learn_bands` fits :func:`forecasts.uncertainty.fit_error_quantiles` on the last ``window_days`` of
a facility's pairs once at least ``min_pairs`` exist, and otherwise returns the fallback (the city's pooled
bands, or the shipped global ones), saying which it used. :func:`rolling_coverage` measures a band on
held-out data: each day is covered by bands learned only from the days before it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasts.load import critical_load_kw
from forecasts.uncertainty import ErrorQuantiles, apply_error_quantiles, coverage, fit_error_quantiles
from scenarios.model import Facility

SLOT_H = 0.5

MIN_FACILITY_PAIRS = 336  # a week of day-ahead slots (7 x 48): fewer, and P10/P90 rest on a handful of days
DEFAULT_WINDOW_DAYS = 28  # long enough for stable tails, short enough to follow the season
MIN_BUCKET_PAIRS = 30
PAIR_COLUMNS = ("target", "lead_h", "forecast", "actual")


@dataclass(frozen=True)
class LearnedBands:
    """Error quantiles to apply, where they came from ('facility' or 'fallback'), pairs used and why."""

    quantiles: ErrorQuantiles
    source: str
    n_pairs: int
    reason: str


def check_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """The usable rows of a pairs frame (finite forecast, actual, lead and positive scale); names a missing column."""
    missing = [c for c in PAIR_COLUMNS if c not in pairs.columns]
    if missing:
        raise ValueError(f"pairs: missing column(s) {missing}; a pairs frame has {list(PAIR_COLUMNS)} [+ scale]")
    values = pairs[["lead_h", "forecast", "actual"]].to_numpy(dtype=float)
    keep = np.isfinite(values).all(axis=1)
    if "scale" in pairs:
        scale = pairs["scale"].to_numpy(dtype=float)
        keep &= np.isfinite(scale) & (scale > 0)
    usable: pd.DataFrame = pairs[keep]
    return usable


def learn_bands(
    pairs: pd.DataFrame,
    fallback: ErrorQuantiles,
    min_pairs: int = MIN_FACILITY_PAIRS,
    window_days: float = DEFAULT_WINDOW_DAYS,
) -> LearnedBands:
    """Bands from the facility's own pairs of the last ``window_days`` (by target), or ``fallback`` if fewer
    than ``min_pairs`` usable pairs exist. Lead buckets with fewer than MIN_BUCKET_PAIRS borrow the facility's
    pooled quantiles."""
    usable = check_pairs(pairs)
    if len(usable):
        end = pd.DatetimeIndex(usable["target"]).max()
        usable = usable[pd.DatetimeIndex(usable["target"]) > end - pd.Timedelta(days=window_days)]
    if len(usable) < min_pairs:
        return LearnedBands(fallback, "fallback", len(usable), f"{len(usable)} own pairs < {min_pairs}: fallback bands")
    scale = usable["scale"].to_numpy(dtype=float) if "scale" in usable else None
    quantiles = fit_error_quantiles(
        usable["forecast"].to_numpy(dtype=float),
        usable["actual"].to_numpy(dtype=float),
        usable["lead_h"].to_numpy(dtype=float),
        scale,
        bins_h=fallback.bins_h,
        min_pairs=MIN_BUCKET_PAIRS,
    )
    return LearnedBands(quantiles, "facility", len(usable), f"learned from {len(usable)} own pairs")


def apply_bands(pairs: pd.DataFrame, bands: LearnedBands, lower: float = 0.0) -> pd.DataFrame:
    """P10/P50/P90 (kW) for the rows of a pairs frame (its forecast, lead and scale), on the frame's index."""
    scale = pairs["scale"].to_numpy(dtype=float) if "scale" in pairs else None
    forecast = pd.Series(pairs["forecast"].to_numpy(dtype=float), index=pairs.index)
    return apply_error_quantiles(forecast, pairs["lead_h"].to_numpy(dtype=float), bands.quantiles, scale, lower=lower)


def rolling_coverage(
    pairs: pd.DataFrame,
    fallback: ErrorQuantiles,
    min_pairs: int = MIN_FACILITY_PAIRS,
    window_days: float = DEFAULT_WINDOW_DAYS,
) -> pd.DataFrame:
    """Held-out P10-P90 coverage: each JST day of targets gets bands learned from the pairs whose targets end
    before that day (what a service would have known at the day's first issue). One row per day: day, source,
    n, coverage, mean band width (P90 - P10, kW)."""
    usable = check_pairs(pairs)
    days = pd.DatetimeIndex(usable["target"]).tz_convert("Asia/Tokyo").normalize()
    rows = []
    for day in days.unique().sort_values():
        today = usable[days == day]
        bands = learn_bands(usable[days < day], fallback, min_pairs, window_days)
        band = apply_bands(today, bands)
        rows.append(
            {
                "day": day,
                "source": bands.source,
                "n": len(today),
                "coverage": coverage(today["actual"].to_numpy(), band["p10"].to_numpy(), band["p90"].to_numpy()),
                "width_kw": float((band["p90"] - band["p10"]).mean()),
            }
        )
    return pd.DataFrame(rows, columns=["day", "source", "n", "coverage", "width_kw"])


PAIRS_FRAME_COLUMNS = ["target", "lead_h", "forecast", "actual", "issue", "scale"]


def pairs_from_forecasts(forecasts: pd.DataFrame, measured: pd.Series) -> pd.DataFrame:
    """A pairs frame from stored forecasts in long form (one row per forecast value: ``issue`` and ``target``
    tz-aware, ``forecast`` kW per slot start) and the measurement (kW per slot start): each forecast slot with a
    measured value becomes one pair with lead_h = hours from the issue to the slot's end. Columns target, lead_h,
    forecast, actual, issue; scale = the forecast (load), floored at 1 W. Rows keep the order of ``forecasts``."""
    measured = measured.dropna()
    if forecasts.empty or measured.empty:
        return pd.DataFrame(columns=PAIRS_FRAME_COLUMNS)
    target = pd.DatetimeIndex(forecasts["target"])
    joined = forecasts.assign(actual=measured.reindex(target).to_numpy()).dropna(subset=["forecast", "actual"])
    lead_h = (pd.DatetimeIndex(joined["target"]) - pd.DatetimeIndex(joined["issue"])).total_seconds() / 3600.0 + 0.5
    pairs = joined.assign(lead_h=np.asarray(lead_h), scale=joined["forecast"].clip(lower=1e-3))
    return pairs[pairs["lead_h"] > 0][PAIRS_FRAME_COLUMNS].reset_index(drop=True)


def pairs_from_runs(runs: list[tuple[pd.Timestamp, pd.Series]], measured: pd.Series) -> pd.DataFrame:
    """:func:`pairs_from_forecasts` for stored forecast runs given as (issue time, forecast kW per slot start);
    slots ending after a later run's issue are kept (each run is its own forecast)."""
    frames = [
        pd.DataFrame({"issue": issue, "target": forecast.index, "forecast": forecast.to_numpy(dtype=float)})
        for issue, forecast in runs
    ]
    long = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["issue", "target", "forecast"])
    return pairs_from_forecasts(long, measured)


def learn_facility_bands(
    pairs_by_facility: dict[str, pd.DataFrame],
    fallback: ErrorQuantiles,
    min_pairs: int = MIN_FACILITY_PAIRS,
    window_days: float = DEFAULT_WINDOW_DAYS,
) -> dict[str, LearnedBands]:
    """Bands per facility: its own pairs once it has ``min_pairs``; otherwise the city's pooled pairs (all
    facilities' relative errors together, source 'pooled') once the pool has them; otherwise ``fallback``."""
    usable = {fid: check_pairs(p) for fid, p in pairs_by_facility.items()}
    frames = [p for p in usable.values() if len(p)]
    pool = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(PAIR_COLUMNS))
    pooled = learn_bands(pool, fallback, min_pairs, window_days)
    if pooled.source == "facility":
        pooled = LearnedBands(pooled.quantiles, "pooled", pooled.n_pairs, f"city pool of {pooled.n_pairs} pairs")
    out = {}
    for fid, pairs in usable.items():
        own = learn_bands(pairs, pooled.quantiles, min_pairs, window_days)
        out[fid] = (
            own
            if own.source == "facility"
            else LearnedBands(pooled.quantiles, pooled.source, own.n_pairs, f"{own.reason}; {pooled.reason}")
        )
    return out


def shelter_reserve_margin_kwh(
    facility: Facility, index: pd.DatetimeIndex, quantiles: ErrorQuantiles, hours: float | None = None
) -> tuple[float, float]:
    """Extra reserve (kWh) a shelter keeps for load-forecast error, and the window it covers (h).

    Sum over the first N hours of ``index`` of max(0, P90 - P50) of the shelter's critical load (kW) x 0.5 h,
    N = ``hours`` or the shelter's reserve_hours, capped at the horizon; P50/P90 from relative error quantiles
    by lead (slot t has lead (t + 1) x 0.5 h). (0, 0) for a facility that is not a shelter.
    """
    if facility.shelter is None:
        return 0.0, 0.0
    n = min(len(index), round((hours if hours is not None else facility.shelter.reserve_hours) / SLOT_H))
    critical = critical_load_kw(facility, index[:n])
    lead_h = (np.arange(n) + 1) * SLOT_H
    bands = apply_error_quantiles(critical, lead_h, quantiles, scale=critical.to_numpy())
    return float((bands["p90"] - bands["p50"]).clip(lower=0.0).sum() * SLOT_H), n * SLOT_H
