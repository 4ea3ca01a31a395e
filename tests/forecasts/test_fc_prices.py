"""The JEPX day-ahead price forecast: the bid-time information limit, shape and quantiles, the naive benchmark,
and accuracy on recorded data (shipped JEPX Chugoku prices)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from forecasts.prices import daily_matrix, forecast_day_ahead_prices, naive_day_ahead_prices
from scenarios.datasets import jepx_prices
from scenarios.timegrid import TZ, day_slots


@pytest.fixture(scope="module")
def history() -> pd.Series:
    start = pd.Timestamp("2023-04-01", tz=TZ)
    return jepx_prices(start, pd.Timestamp("2025-04-01", tz=TZ))


def test_uses_only_prices_known_at_the_bid(history: pd.Series) -> None:
    day = dt.date(2024, 10, 16)
    known = history[history.index < pd.Timestamp(day, tz=TZ)]
    spoiled = history.copy()
    spoiled[spoiled.index >= pd.Timestamp(day, tz=TZ)] = 999.0  # the answer and everything after it
    a = forecast_day_ahead_prices(known, day)
    b = forecast_day_ahead_prices(spoiled, day)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert a.issued_for == pd.Timestamp("2024-10-15 10:00", tz=TZ)


def test_shape_index_and_ordered_quantiles(history: pd.Series) -> None:
    fc = forecast_day_ahead_prices(history, dt.date(2024, 5, 3))  # 憲法記念日, a holiday
    assert list(fc.frame.columns) == ["p10", "p50", "p90"]
    assert fc.frame.index.equals(day_slots(dt.date(2024, 5, 3)))
    assert str(pd.DatetimeIndex(fc.frame.index).tz) == TZ
    assert (fc.frame["p10"] <= fc.frame["p50"]).all()
    assert (fc.frame["p50"] <= fc.frame["p90"]).all()
    assert (fc.frame["p90"] - fc.frame["p10"]).mean() > 0.5  # a real band, not a point
    assert fc.quantile(0.5).equals(fc.p50)
    with pytest.raises(KeyError, match="quantile"):
        fc.quantile(0.25)


def test_a_repeating_day_is_forecast_almost_exactly() -> None:
    index = pd.date_range("2023-01-01", "2023-12-31 23:30", freq="30min", tz=TZ)
    shape = 8.0 + 6.0 * np.sin(np.arange(48) / 48 * 2 * np.pi) ** 2
    series = pd.Series(np.tile(shape, len(index) // 48), index=index)
    fc = forecast_day_ahead_prices(series, dt.date(2024, 1, 1))
    assert np.abs(fc.p50.to_numpy() - shape).max() < 0.05


def test_beats_the_naive_benchmark_on_a_recorded_month(history: pd.Series) -> None:
    table = daily_matrix(history)
    model, naive = [], []
    for k in range(28):
        day = dt.date(2025, 2, 1) + dt.timedelta(days=k)
        real = table.loc[day].to_numpy(dtype=float)
        model.append(np.abs(forecast_day_ahead_prices(history, day).p50.to_numpy() - real).mean())
        naive.append(np.abs(naive_day_ahead_prices(history, day).to_numpy() - real).mean())
    assert np.mean(model) / np.mean(naive) < 0.8  # measured 0.656 (benchmarks/bench_price_forecast.py)


def test_naive_is_last_week_on_monday_and_yesterday_on_tuesday(history: pd.Series) -> None:
    table = daily_matrix(history)
    monday, tuesday = dt.date(2024, 6, 10), dt.date(2024, 6, 11)
    assert np.allclose(naive_day_ahead_prices(history, monday), table.loc[dt.date(2024, 6, 3)])
    assert np.allclose(naive_day_ahead_prices(history, tuesday), table.loc[monday])


def test_errors_name_the_field(history: pd.Series) -> None:
    with pytest.raises(ValueError, match="history: all 48 prices of 2023-04-30"):
        forecast_day_ahead_prices(history[history.index < pd.Timestamp("2023-04-30 12:00", tz=TZ)], dt.date(2023, 5, 1))
    with pytest.raises(ValueError, match=r"history: .* complete days"):
        forecast_day_ahead_prices(history, dt.date(2023, 5, 1))
    with pytest.raises(ValueError, match="validation_days"):
        forecast_day_ahead_prices(history, dt.date(2024, 5, 1), validation_days=5)
    naive_index = pd.DatetimeIndex(history.index).tz_localize(None)
    with pytest.raises(ValueError, match=r"history\.index"):
        forecast_day_ahead_prices(pd.Series(history.to_numpy(), index=naive_index), dt.date(2024, 5, 1))
