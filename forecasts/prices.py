"""JEPX day-ahead price forecast for the 48 slots of a delivery day, with quantiles (a LEAR-like ridge model).

Timing: the bid for delivery day D+1 closes at 10:00 JST on D, so the forecast may use the prices of D and
earlier only (D's prices were published at about 10:00 on D-1). :func:`forecast_day_ahead_prices` cuts the
history it is given at the end of D, so passing a whole recorded year cannot leak the answer.

Model (after Lago et al.'s LEAR in epftoolbox, with ridge instead of LASSO: numpy least squares, no scikit-learn):
one linear model per slot h = 1..48 sharing one feature vector per delivery day d:

- prices of d-1, d-2, d-3 and d-7, all 48 slots each (192 values);
- day type of d: weekday dummies Monday..Sunday and a Japanese-holiday flag (jpholiday), and whether d-1 was
  a Sunday/holiday (Monday-after-holiday effect);
- season: sine and cosine of the day of year.

Prices are variance-stabilised as in epftoolbox (median/MAD scaling, then asinh) before the fit and mapped
back after. The ridge weight is chosen on the last ``validation_days`` of the calibration window (fit on the
days before), and the residuals of that held-out block give the quantiles: P10/P50/P90 are the point forecast
plus the residual quantiles of its block of six slots (3 h), in the transformed space, mapped back (monotone).
Then the model is refitted on the whole window. Units: JPY/kWh; the index holds slot starts (Asia/Tokyo).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scenarios.datasets import is_japanese_holiday
from scenarios.timegrid import SLOTS_PER_DAY, TZ, day_slots, require_aware_index

__all__ = [
    "DEFAULT_LAMBDAS",
    "DEFAULT_QUANTILES",
    "PriceForecast",
    "daily_matrix",
    "forecast_day_ahead_prices",
    "naive_day_ahead_prices",
]

log = logging.getLogger(__name__)

LAGS = (1, 2, 3, 7)
"""Days before delivery whose 48 prices are features (d-1 = D, the last day known at the 10:00 bid)."""
DEFAULT_QUANTILES = (0.1, 0.5, 0.9)
DEFAULT_LAMBDAS = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
"""Ridge weights tried (on standardised features, per sample: penalty lambda x |w|^2 against the squared error sum)."""
SLOT_BLOCK = 6
"""Slots per block whose held-out residuals are pooled for the quantiles (6 slots = 3 h)."""


@dataclass(frozen=True)
class PriceForecast:
    """A day-ahead price forecast: ``frame`` has the 48 slot starts of ``delivery_day`` (Asia/Tokyo) and columns
    p10/p50/p90 (JPY/kWh, non-decreasing across columns); ``issued_for`` is the bid deadline it was made for
    (10:00 JST on the day before delivery); ``ridge_lambda`` the chosen weight, ``window_days`` the days fitted."""

    delivery_day: dt.date
    frame: pd.DataFrame
    issued_for: pd.Timestamp
    ridge_lambda: float
    window_days: int

    @property
    def p50(self) -> pd.Series:
        """Median forecast, JPY/kWh per slot."""
        return self.frame["p50"]

    def quantile(self, q: float) -> pd.Series:
        """Column of quantile ``q`` (one of those forecast, e.g. 0.1), JPY/kWh per slot."""
        name = f"p{round(q * 100):02d}"
        if name not in self.frame.columns:
            raise KeyError(f"quantile: {q} was not forecast; columns are {list(self.frame.columns)}")
        return self.frame[name]


def daily_matrix(history: pd.Series) -> pd.DataFrame:
    """History (JPY/kWh on a tz-aware 30-min index) as one row per JST day and 48 columns (slot 1..48).

    Days with a missing slot keep NaN there (never filled); duplicate slot starts raise ValueError."""
    index = require_aware_index(history.index, "history.index").tz_convert(TZ)
    if index.has_duplicates:
        raise ValueError(f"history: slot {index[index.duplicated()][0].isoformat()} appears twice")
    minutes = index.hour * 60 + index.minute
    if (minutes % 30 != 0).any():
        raise ValueError("history: every index entry must be a 30-min slot start (:00 or :30, Asia/Tokyo)")
    frame = pd.DataFrame(
        {"day": index.date, "slot": minutes // 30 + 1, "price": np.asarray(history.to_numpy(), dtype=float)}
    )
    table = frame.pivot(index="day", columns="slot", values="price")
    table = table.reindex(columns=range(1, SLOTS_PER_DAY + 1))
    days = pd.date_range(min(table.index), max(table.index), freq="D").date
    return table.reindex(days)


def naive_day_ahead_prices(history: pd.Series, delivery_day: dt.date) -> pd.Series:
    """epftoolbox's naive benchmark: the prices of delivery_day - 7 on Monday, Saturday and Sunday, of
    delivery_day - 1 otherwise (JPY/kWh on the delivery day's 48 slot starts). ValueError if that day is missing."""
    lag = 7 if delivery_day.weekday() in (0, 5, 6) else 1
    source = delivery_day - dt.timedelta(days=lag)
    table = daily_matrix(history)
    if source not in table.index or table.loc[source].isna().any():
        raise ValueError(f"history: the naive forecast of {delivery_day} needs all 48 prices of {source}")
    return pd.Series(table.loc[source].to_numpy(dtype=float), index=day_slots(delivery_day), name="naive_jpy_per_kwh")


def _scaler(values: np.ndarray) -> tuple[float, float]:
    """Median and MAD (scaled to a normal's sigma, floored) of the calibration prices, JPY/kWh."""
    median = float(np.nanmedian(values))
    mad = float(np.nanmedian(np.abs(values - median))) * 1.4826
    return median, max(mad, 1e-3)


def _forward(values: np.ndarray, scale: tuple[float, float]) -> np.ndarray:
    return np.arcsinh((values - scale[0]) / scale[1])


def _inverse(values: np.ndarray, scale: tuple[float, float]) -> np.ndarray:
    return np.asarray(np.sinh(values) * scale[1] + scale[0], dtype=float)


def _calendar(days: list[dt.date]) -> np.ndarray:
    """Day-type and season features of delivery days: 7 weekday dummies, holiday, day-before-was-off, sin, cos."""
    rows = []
    for day in days:
        weekday = np.zeros(7)
        weekday[day.weekday()] = 1.0
        before = day - dt.timedelta(days=1)
        holiday = float(is_japanese_holiday(day))
        off_before = float(before.weekday() == 6 or is_japanese_holiday(before))
        angle = 2 * np.pi * (day.timetuple().tm_yday - 1) / 365.25
        rows.append(np.concatenate([weekday, [holiday, off_before, np.sin(angle), np.cos(angle)]]))
    return np.asarray(rows, dtype=float)


def _features(table: np.ndarray, days: list[dt.date], rows: np.ndarray) -> np.ndarray:
    """Feature matrix of the delivery days at positions ``rows`` of the day table (transformed prices)."""
    lags = [table[rows - lag] for lag in LAGS]
    return np.hstack([*lags, _calendar([days[r] for r in rows])])


def _ridge(x: np.ndarray, y: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ridge fit on standardised features with an unpenalised intercept: (weights, intercept, mean, std)."""
    mean, std = x.mean(axis=0), x.std(axis=0)
    std = np.where(std > 1e-9, std, 1.0)
    z = (x - mean) / std
    y_mean = y.mean(axis=0)
    gram = z.T @ z + lam * np.eye(z.shape[1])
    weights = np.linalg.solve(gram, z.T @ (y - y_mean))
    return weights, y_mean, mean, std


def _predict(fit: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], x: np.ndarray) -> np.ndarray:
    weights, y_mean, mean, std = fit
    return np.asarray(((x - mean) / std) @ weights + y_mean)


def _usable_rows(table: np.ndarray, first: int, last: int) -> np.ndarray:
    """Rows in [first, last] whose target and every lag day are complete."""
    complete = ~np.isnan(table).any(axis=1)
    rows = np.arange(max(first, *LAGS), last + 1)
    ok = complete[rows] & np.all([complete[rows - lag] for lag in LAGS], axis=0)
    return np.asarray(rows[ok])


def _held_out(
    table: np.ndarray, days: list[dt.date], rows: np.ndarray, n_val: int, lambdas: tuple[float, ...]
) -> tuple[float, np.ndarray]:
    """Pick the ridge weight on the last n_val usable rows (fit on the rest); return it and those residuals."""
    train, val = rows[:-n_val], rows[-n_val:]
    x_train, x_val = _features(table, days, train), _features(table, days, val)
    best: tuple[float, float, np.ndarray] | None = None
    for lam in lambdas:
        residual = table[val] - _predict(_ridge(x_train, table[train], lam), x_val)
        score = float(np.mean(np.abs(residual)))
        if best is None or score < best[0]:
            best = (score, lam, residual)
    assert best is not None  # noqa: S101 - lambdas is not empty (checked by the caller)
    return best[1], best[2]


def _residual_quantiles(residual: np.ndarray, quantiles: tuple[float, ...]) -> np.ndarray:
    """Quantiles (rows) x slots (columns) of held-out residuals pooled by blocks of SLOT_BLOCK slots."""
    out = np.empty((len(quantiles), SLOTS_PER_DAY))
    for start in range(0, SLOTS_PER_DAY, SLOT_BLOCK):
        block = residual[:, start : start + SLOT_BLOCK].ravel()
        out[:, start : start + SLOT_BLOCK] = np.quantile(block, quantiles)[:, None]
    return out


def _check_args(
    window_days: int, validation_days: int, lambdas: tuple[float, ...], quantiles: tuple[float, ...]
) -> None:
    if validation_days < 14:
        raise ValueError("validation_days: at least 14 held-out days are needed for the quantiles")
    if window_days < validation_days + 28:
        raise ValueError(f"window_days: need at least validation_days + 28 = {validation_days + 28} days")
    if not lambdas or min(lambdas) <= 0:
        raise ValueError("lambdas: give one or more ridge weights > 0")
    if not quantiles or 0.5 not in quantiles or not all(0 < q < 1 for q in quantiles):
        raise ValueError("quantiles: give levels in (0, 1) including 0.5, e.g. (0.1, 0.5, 0.9)")


def forecast_day_ahead_prices(
    history: pd.Series,
    delivery_day: dt.date,
    *,
    window_days: int = 364,
    validation_days: int = 56,
    lambdas: tuple[float, ...] = DEFAULT_LAMBDAS,
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES,
) -> PriceForecast:
    """Forecast the JEPX day-ahead prices (JPY/kWh) of ``delivery_day``'s 48 slots from ``history``.

    history: recorded day-ahead prices of the area (JPY/kWh) on a tz-aware 30-min index; only the days up to
    delivery_day - 1 are used (the prices known at the 10:00 bid deadline the day before); later ones are
    ignored. window_days: calibration window (days before delivery). ValueError naming the field if the
    history is too short or the day before delivery is incomplete. See the module docstring for the model."""
    _check_args(window_days, validation_days, lambdas, quantiles)
    known_end = delivery_day - dt.timedelta(days=1)
    table_df = daily_matrix(history)
    table_df = table_df.loc[[d for d in table_df.index if d <= known_end]]
    if known_end not in table_df.index or table_df.loc[known_end].isna().any():
        raise ValueError(f"history: all 48 prices of {known_end} (the day before delivery) are needed")
    table_df = table_df.loc[[d for d in table_df.index if d >= known_end - dt.timedelta(days=window_days + 7)]]
    days = [*table_df.index, delivery_day]
    raw = np.vstack([table_df.to_numpy(dtype=float), np.full((1, SLOTS_PER_DAY), np.nan)])
    scale = _scaler(raw[-window_days - 1 : -1])
    table = _forward(raw, scale)
    rows = _usable_rows(table, len(days) - 1 - window_days, len(days) - 2)
    if len(rows) < validation_days + 28:
        raise ValueError(
            f"history: {len(rows)} complete days before {delivery_day} (with their lags); "
            f"at least {validation_days + 28} are needed"
        )
    lam, residual = _held_out(table, days, rows, validation_days, lambdas)
    target = np.array([len(days) - 1])
    point = _predict(_ridge(_features(table, days, rows), table[rows], lam), _features(table, days, target))[0]
    levels = tuple(sorted(quantiles))
    spread = _residual_quantiles(residual, levels)
    spread[levels.index(0.5)] = 0.0  # the median is the point forecast
    values = np.sort(_inverse(point[None, :] + spread, scale), axis=0)
    frame = pd.DataFrame(
        {f"p{round(q * 100):02d}": values[i] for i, q in enumerate(levels)}, index=day_slots(delivery_day)
    )
    issued = pd.Timestamp(dt.datetime.combine(known_end, dt.time(10, 0)), tz=TZ)
    log.debug("price forecast %s: lambda %s, %d days", delivery_day, lam, len(rows))
    return PriceForecast(delivery_day, frame, issued, lam, len(rows))
