# mypy: allow-untyped-defs, allow-incomplete-defs
"""Issue 7: every stored forecast run records, per facility, which PV input tier was used, whether weather was
missing and whether a measured-yield correction was applied (with its factor); EMS_WEATHER_FILE feeds the
service's PV forecaster with a recorded weather file."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import service_fixtures

from runtime.loop.build import build_service
from runtime.loop.forecast import forecast
from runtime.loop.store_forecaster import default_forecaster, store_forecaster
from runtime.settings import Settings
from runtime.store import journal
from scenarios.datasets import data_path
from scenarios.loader import load_scenario

any_store = service_fixtures.any_store
sqlite_store = service_fixtures.sqlite_store
JMA = data_path("jma_hourly_hiroshima_fukuoka_2025.csv")
OPEN_METEO = data_path("openmeteo_forecast_15min_sample.csv")
JST = dt.timezone(dt.timedelta(hours=9))


def _settings(weather_file: str | None) -> Settings:
    return Settings(weather_file=weather_file, poll_interval_s=10)


def test_clear_sky_run_records_tier_per_facility(any_store):
    svc = build_service(_settings(None), load_scenario("tiny"), any_store, None)
    run_id = forecast(svc, dt.datetime(2025, 8, 10, 0, 10, tzinfo=JST))
    inputs = journal.forecast_inputs(any_store, run_id)
    assert set(inputs) == {"centre", "office", "school"}
    assert inputs["centre"].pv_input == "clear_sky"
    assert inputs["school"].pv_input == "clear_sky"
    assert inputs["office"].pv_input == "none"  # no PV array
    assert not any(i.weather_missing or i.yield_corrected for i in inputs.values())
    assert inputs["centre"].yield_scale == 1.0
    assert inputs["centre"].weather_source == ""
    run, _ = journal.latest_forecast(any_store)
    assert run is not None
    assert run.summary.pv_inputs == {"clear_sky": 2, "none": 1}


def test_weather_file_setting_changes_the_tier_and_the_pv(sqlite_store):
    svc = build_service(_settings(f"{JMA}#Hiroshima"), load_scenario("tiny"), sqlite_store, None)
    run_id = forecast(svc, dt.datetime(2025, 8, 10, 0, 10, tzinfo=JST))
    inputs = journal.forecast_inputs(sqlite_store, run_id)
    assert inputs["centre"].pv_input == "ghi"  # JMA observations carry GHI only -> Erbs decomposition
    assert inputs["centre"].weather_source == "jma:Hiroshima"
    _, frames = journal.latest_forecast(sqlite_store)
    index = frames["centre"].index
    clear = default_forecaster(load_scenario("tiny"), pd.DatetimeIndex(index))["centre"]["pv"]
    measured_sky = frames["centre"]["pv"]
    assert clear.sum() > 10.0
    assert not np.allclose(measured_sky.to_numpy(), clear.to_numpy(), rtol=0.02)  # the weather was used
    assert (measured_sky.to_numpy() <= 15.0 + 1e-9).all()  # within the 15 kWp array's inverter


def test_open_meteo_file_gives_the_full_irradiance_tier(sqlite_store):
    scenario = load_scenario("tiny")
    index = pd.date_range("2025-02-25 00:00", periods=48, freq="30min", tz="Asia/Tokyo")
    frames = store_forecaster(sqlite_store, OPEN_METEO)(scenario, index)
    run_id = journal.save_forecast(sqlite_store, "test", frames)
    inputs = journal.forecast_inputs(sqlite_store, run_id)
    assert inputs["school"].pv_input == "ghi_dni_dhi"
    assert inputs["school"].weather_source == "open-meteo"


def test_horizon_beyond_the_weather_is_flagged_missing(sqlite_store):
    scenario = load_scenario("tiny")
    index = pd.date_range("2025-02-26 12:00", periods=48, freq="30min", tz="Asia/Tokyo")  # file ends 02-27 08:45 JST
    frames = store_forecaster(sqlite_store, OPEN_METEO)(scenario, index)
    assert frames["centre"].attrs["pv_input"] == "ghi_dni_dhi"
    assert frames["centre"].attrs["weather_missing"] is True  # sunlit slots after the file's end fell back
    inputs = journal.forecast_inputs(sqlite_store, journal.save_forecast(sqlite_store, "test", frames))
    assert inputs["centre"].weather_missing
    assert not inputs["office"].weather_missing


def test_missing_weather_file_is_refused_at_start_and_unreadable_falls_back(sqlite_store, tmp_path):
    with pytest.raises(FileNotFoundError, match="EMS_WEATHER_FILE"):
        build_service(_settings(str(tmp_path / "nope.csv")), load_scenario("tiny"), sqlite_store, None)
    path = tmp_path / "weather.csv"
    path.write_text(OPEN_METEO.read_text())
    forecaster = store_forecaster(sqlite_store, path)
    path.write_text("garbage,columns\n1,2\n")  # the fetch job wrote something broken
    index = pd.date_range("2025-02-25 00:00", periods=4, freq="30min", tz="Asia/Tokyo")
    frames = forecaster(load_scenario("tiny"), index)
    assert frames["centre"].attrs["pv_input"] == "clear_sky"
    assert frames["centre"].attrs["weather_missing"]


def test_measured_yield_correction_and_factor_are_recorded(any_store):
    scenario = load_scenario("tiny")
    index = pd.date_range("2024-06-10 00:00", periods=48, freq="30min", tz="Asia/Tokyo")
    service_fixtures.seed_measured_pv(any_store, scenario, "centre", index, 0.6)  # a plant at 60 % of its model
    frames = store_forecaster(any_store)(scenario, index)
    run_id = journal.save_forecast(any_store, "store_forecaster", frames)
    inputs = journal.forecast_inputs(any_store, run_id)
    assert inputs["centre"].yield_corrected is True
    assert inputs["centre"].yield_scale == pytest.approx(0.6, rel=1e-6)
    assert inputs["centre"].yield_scales == {"pv1": pytest.approx(0.6, rel=1e-6)}
    assert inputs["school"].yield_corrected is False
    assert inputs["school"].yield_scale == 1.0
    newest = journal.forecast_inputs(any_store)  # default: the newest run
    assert {f: r.run_id for f, r in newest.items()} == dict.fromkeys(inputs, run_id)


def test_distant_station_is_stored_and_raises_one_event(any_store):
    svc = build_service(_settings(f"{JMA}#Hiroshima"), load_scenario("tiny"), any_store, None)
    run_id = forecast(svc, dt.datetime(2025, 8, 10, 0, 10, tzinfo=JST))
    inputs = journal.forecast_inputs(any_store, run_id)
    # by hand: Hiroshima 34.3983 N 132.4617 E -> the centre 34.16 N 131.455 E, haversine about 96 km
    assert inputs["centre"].station_km == pytest.approx(96, abs=3)
    assert inputs["office"].station_km is None  # no PV array: the weather is not used there
    events = journal.list_events(any_store, kind="weather_distant")
    assert len(events) == 1
    assert "jma:Hiroshima" in events[0].message
    assert "km from" in events[0].message
    forecast(svc, dt.datetime(2025, 8, 10, 0, 40, tzinfo=JST))
    assert len(journal.list_events(any_store, kind="weather_distant")) == 1  # once while it lasts


def test_clear_sky_records_no_station(sqlite_store):
    svc = build_service(_settings(None), load_scenario("tiny"), sqlite_store, None)
    inputs = journal.forecast_inputs(sqlite_store, forecast(svc, dt.datetime(2025, 8, 10, 0, 10, tzinfo=JST)))
    assert inputs["centre"].station_km is None
    assert journal.list_events(sqlite_store, kind="weather_distant") == []
