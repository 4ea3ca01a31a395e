"""`ems forecast` and `ems forecast backtest` through the Typer app (no network, recorded data only)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app
from scenarios.datasets import data_path
from scenarios.loader import load_builtin

runner = CliRunner()


def test_forecast_day_prints_table_and_writes_series(tmp_path: Path) -> None:
    result = runner.invoke(app, ["forecast", "--scenario", "tiny", "--date", "2024-08-01", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    scenario = load_builtin("tiny")
    for facility in scenario.facilities:
        assert facility.id in result.output
    path = tmp_path / "forecast_tiny_2024-08-01.csv"
    table = pd.read_csv(path)
    assert len(table) == 48 * len(scenario.facilities)
    assert table["slot_start"].iloc[0] == "2024-08-01T00:00:00+09:00"
    with_pv = [f.id for f in scenario.facilities if f.pv_arrays]
    daily = table.groupby("facility_id")["pv_kw"].sum() * 0.5
    assert all(daily[f] > 0 for f in with_pv)
    # the printed kWh of a PV facility is the CSV's daily energy
    assert f"{daily[with_pv[0]]:.1f}" in result.output


def test_forecast_bad_date_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["forecast", "--date", "2024-13-01", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_backtest_prints_scores_and_plot(tmp_path: Path) -> None:
    result = runner.invoke(app, ["forecast", "backtest", "--only", "jma_hiroshima_ghi", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "kt_blend" in result.output
    assert "persistence" in result.output
    png = tmp_path / "forecast_backtest_skill.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    scores = pd.read_csv(tmp_path / "forecast_backtest_jma_hiroshima_ghi.csv")
    persistence = scores[scores["model"] == "persistence"]
    assert (persistence["skill"] == 0).all()
    # the clear-sky-index forecast beats persistence in the first hour on measured GHI
    first = scores[(scores["lead"] == "0-1 h") & (scores["model"] == "kt_persistence")]["skill"].iloc[0]
    assert first > 0.2


@pytest.mark.parametrize("name", ["nope"])
def test_backtest_unknown_name(tmp_path: Path, name: str) -> None:
    result = runner.invoke(app, ["forecast", "backtest", "--only", name, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown backtest" in result.output


def test_runtime_corrected_pv_uses_telemetry() -> None:
    from runtime.facades.forecasting import corrected_facility_pv

    facility = next(f for f in load_builtin("yamaguchi").facilities if len(f.pv_arrays) == 1)
    array = facility.pv_arrays[0]
    past = pd.date_range("2024-07-20", periods=48 * 7, freq="30min", tz="Asia/Tokyo")
    day = pd.date_range("2024-08-01", periods=48, freq="30min", tz="Asia/Tokyo")
    plain, _ = corrected_facility_pv(facility, day, {})
    from runtime.facades.forecasting import forecast_scenario

    clear_past = forecast_scenario(load_builtin("yamaguchi"), past).pv_kw[facility.id]
    corrected, used = corrected_facility_pv(facility, day, {array.id: clear_past * 0.6})
    assert used[array.id].scale == pytest.approx(0.6)
    assert corrected.sum() == pytest.approx(0.6 * plain.sum(), rel=1e-6)


def test_forecast_with_recorded_weather(tmp_path: Path) -> None:
    jma = str(data_path("jma_hourly_hiroshima_fukuoka_2025.csv"))
    base = ["forecast", "-s", "tiny", "--date", "2025-08-06", "--out", str(tmp_path)]
    with_weather = runner.invoke(app, [*base, "--weather", jma, "--station", "Hiroshima"])
    assert with_weather.exit_code == 0, with_weather.output
    assert "ghi" in with_weather.output
    assert "missing weather" not in with_weather.output
    weather_kwh = pd.read_csv(tmp_path / "forecast_tiny_2025-08-06.csv")["pv_kw"].sum()
    clear = runner.invoke(app, base)
    assert clear.exit_code == 0
    clear_kwh = pd.read_csv(tmp_path / "forecast_tiny_2025-08-06.csv")["pv_kw"].sum()
    assert weather_kwh < clear_kwh  # 6 Aug 2025 in Hiroshima had afternoon cloud
    no_station = runner.invoke(app, [*base, "--weather", jma])
    assert no_station.exit_code == 2
    assert "--station" in no_station.output
    outside = runner.invoke(
        app, [*base[:4], "2024-08-01", *base[5:], "--weather", str(data_path("openmeteo_forecast_15min_sample.csv"))]
    )
    assert outside.exit_code == 0
    assert "missing weather" in outside.output
