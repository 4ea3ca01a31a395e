"""Load forecast with temperature and recent days: recovers a known cooling slope, keeps the profile fallback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasts.backtest_load import load_backtest
from forecasts.load import day_type_profile
from forecasts.load_weather import COOLING_BASE_C, fit_load_weather, forecast_load_weather

TZ = "Asia/Tokyo"


def hot_afternoons(days: int, start: str = "2024-07-01") -> tuple[pd.Series, pd.Series]:
    """10 kW base; 12:00-18:00 JST adds 2 kW per K above the cooling base; each day's temperature is flat at
    base + (day index mod 5) K. Returns (load kW per slot, hourly temperature °C)."""
    index = pd.date_range(start, periods=48 * days, freq="30min", tz=TZ)
    day = (index - index[0]) // pd.Timedelta(days=1)
    temp = COOLING_BASE_C + (np.asarray(day) % 5)
    afternoon = (index.hour >= 12) & (index.hour < 18)
    load = 10.0 + np.where(afternoon, 2.0 * (temp - COOLING_BASE_C), 0.0)
    hourly = pd.date_range(start, periods=24 * (days + 2), freq="1h", tz=TZ)
    t_hourly = COOLING_BASE_C + (np.asarray((hourly - hourly[0]) // pd.Timedelta(days=1)) % 5)
    return pd.Series(load, index=index), pd.Series(t_hourly.astype(float), index=hourly)


def test_recovers_the_cooling_slope_and_beats_the_profile_on_a_hot_day() -> None:
    load, temperature = hot_afternoons(28)
    fit = fit_load_weather(load, temperature)
    assert fit is not None
    assert fit.uses_temperature
    # by hand: residual = 2 kW/K x (CDH - its profile) in the 12-18 h block, nothing elsewhere
    assert fit.cooling[3] == pytest.approx(2.0, abs=0.05)  # block 12-18 h
    assert np.abs(fit.cooling[[0, 1, 4]]).max() < 0.05
    # a target day at base + 6 K (hotter than any day seen): 10 + 2 x 6 = 22 kW in the afternoon
    target = pd.date_range("2024-07-29", periods=48, freq="30min", tz=TZ)
    hot = pd.Series(COOLING_BASE_C + 6.0, index=pd.date_range("2024-07-29", periods=48, freq="1h", tz=TZ))
    weather = pd.concat([temperature[temperature.index < hot.index[0]], hot])
    forecast = forecast_load_weather(load, target, weather)
    assert forecast.attrs["load_input"] == "weather_profile"
    afternoon = forecast.between_time("12:30", "17:00")
    assert afternoon.to_numpy() == pytest.approx(22.0, abs=0.4)
    assert forecast.between_time("00:00", "10:00").to_numpy() == pytest.approx(10.0, abs=0.2)
    profile = day_type_profile(load, target)
    assert profile.between_time("12:30", "17:00").max() < 16.0  # the profile only knows the average day


def test_fallbacks_without_temperature_or_history() -> None:
    load, _ = hot_afternoons(28)
    target = pd.date_range("2024-07-29", periods=48, freq="30min", tz=TZ)
    assert forecast_load_weather(load, target).attrs["load_input"] == "recent_profile"
    short = load.iloc[: 48 * 10]
    plain = forecast_load_weather(short, target)
    assert plain.attrs["load_input"] == "history"
    np.testing.assert_allclose(plain.to_numpy(), day_type_profile(short, target).to_numpy())
    assert fit_load_weather(short) is None


def test_backtest_scores_the_model_against_the_profile() -> None:
    load, temperature = hot_afternoons(42)
    _, table = load_backtest(load, temperature=temperature)
    model = table[table["model"] == "load_weather"]
    # the weather model knows each day's temperature; the profile cannot: positive skill against it in the
    # afternoon bucket (the 12:00-18:00 slots end 12.5-18 h after the 00:00 issue: the 12-24 h bucket)
    assert model.set_index("lead")["skill_profile"]["12-24 h"] > 0.5
    assert (table[table["model"] == "day_type_profile"]["skill_profile"] == 0.0).all()
