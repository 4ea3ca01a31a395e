"""Simulated actual PV and load of a delivery day, and the forecasts an operator has at each lead time.

The "forecast" is the engine's own day-ahead forecast (pvlib clear-sky PV per array, day-type load from the
scenario's shipped load shapes: ``runtime.facades.dayahead_planning.plan_inputs``). Nothing measured exists for
the facilities, so the actual is that forecast times (1 + e), with e a per-facility AR(1) series in slots:
e_0 ~ N(0, sigma), e_t = rho e_(t-1) + sqrt(1 - rho^2) sigma z_t (sigma = ``load_error`` or ``pv_error``),
seeded by (seed, date, facility), actual clipped at 0 kW. A forecast made L hours before a slot keeps the share
sqrt(min(L, 24) / 24) of that error (the day-ahead forecast keeps all of it): intraday re-plans see better
forecasts as the slot comes nearer, as real nowcasts do. Powers in kW (slot means).
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from runtime.backtest.config import BacktestConfig

FULL_ERROR_LEAD_H = 24.0
"""Lead time (h) from which a forecast carries the whole day-ahead error."""


@dataclass(frozen=True)
class DaySeries:
    """Day-ahead forecast and simulated actual (kW per slot, (48,) each) per facility id."""

    pv_forecast: Mapping[str, np.ndarray]
    load_forecast: Mapping[str, np.ndarray]
    pv_actual: Mapping[str, np.ndarray]
    load_actual: Mapping[str, np.ndarray]

    def at_lead(self, lead_h: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """PV and load forecasts (kW) made ``lead_h`` hours before each slot (same shape as a day's slots)."""
        keep = np.sqrt(np.clip(lead_h, 0.0, FULL_ERROR_LEAD_H) / FULL_ERROR_LEAD_H)

        def blend(actual: Mapping[str, np.ndarray], forecast: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
            return {k: actual[k] - (actual[k] - forecast[k]) * keep for k in forecast}

        return blend(self.pv_actual, self.pv_forecast), blend(self.load_actual, self.load_forecast)


def relative_error(sigma: float, rho: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """A stationary AR(1) series of n relative errors with standard deviation sigma and lag-1 correlation rho."""
    z = rng.standard_normal(n)
    e = np.empty(n)
    e[0] = sigma * z[0]
    step = np.sqrt(1.0 - rho * rho) * sigma
    for t in range(1, n):
        e[t] = rho * e[t - 1] + step * z[t]
    return e


def simulate(
    day: dt.date,
    pv_forecast: Mapping[str, np.ndarray],
    load_forecast: Mapping[str, np.ndarray],
    config: BacktestConfig,
) -> DaySeries:
    """The day's actuals from its forecasts (module doc); the same (seed, day) always gives the same actuals."""

    def actual(series: Mapping[str, np.ndarray], sigma: float, kind: int) -> dict[str, np.ndarray]:
        out = {}
        for fid, values in series.items():
            rng = np.random.default_rng([config.seed, day.toordinal(), kind, zlib.crc32(fid.encode())])
            out[fid] = np.clip(values * (1.0 + relative_error(sigma, config.error_rho, len(values), rng)), 0.0, None)
        return out

    return DaySeries(
        pv_forecast=dict(pv_forecast),
        load_forecast=dict(load_forecast),
        pv_actual=actual(pv_forecast, config.pv_error, 1),
        load_actual=actual(load_forecast, config.load_error, 2),
    )
