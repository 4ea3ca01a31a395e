"""Constructed weather forecasts for backtests where no recorded forecast exists (mechanics, not skill).

The JMA stations ship measurements only. To exercise the weather-forecast path on Japanese data, a forecast
clear-sky index is constructed from the measured one plus an AR(1) error whose standard deviation and
step-to-step correlation are fitted on a real forecast's errors (:func:`fit_kt_error_ar1`, on the EMHASS
recorded PV forecast vs measured PV). Its skill is set by that error model, so a constructed forecast shows
that blending works, never how good a real forecast at that station would be. Seeded, so runs repeat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasts.blend import KT_CAP


@dataclass(frozen=True)
class KtErrorAR1:
    """AR(1) model of a forecast's clear-sky-index error e = kt_forecast - kt_actual: e_t = phi e_{t-1} + eps,
    stationary standard deviation ``sigma`` (dimensionless) and ``phi`` per ``step``; ``n`` pairs fitted."""

    sigma: float
    phi: float
    step: pd.Timedelta
    n: int

    def at_step(self, step: pd.Timedelta) -> float:
        """The step correlation for another sampling step (phi ** (step / own step))."""
        return float(self.phi ** (step / self.step))


def fit_kt_error_ar1(kt_forecast: pd.Series, kt_actual: pd.Series) -> KtErrorAR1:
    """Fit sigma and phi on consecutive daylight pairs of a regular series (both kt, same index)."""
    index = pd.DatetimeIndex(kt_actual.index)
    error = (kt_forecast.reindex(index) - kt_actual).to_numpy(dtype=float)
    now, before = error[1:], error[:-1]
    both = np.isfinite(now) & np.isfinite(before)
    if both.sum() < 10:
        raise ValueError(f"fit_kt_error_ar1: {int(both.sum())} consecutive error pairs; need at least 10")
    phi = float(np.corrcoef(now[both], before[both])[0, 1])
    sigma = float(np.nanstd(error))
    return KtErrorAR1(sigma=sigma, phi=phi, step=pd.Timedelta(index[1] - index[0]), n=int(both.sum()))


def constructed_weather_kt(kt_actual: pd.Series, error: KtErrorAR1, seed: int = 0) -> pd.Series:
    """kt_actual + AR(1) noise (the error model re-sampled to the series' step), clipped to [0, KT_CAP]."""
    index = pd.DatetimeIndex(kt_actual.index)
    phi = error.at_step(pd.Timedelta(index[1] - index[0]))
    rng = np.random.default_rng(seed)
    shocks = rng.normal(0.0, error.sigma * np.sqrt(max(1.0 - phi**2, 0.0)), len(index))
    noise = np.empty(len(index))
    noise[0] = rng.normal(0.0, error.sigma)
    for t in range(1, len(index)):
        noise[t] = phi * noise[t - 1] + shocks[t]
    values = np.clip(kt_actual.to_numpy(dtype=float) + noise, 0.0, KT_CAP)
    return pd.Series(values, index=index, name="kt_constructed")
