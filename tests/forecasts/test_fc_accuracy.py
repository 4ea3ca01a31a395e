"""Accuracy metrics, backtests on a small recorded sample, P10/P50/P90 and the measured-yield correction."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forecasts.backtest import clear_sky_envelope, ghi_backtest, kt_pairs, lead_labels
from forecasts.backtest_load import load_backtest, relabel_wall_time
from forecasts.correction import apply_yield_correction, fit_yield_correction
from forecasts.metrics import mae, rmse, scores
from forecasts.providers import read_jma_csv
from forecasts.sky import clear_sky_at
from forecasts.uncertainty import apply_error_quantiles, coverage, fit_error_quantiles
from scenarios.datasets import data_path, day_type


def test_metrics_by_hand() -> None:
    f, a, r = np.array([1.0, 2.0, 3.0, np.nan]), np.array([1.0, 1.0, 1.0, 5.0]), np.array([2.0, 2.0, 2.0, 2.0])
    s = scores(f, a, r)
    assert s.n == 3
    assert s.mae == pytest.approx(1.0)  # (0 + 1 + 2) / 3
    assert s.rmse == pytest.approx(math.sqrt(5 / 3))
    assert s.nmae == pytest.approx(1.0)  # mean actual = 1
    assert s.skill == pytest.approx(1 - math.sqrt(5 / 3) / 1.0)  # reference RMSE = 1
    assert scores(f, a, r, capacity=4.0).nmae == pytest.approx(0.25)
    assert mae(f, a) == pytest.approx(1.0)
    assert rmse(a[:3], a[:3]) == 0.0


def test_lead_labels() -> None:
    labels = lead_labels(np.array([0.5, 1.0, 1.5, 3.0, 24.0, 25.0]))
    assert list(labels) == ["0-1 h", "0-1 h", "1-3 h", "1-3 h", "12-24 h", "24-48 h"]


@pytest.fixture(scope="module")
def hiroshima_sample() -> pd.DataFrame:
    """Six recorded days of Hiroshima hourly GHI (2025-08-05 .. 2025-08-10)."""
    w = read_jma_csv(data_path("jma_hourly_hiroshima_fukuoka_2025.csv"), "Hiroshima")
    return w[w.index < pd.Timestamp("2025-08-11", tz="Asia/Tokyo")]


def test_ghi_backtest_persistence_by_hand(hiroshima_sample: pd.DataFrame) -> None:
    w = hiroshima_sample
    pairs, table = ghi_backtest(w, w.attrs["latitude"], w.attrs["longitude"], w.attrs["altitude_m"], max_lead_h=1)
    # by hand: lead 1 h from every hourly issue = every daylight hour after two days of history;
    # persistence = the same hour one day earlier
    grid = pd.date_range(w.index.min(), w.index.max(), freq="1h")
    _, cs = clear_sky_at(w.attrs["latitude"], w.attrs["longitude"], w.attrs["altitude_m"], grid)
    ghi = w["ghi_wm2"].reindex(grid)
    ghi = ghi.where(ghi.notna() | (cs["ghi"] >= 20.0), 0.0)
    day = (cs["ghi"] >= 20.0) & ghi.notna()
    day.iloc[:48] = False  # the first two days are history only
    err = (ghi.shift(24) - ghi)[day]
    row = table[(table["lead"] == "0-1 h") & (table["model"] == "persistence")].iloc[0]
    assert row["n"] == int(day.sum())
    assert row["mae"] == pytest.approx(err.abs().mean())
    assert row["rmse"] == pytest.approx(math.sqrt((err**2).mean()))
    assert row["skill"] == 0.0
    # one kt-persistence pair by hand: the 12:30 JST value of 8 Aug from the three daylight hours before noon
    target = pd.Timestamp("2025-08-08 12:30", tz="Asia/Tokyo")
    prior = [target - pd.Timedelta(hours=h) for h in (1, 2, 3)]
    kt_now = np.mean([ghi[t] / cs["ghi"][t] for t in prior])
    pair = pairs[pairs["target"] == target].iloc[0]
    assert pair["kt_persistence"] == pytest.approx(kt_now * cs["ghi"][target])
    assert pair["persistence"] == pytest.approx(ghi[target - pd.Timedelta(days=1)])


def test_kt_blend_decays_to_climate() -> None:
    index = pd.date_range("2024-01-01", periods=24 * 10, freq="1h", tz="UTC")
    clear = pd.Series(np.where(index.hour % 24 < 12, 500.0, 0.0), index=index)
    actual = clear * 0.5
    actual.iloc[-40:] = clear.iloc[-40:] * 1.0  # the last day is clear, the climate is kt 0.5
    pairs = kt_pairs(actual, clear, max_lead_steps=36, tau_h=3.0)
    last = pairs[pairs["issue"] == pairs["issue"].max()]
    assert last["kt_persistence"].iloc[-1] == pytest.approx(last["clear"].iloc[-1])  # kt 1 carried on
    assert last["kt_blend"].iloc[-1] < last["kt_persistence"].iloc[-1]


def test_clear_sky_envelope_uses_only_past_days() -> None:
    index = pd.date_range("2024-01-01", periods=48 * 20, freq="30min", tz="UTC")
    power = pd.Series(np.repeat(np.arange(20.0), 48), index=index)  # day d has constant value d
    env = clear_sky_envelope(power, window_days=3, lag_days=2, quantile=1.0)
    assert env.iloc[48 * 10] == pytest.approx(8.0)  # day 10 sees days 6..8


def test_load_backtest_on_weekly_pattern() -> None:
    index = pd.date_range("2024-04-01", "2024-05-20", freq="30min", tz="Asia/Tokyo", inclusive="left")
    rng = np.random.default_rng(0)
    # a building that works on Japanese working days (Golden Week 29 Apr - 6 May included) at 10 kW, 4 kW else
    level = {"weekday": 10.0, "saturday": 4.0, "sunday_holiday": 4.0}
    truth = np.array([level[day_type(d)] for d in pd.DatetimeIndex(index).date])
    load = pd.Series(truth + rng.normal(0, 0.1, len(index)), index=index)
    _, table = load_backtest(load)
    profile = table[table["model"] == "day_type_profile"]
    # day changes (Mon, Sat, holidays) break day-ahead persistence; the day-type profile knows the calendar.
    # By hand: profile error ~ noise (MAE ~0.08 kW), so its skill is close to 1.
    assert (profile["skill"] > 0.9).all()
    assert (profile["mae"] < 0.15).all()


def test_relabel_wall_time_keeps_local_clock() -> None:
    index = pd.date_range("2024-06-01 05:00", periods=4, freq="30min", tz="UTC")  # 07:00 Paris (UTC+2)
    out = relabel_wall_time(pd.Series([1.0, 2.0, 3.0, 4.0], index=index), "Europe/Paris")
    assert out.index[0] == pd.Timestamp("2024-06-01 07:00", tz="Asia/Tokyo")
    assert list(out) == [1.0, 2.0, 3.0, 4.0]


def test_error_quantiles_by_hand() -> None:
    errors = np.arange(0.0, 101.0)  # actual - forecast = 0..100 in the 0-1 h bucket
    forecast = np.full(101, 20.0)
    model = fit_error_quantiles(forecast, forecast + errors, np.full(101, 0.5))
    assert list(model.table.loc["0-1 h"]) == pytest.approx([10.0, 50.0, 90.0])
    new = pd.Series([20.0, 95.0], index=pd.date_range("2024-01-01", periods=2, freq="30min", tz="UTC"))
    bands = apply_error_quantiles(new, np.array([0.5, 0.5]), model, upper=100.0)
    assert list(bands.iloc[0]) == pytest.approx([30.0, 70.0, 100.0])
    assert list(bands.iloc[1]) == pytest.approx([100.0, 100.0, 100.0])
    assert coverage(np.array([25.0, 50.0, 150.0]), np.array([30.0, 30.0, 30.0]), np.array([100.0] * 3)) == 1 / 3


def test_error_quantiles_scaled_by_clear_sky() -> None:
    rng = np.random.default_rng(1)
    clear = np.tile(np.array([0.0, 2.0, 8.0, 10.0, 8.0, 2.0]), 100)
    forecast = 0.7 * clear
    actual = forecast + clear * rng.uniform(-0.2, 0.2, len(clear))
    model = fit_error_quantiles(forecast, actual, np.full(len(clear), 2.0), scale=clear)
    bands = apply_error_quantiles(pd.Series(forecast[:6]), np.full(6, 2.0), model, scale=clear[:6])
    assert (bands.iloc[0] == 0.0).all()  # no spread at night
    assert bands["p90"].iloc[3] - bands["p10"].iloc[3] == pytest.approx(10 * 0.32, abs=0.4)


def test_yield_correction_learns_underperformance() -> None:
    index = pd.date_range("2024-06-01", periods=48 * 10, freq="30min", tz="UTC")
    hour = (index.hour + index.minute / 60).to_numpy()
    clear = pd.Series(np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None) * 10.0, index=index)
    forecast = clear.copy()  # the forecaster expects clear sky every day
    cloudy_day = np.asarray(index.day % 2 == 0)
    measured = pd.Series(np.where(cloudy_day, 0.2, 0.8) * clear.to_numpy(), index=index)
    corr = fit_yield_correction(forecast, measured, clear)
    assert corr.scale == pytest.approx(0.8)
    assert corr.n_pairs > 8
    corrected = apply_yield_correction(forecast, corr, limit_kw=7.0)
    assert corrected.max() == pytest.approx(7.0)
    assert corrected.attrs["yield_scale"] == pytest.approx(0.8)
    few = fit_yield_correction(forecast.iloc[:20], measured.iloc[:20], clear.iloc[:20])
    assert few.scale == 1.0
    assert "too few" in few.reason


def test_clear_day_correction_from_telemetry_alone() -> None:
    from forecasts.correction import fit_clear_day_correction
    from forecasts.pv import forecast_array_pv
    from scenarios.assets import PVArray
    from scenarios.model import Facility, FacilityKind

    array = PVArray(id="pv1", kwp=10.0, inverter_kw=10.0)
    facility = Facility(
        id="f",
        name_ja="施設",
        name_en="F",
        kind=FacilityKind.OTHER,
        latitude=34.18,
        longitude=131.47,
        grid_contract_kw=10,
        pv_arrays=[array],
    )
    index = pd.date_range("2024-05-01", periods=48 * 10, freq="30min", tz="Asia/Tokyo")
    clear = forecast_array_pv(array, facility, index)
    # a soiled plant at 75 % of its model: two clear days, the rest cloudy at 30-60 %
    daily_weather = np.array([1.0, 0.4, 0.5, 1.0, 0.3, 0.6, 0.4, 0.5, 0.35, 0.45])
    measured = clear * 0.75 * np.repeat(daily_weather, 48)
    corr = fit_clear_day_correction(measured, clear)
    assert corr.scale == pytest.approx(0.75)
    assert corr.n_pairs == 2
    assert fit_clear_day_correction(measured.iloc[:96], clear.iloc[:96]).scale == 1.0
