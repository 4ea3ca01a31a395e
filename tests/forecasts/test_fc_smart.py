"""Smart persistence (clear-sky-index persistence), the weather-forecast blend and constructed forecasts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forecasts.backtest import ghi_backtest, hourly_ghi, kt_pairs
from forecasts.backtest_nwp import KtErrorAR1, constructed_weather_kt, fit_kt_error_ar1
from forecasts.blend import blend_forecast_kw, blend_kt
from forecasts.providers import read_jma_csv
from scenarios.datasets import data_path


@pytest.fixture(scope="module")
def hiroshima() -> pd.DataFrame:
    w = read_jma_csv(data_path("jma_hourly_hiroshima_fukuoka_2025.csv"), "Hiroshima")
    return w[w.index < pd.Timestamp("2025-08-11", tz="Asia/Tokyo")]


def test_smart_persistence_by_hand(hiroshima: pd.DataFrame) -> None:
    lat, lon, alt = (hiroshima.attrs[k] for k in ("latitude", "longitude", "altitude_m"))
    pairs, table = ghi_backtest(hiroshima, lat, lon, alt, max_lead_h=24)
    ghi, cs = hourly_ghi(hiroshima, lat, lon, alt)
    # issued at 12:00 JST on 8 Aug, lead 3 h -> target 14:30 (the 14:00-15:00 mean, labelled at its midpoint):
    # the last value known is the 11:30 one (11:00-12:00), so kt = GHI(11:30) / clear(11:30)
    target = pd.Timestamp("2025-08-08 14:30", tz="Asia/Tokyo")
    last = pd.Timestamp("2025-08-08 11:30", tz="Asia/Tokyo")
    row = pairs[(pairs["target"] == target) & (pairs["lead_h"] == 3.0)].iloc[0]
    assert row["smart_persistence"] == pytest.approx(ghi[last] / cs[last] * cs[target])
    # issued before dawn: the last daylight value of the evening before carries through the night
    dawn = pd.Timestamp("2025-08-09 08:30", tz="Asia/Tokyo")
    evening = ghi[(ghi.index < pd.Timestamp("2025-08-09 04:00", tz="Asia/Tokyo")) & (cs >= 20.0)].index[-1]
    row = pairs[(pairs["target"] == dawn) & (pairs["lead_h"] == 5.0)].iloc[0]
    kt_evening = min(ghi[evening] / cs[evening], 1.5)  # the clear-sky index is capped at 1.5 (dusk ratios blow up)
    assert row["smart_persistence"] == pytest.approx(kt_evening * cs[dawn])
    # both references are named in the table: the smart reference scores 0 against itself
    smart = table[table["model"] == "smart_persistence"]
    assert (smart["skill_smart"] == 0.0).all()
    plain = table[table["model"] == "persistence"]
    assert (plain["skill"] == 0.0).all()
    # at 1 h, smart persistence beats plain (same-hour-yesterday) persistence on real GHI by a wide margin
    assert float(smart[smart["lead"] == "0-1 h"]["skill"].iloc[0]) > 0.3


def test_blend_kt_by_hand() -> None:
    lead = np.array([0.0, 4.0, 40.0])
    out = blend_kt(np.array([0.2, 0.2, 0.2]), 1.0, lead, tau_h=4.0)
    # w = exp(-lead/tau): 1, e^-1, ~0 -> kt = w * 1.0 + (1 - w) * 0.2
    assert out == pytest.approx([1.0, 0.2 + 0.8 * math.exp(-1), 0.2], abs=1e-4)
    assert blend_kt(np.array([np.nan]), 0.7, np.array([1.0]))[0] == pytest.approx(0.7)
    assert blend_kt(np.array([0.4]), np.nan, np.array([1.0]))[0] == pytest.approx(0.4)
    with pytest.raises(ValueError, match="tau_h"):
        blend_kt(np.array([0.4]), 0.5, np.array([1.0]), tau_h=0.0)


def test_blend_forecast_kw_corrects_a_weather_forecast() -> None:
    index = pd.date_range("2024-06-21 10:00", periods=4, freq="30min", tz="Asia/Tokyo")
    clear = pd.Series([40.0, 42.0, 44.0, 0.0], index=index)
    weather = pd.Series([20.0, 21.0, 22.0, 0.0], index=index)  # kt 0.5
    out = blend_forecast_kw(weather, clear, kt_measured=0.9, issue=index[0], tau_h=1.0)
    # lead of slot k = 0.5 (k + 1) h; kt = w 0.9 + (1 - w) 0.5 with w = exp(-lead)
    for k in range(3):
        w = math.exp(-0.5 * (k + 1))
        assert out.iloc[k] == pytest.approx((w * 0.9 + (1 - w) * 0.5) * clear.iloc[k])
    assert out.iloc[3] == 0.0
    assert out.attrs["kt_measured"] == 0.9


def test_weather_forecast_blend_beats_smart_persistence_when_the_weather_knows() -> None:
    # a sky that changes every 6 h, a weather forecast that knows the changes with some error: the blend keeps
    # persistence at short leads and the weather forecast at long ones, so it beats smart persistence at both
    index = pd.date_range("2024-05-01", periods=24 * 20, freq="1h", tz="UTC")
    clear = pd.Series(500.0, index=index)
    rng = np.random.default_rng(3)
    kt = np.repeat(rng.uniform(0.2, 1.0, len(index) // 6), 6)
    actual = clear * kt
    forecast_kt = pd.Series(np.clip(kt + rng.normal(0, 0.1, len(index)), 0, 1.5), index=index)
    pairs = kt_pairs(actual, clear, max_lead_steps=24, weather_kt=forecast_kt, tau_nwp_h=2.0)
    for lead in (1.0, 12.0, 24.0):
        group = pairs[pairs["lead_h"] == lead]
        err = {
            m: float(np.sqrt(((group[m] - group["actual"]) ** 2).mean())) for m in ("nwp_blend", "smart_persistence")
        }
        assert err["nwp_blend"] < err["smart_persistence"]


def test_ar1_error_fit_and_construction() -> None:
    index = pd.date_range("2024-01-01", periods=20_000, freq="30min", tz="UTC")
    truth = pd.Series(np.full(len(index), 0.6), index=index)
    made = constructed_weather_kt(truth, KtErrorAR1(sigma=0.1, phi=0.8, step=pd.Timedelta("30min"), n=0), seed=1)
    fitted = fit_kt_error_ar1(made, truth)
    assert fitted.sigma == pytest.approx(0.1, rel=0.05)
    assert fitted.phi == pytest.approx(0.8, abs=0.02)
    # re-sampled to hourly steps the correlation is phi ** 2
    assert fitted.at_step(pd.Timedelta("1h")) == pytest.approx(fitted.phi**2)
    with pytest.raises(ValueError, match="at least 10"):
        fit_kt_error_ar1(truth.iloc[:5], truth.iloc[:5])


def test_suite_names_what_was_measured_on_what() -> None:
    from forecasts.suite import BACKTESTS, recorded_forecast_error, run_backtest

    error = recorded_forecast_error()  # the EMHASS recorded PV forecast against the measured PV
    assert 0.1 < error.sigma < 0.6
    assert 0.0 < error.phi < 1.0
    pairs, table = run_backtest("jma_hiroshima_ghi")
    assert {"nwp_constructed", "nwp_constructed_blend", "smart_persistence", "persistence"} <= set(table["model"])
    assert "skill_smart" in table.columns
    assert len(pairs) > 10_000
    assert "jepx_volume_tokyo" in BACKTESTS
    with pytest.raises(ValueError, match="unknown 'nope'"):
        run_backtest("nope")


def test_last_clear_sky_index() -> None:
    from forecasts.blend import last_clear_sky_index

    slots = pd.date_range("2024-06-21 09:00", periods=4, freq="30min", tz="Asia/Tokyo")
    clear = pd.Series([20.0, 30.0, 40.0, 40.0], index=slots)
    measured = pd.Series([10.0, 15.0, 30.0, np.nan], index=slots)
    # issued at 10:30: the 10:00 slot ended at 10:30 -> 30 / 40; the 10:30 slot has no measurement
    assert last_clear_sky_index(measured, clear, slots[3]) == pytest.approx(0.75)
    assert last_clear_sky_index(measured, clear, slots[2]) == pytest.approx(0.5)  # 09:30 slot: 15 / 30
    assert last_clear_sky_index(measured, clear, slots[0]) is None  # nothing has ended yet
