"""Measured-yield correction: a scale learned from forecast-vs-measured pairs of one array.

A plant that under-performs its nameplate (soiling, shading, degraded strings, a wrong kWp) should not be
over-forecast. Weather errors must not be mistaken for plant errors, so the scale is learned only from
slots where both the forecast and the measurement are near clear sky: clear-sky index of the forecast
k_f = forecast / clear and of the measurement k_m = measured / clear, both >= ``min_kt``. On those
pairs the scale is the ratio of sums Σ measured / Σ forecast (energy-weighted), clipped to [0.3, 1.2].
Without past weather, :func:`fit_clear_day_correction` uses the clearest days of telemetry against the
clear-sky forecast instead. Units: kW in, kW out; the scale is dimensionless.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

SCALE_LIMITS = (0.3, 1.2)


@dataclass(frozen=True)
class YieldCorrection:
    """Multiplicative correction of an array's forecast; ``n_pairs`` clear-sky slots were used."""

    scale: float
    n_pairs: int
    reason: str


def fit_yield_correction(
    forecast_kw: pd.Series,
    measured_kw: pd.Series,
    clear_kw: pd.Series,
    min_kt: float = 0.8,
    min_clear_fraction: float = 0.2,
    min_pairs: int = 8,
) -> YieldCorrection:
    """Learn the scale from aligned series (same index; kW). Returns scale 1.0 with a reason if too few pairs.

    Slots whose clear-sky power is below ``min_clear_fraction`` of its maximum (dawn, dusk) are ignored.
    """
    frame = pd.concat({"f": forecast_kw, "m": measured_kw, "c": clear_kw}, axis=1).dropna()
    frame = frame[frame["c"] >= min_clear_fraction * frame["c"].max()] if len(frame) else frame
    with np.errstate(invalid="ignore", divide="ignore"):
        clearish = (frame["f"] / frame["c"] >= min_kt) & (frame["m"] / frame["c"] >= min_kt * 0.5)
    # the measured side may be low because the plant under-performs: accept down to half of min_kt,
    # but reject slots where the measurement says "cloudy" while the forecast says "clear" (k_m < min_kt/2)
    pairs = frame[clearish]
    if len(pairs) < min_pairs or pairs["f"].sum() <= 0:
        return YieldCorrection(1.0, len(pairs), f"too few clear-sky pairs ({len(pairs)} < {min_pairs})")
    raw = float(pairs["m"].sum() / pairs["f"].sum())
    scale = float(np.clip(raw, *SCALE_LIMITS))
    if scale != raw:
        logger.warning("yield correction %.3f clipped to %.3f", raw, scale)
    return YieldCorrection(scale, len(pairs), "learned from clear-sky pairs")


def fit_clear_day_correction(
    measured_kw: pd.Series, clear_kw: pd.Series, top_fraction: float = 0.2, min_days: int = 3
) -> YieldCorrection:
    """Scale from telemetry alone (no past weather): the mean daily ratio Σ measured / Σ clear-sky forecast
    over the clearest ``top_fraction`` of days (the days with the highest ratios; at least 2 days).

    On a clear day the ratio is the plant's performance against its model; cloudy days only lower it, so
    the top days isolate the plant. Needs ``min_days`` days with both series; JST days.
    """
    frame = pd.concat({"m": measured_kw, "c": clear_kw}, axis=1).dropna()
    days = pd.DatetimeIndex(frame.index).tz_convert("Asia/Tokyo").date
    daily = frame.groupby(days).sum()
    daily = daily[daily["c"] > 0]
    if len(daily) < min_days:
        return YieldCorrection(1.0, len(daily), f"too few days of telemetry ({len(daily)} < {min_days})")
    ratios = np.sort((daily["m"] / daily["c"]).to_numpy())[::-1]
    top = ratios[: max(2, round(top_fraction * len(ratios)))]
    scale = float(np.clip(top.mean(), *SCALE_LIMITS))
    return YieldCorrection(scale, len(top), f"mean ratio of the {len(top)} clearest of {len(ratios)} days")


def apply_yield_correction(
    forecast_kw: pd.Series, correction: YieldCorrection, limit_kw: float | None = None
) -> pd.Series:
    """Scaled forecast in kW (clipped at ``limit_kw``, e.g. the inverter limit, if given)."""
    out = forecast_kw * correction.scale
    if limit_kw is not None:
        out = out.clip(upper=limit_kw)
    out.attrs = {**forecast_kw.attrs, "yield_scale": correction.scale}
    return out
