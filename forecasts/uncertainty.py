"""P10/P50/P90 bands from the empirical distribution of forecast errors by lead time.

Errors are actual - forecast, optionally divided by a scale (for PV the clear-sky power, so that an error
learned at noon is not applied at dawn). ``fit_error_quantiles`` learns the 10th/50th/90th percentile of
the scaled error in each lead bucket; ``apply_error_quantiles`` adds them back to a new forecast
(kW in, kW out), clipped to [lower, upper]. The quantiles are the optimiser's reserve-sizing input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasts.backtest import LEAD_BINS_H, lead_labels

QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class ErrorQuantiles:
    """Quantiles of (actual - forecast) / scale per lead bucket: a frame indexed by bucket, columns q10/q50/q90."""

    table: pd.DataFrame
    bins_h: tuple[float, ...] = LEAD_BINS_H


def fit_error_quantiles(
    forecast: np.ndarray,
    actual: np.ndarray,
    lead_h: np.ndarray,
    scale: np.ndarray | None = None,
    bins_h: tuple[float, ...] = LEAD_BINS_H,
    min_pairs: int = 10,
) -> ErrorQuantiles:
    """Learn error quantiles per lead bucket from forecast/actual pairs (NaN pairs dropped).

    Buckets with fewer than ``min_pairs`` pairs borrow the pooled quantiles of all pairs.
    """
    f = np.asarray(forecast, dtype=float)
    a = np.asarray(actual, dtype=float)
    s = np.ones_like(f) if scale is None else np.asarray(scale, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        err = (a - f) / s
    keep = np.isfinite(err)
    if not keep.any():
        raise ValueError("fit_error_quantiles: no finite forecast/actual pair to learn from")
    frame = pd.DataFrame({"err": err[keep], "lead": lead_labels(np.asarray(lead_h, dtype=float)[keep], bins_h)})
    pooled = np.quantile(frame["err"], QUANTILES)
    rows = {}
    for label in lead_labels(np.asarray(bins_h[1:]), bins_h):
        group = frame.loc[frame["lead"] == label, "err"].to_numpy()
        rows[label] = np.quantile(group, QUANTILES) if len(group) >= min_pairs else pooled
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["q10", "q50", "q90"])
    return ErrorQuantiles(table=table, bins_h=bins_h)


def apply_error_quantiles(
    forecast: pd.Series,
    lead_h: np.ndarray,
    model: ErrorQuantiles,
    scale: np.ndarray | None = None,
    lower: float = 0.0,
    upper: float | None = None,
) -> pd.DataFrame:
    """P10/P50/P90 columns (``p10``, ``p50``, ``p90``, unit of ``forecast``) on the forecast's index."""
    labels = lead_labels(np.asarray(lead_h, dtype=float), model.bins_h)
    q = model.table.loc[labels].to_numpy()
    s = np.ones(len(forecast)) if scale is None else np.asarray(scale, dtype=float)
    base = forecast.to_numpy(dtype=float)
    out = base[:, None] + q * s[:, None]
    out = np.clip(out, lower, upper if upper is not None else np.inf)
    out = np.sort(out, axis=1)  # keep P10 <= P50 <= P90 after clipping
    return pd.DataFrame(out, index=forecast.index, columns=["p10", "p50", "p90"])


def coverage(actual: np.ndarray, low: np.ndarray, high: np.ndarray) -> float:
    """Fraction of finite actual values inside [low, high] (0.8 expected for a calibrated P10-P90 band)."""
    a, lo, hi = (np.asarray(x, dtype=float) for x in (actual, low, high))
    keep = np.isfinite(a) & np.isfinite(lo) & np.isfinite(hi)
    return float(np.mean((a[keep] >= lo[keep]) & (a[keep] <= hi[keep]))) if keep.any() else float("nan")


def constant_error_quantiles(
    q10: float = 0.0, q50: float = 0.0, q90: float = 0.0, bins_h: tuple[float, ...] = LEAD_BINS_H
) -> ErrorQuantiles:
    """The same relative error quantiles in every lead bucket (zeros: a band of no width, "nothing learned")."""
    labels = lead_labels(np.asarray(bins_h[1:]), bins_h)
    table = pd.DataFrame({"q10": q10, "q50": q50, "q90": q90}, index=pd.Index(labels))
    return ErrorQuantiles(table=table, bins_h=bins_h)
