"""Weather providers (recorded files only) and the input preference of the PV forecaster."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from forecasts.providers import get_openmeteo, parse_openmeteo_json, read_jma_csv, read_openmeteo
from forecasts.pv import forecast_array
from forecasts.sky import clear_sky, evaluation_times, sky_state
from scenarios.assets import PVArray
from scenarios.datasets import data_path
from scenarios.model import Facility, FacilityKind
from scenarios.timegrid import NaiveTimeError

JMA = data_path("jma_hourly_hiroshima_fukuoka_2025.csv")
OPENMETEO = data_path("openmeteo_forecast_15min_sample.csv")
ARRAY = PVArray(id="pv1", kwp=10.0, inverter_kw=10.0)


def site(lat: float = 34.18, lon: float = 131.47, alt: float = 20.0) -> Facility:
    return Facility(
        id="s",
        name_ja="サイト",
        name_en="Site",
        kind=FacilityKind.OTHER,
        latitude=lat,
        longitude=lon,
        altitude_m=alt,
        grid_contract_kw=10,
        pv_arrays=[ARRAY],
    )


ALPS = site(45.84, 6.86, 4459.0)  # the Open-Meteo sample's grid point
ALPS_DAY = pd.date_range("2025-02-25", periods=48, freq="30min", tz="Europe/Paris")


def test_jma_reader_moves_hour_ending_label_to_midpoint() -> None:
    w = read_jma_csv(JMA, "Hiroshima")
    raw = pd.read_csv(JMA)
    row = raw[(raw["station"] == "Hiroshima") & (raw["time_end_jst"] == "2025-08-06T13:00:00+09:00")].iloc[0]
    stamp = pd.Timestamp("2025-08-06 12:30", tz="Asia/Tokyo")
    assert w.loc[stamp, "ghi_wm2"] == pytest.approx(row["ghi_wm2"])
    assert w.loc[stamp, "temp_air_c"] == pytest.approx(row["temp_air_c"])
    assert w.attrs["station"] == "Hiroshima"
    assert w.attrs["latitude"] == pytest.approx(34.3983)
    assert "cloud_cover_pct" not in w  # empty at these stations
    with pytest.raises(ValueError, match="name one"):
        read_jma_csv(JMA)


def test_jma_missing_values_become_nan() -> None:
    raw = pd.read_csv(JMA)
    flagged = raw[raw["quality_flags"].fillna("").str.contains("temp_air_c:missing")]
    assert len(flagged) >= 1
    first = flagged.iloc[0]
    w = read_jma_csv(JMA, first["station"])
    stamp = pd.Timestamp(first["time_end_jst"]) - pd.Timedelta(minutes=30)
    assert pd.isna(w["temp_air_c"][stamp])


def test_openmeteo_csv_reader() -> None:
    w = read_openmeteo(OPENMETEO, latitude=45.84, longitude=6.86)
    assert len(w) == 288
    assert w.index[0] == pd.Timestamp("2025-02-23 23:00", tz="UTC")  # 00:00 local at UTC+1
    assert w["wind_speed_ms"].iloc[0] == pytest.approx(13.0 / 3.6)
    assert {"ghi_wm2", "dni_wm2", "dhi_wm2", "cloud_cover_pct", "temp_air_c"} <= set(w.columns)
    assert w.attrs["provider"] == "open-meteo"
    assert w.attrs["latitude"] == 45.84


def recorded_json() -> dict[str, object]:
    """An Open-Meteo JSON response rebuilt from the recorded CSV (first 8 rows)."""
    raw = pd.read_csv(OPENMETEO).iloc[40:48]
    return {
        "latitude": 45.84,
        "longitude": 6.86,
        "utc_offset_seconds": 3600,
        "minutely_15": {
            "time": raw["time_local"].tolist(),
            "temperature_2m": raw["temp_air_c"].tolist(),
            "cloud_cover": raw["cloud_cover_pct"].tolist(),
            "wind_speed_10m": raw["wind_speed_kmh"].tolist(),
            "shortwave_radiation_instant": raw["ghi_wm2"].tolist(),
            "diffuse_radiation_instant": raw["dhi_wm2"].tolist(),
            "direct_normal_irradiance_instant": raw["dni_wm2"].tolist(),
        },
    }


def test_openmeteo_json_matches_csv(tmp_path: Path) -> None:
    path = tmp_path / "response.json"
    path.write_text(json.dumps(recorded_json()))
    from_json = read_openmeteo(path)
    from_csv = read_openmeteo(OPENMETEO).iloc[40:48]
    cols = ["ghi_wm2", "dni_wm2", "dhi_wm2", "temp_air_c", "wind_speed_ms", "cloud_cover_pct"]
    pd.testing.assert_frame_equal(from_json[cols], from_csv[cols], check_freq=False)


def test_openmeteo_interval_mean_moved_to_midpoint() -> None:
    payload = {
        "utc_offset_seconds": 0,
        "hourly": {
            "time": ["2025-01-01T10:00", "2025-01-01T11:00", "2025-01-01T12:00"],
            "shortwave_radiation": [100.0, 200.0, 300.0],
        },
    }
    w = parse_openmeteo_json(payload)
    # 200 is the mean over 10:00-11:00, i.e. the value at 10:30; at the 11:00 label, halfway to 250
    assert w.loc[pd.Timestamp("2025-01-01 11:00", tz="UTC"), "ghi_wm2"] == pytest.approx(250.0)


def test_get_openmeteo_uses_timeout_and_parses() -> None:
    seen: dict[str, object] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["url"] = str(request.url)
        seen["timeout"] = request.extensions.get("timeout")
        return httpx.Response(200, json=recorded_json())

    client = httpx.Client(transport=httpx.MockTransport(handler))
    w = get_openmeteo(34.18, 131.47, timeout=3.5, client=client)
    assert len(w) == 8
    assert "shortwave_radiation_instant" in str(seen["url"])
    assert seen["timeout"] == {"connect": 3.5, "read": 3.5, "write": 3.5, "pool": 3.5}
    failing = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(503)))
    with pytest.raises(httpx.HTTPStatusError):
        get_openmeteo(34.18, 131.47, client=failing)


def test_input_preference_is_recorded() -> None:
    w = read_openmeteo(OPENMETEO)
    full = forecast_array(ARRAY, ALPS, ALPS_DAY, w)
    ghi_only = forecast_array(ARRAY, ALPS, ALPS_DAY, w.drop(columns=["dni_wm2"]))
    cloud = forecast_array(ARRAY, ALPS, ALPS_DAY, w.drop(columns=["ghi_wm2", "dni_wm2", "dhi_wm2"]))
    clear = forecast_array(ARRAY, ALPS, ALPS_DAY, None)
    assert (full.source, ghi_only.source, cloud.source, clear.source) == (
        "ghi_dni_dhi",
        "ghi",
        "cloud_cover",
        "clear_sky",
    )
    assert not full.any_missing
    assert not cloud.any_missing
    # 25 Feb 2025 at the sample's site was overcast (cloud 100 % most of the day): far below clear sky
    assert full.ac_kw.sum() < 0.6 * clear.ac_kw.sum()
    assert cloud.ac_kw.sum() < 0.6 * clear.ac_kw.sum()


def test_ghi_at_evaluation_instants_is_used_exactly() -> None:
    facility = site()
    index = pd.date_range("2024-06-21 08:00", periods=8, freq="30min", tz="Asia/Tokyo")
    times, _ = evaluation_times(index)
    _, cs = clear_sky(facility, times)
    weather = pd.DataFrame({"ghi_wm2": 0.5 * cs["ghi"].to_numpy()}, index=times)
    sky = sky_state(facility, index, weather)
    np.testing.assert_allclose(sky.ghi, 0.5 * cs["ghi"].to_numpy(), rtol=1e-9)
    assert (sky.source == "ghi").all()


def test_kasten_czeplak_cloud_cover() -> None:
    facility = site()
    index = pd.date_range("2024-06-21 10:00", periods=4, freq="30min", tz="Asia/Tokyo")
    times, _ = evaluation_times(index)
    _, cs = clear_sky(facility, times)
    for cover, factor in ((100.0, 0.25), (50.0, 1 - 0.75 * 0.5**3.4), (0.0, 1.0)):
        weather = pd.DataFrame({"cloud_cover_pct": cover}, index=times)
        sky = sky_state(facility, index, weather)
        np.testing.assert_allclose(sky.ghi, factor * cs["ghi"].to_numpy(), rtol=1e-9)


def hourly_weather(day: str, kt: float, facility: Facility) -> pd.DataFrame:
    """Hourly GHI means as a provider delivers them: labelled at hour midpoints, kt × clear sky."""
    mids = pd.date_range(f"{day} 00:30", periods=24, freq="1h", tz="Asia/Tokyo")
    _, cs = clear_sky(facility, mids)
    ghi = np.where(cs["ghi"].to_numpy() > 0, kt * cs["ghi"].to_numpy(), np.nan)  # JMA: empty at night
    return pd.DataFrame({"ghi_wm2": ghi, "temp_air_c": 25.0, "wind_speed_ms": 2.0}, index=mids)


def test_missing_weather_flagged_without_crash() -> None:
    facility = site()
    index = pd.date_range("2024-06-21", periods=48, freq="30min", tz="Asia/Tokyo")
    complete = hourly_weather("2024-06-21", 0.6, facility)
    gappy = complete.copy()
    gappy.loc[
        pd.Timestamp("2024-06-21 10:30", tz="Asia/Tokyo") : pd.Timestamp("2024-06-21 11:30", tz="Asia/Tokyo"),
        ["ghi_wm2", "temp_air_c"],
    ] = np.nan
    full = forecast_array(ARRAY, facility, index, complete)
    holey = forecast_array(ARRAY, facility, index, gappy)
    assert not full.any_missing
    assert holey.any_missing
    assert holey.ac_kw.notna().all()
    flagged = holey.missing[holey.missing].index
    assert pd.Timestamp("2024-06-21 10:30", tz="Asia/Tokyo") in flagged
    assert flagged.min() >= pd.Timestamp("2024-06-21 09:30", tz="Asia/Tokyo")
    assert flagged.max() < pd.Timestamp("2024-06-21 12:30", tz="Asia/Tokyo")
    # the gap is bridged with the neighbours' clear-sky index, so the forecast barely moves
    assert holey.ac_kw.sum() == pytest.approx(full.ac_kw.sum(), rel=0.02)
    assert holey.source == "ghi"


def test_weather_not_covering_the_horizon_falls_back_to_clear_sky() -> None:
    facility = site()
    weather = hourly_weather("2024-06-21", 0.5, facility)
    next_day = pd.date_range("2024-06-23", periods=48, freq="30min", tz="Asia/Tokyo")
    result = forecast_array(ARRAY, facility, next_day, weather)
    clear = forecast_array(ARRAY, facility, next_day, None)
    assert result.any_missing
    assert (result.slot_source[result.ac_kw > 0] == "clear_sky").all()
    np.testing.assert_allclose(result.ac_kw.to_numpy(), clear.ac_kw.to_numpy(), rtol=0.05, atol=0.05)


def test_naive_weather_refused() -> None:
    weather = pd.DataFrame({"ghi_wm2": [100.0, 200.0]}, index=pd.date_range("2024-06-21 10:00", periods=2, freq="1h"))
    with pytest.raises(NaiveTimeError, match="weather"):
        forecast_array(ARRAY, site(), pd.date_range("2024-06-21 10:00", periods=2, freq="30min", tz="UTC"), weather)


def test_distant_station_warns_and_returns_its_distance(caplog: pytest.LogCaptureFixture) -> None:
    from forecasts.weather import station_distance

    tokyo = read_jma_csv(data_path("jma_hourly_tokyo_2024.csv"))
    yamaguchi = site()
    with caplog.at_level("WARNING", logger="forecasts.weather"):
        far = station_distance(tokyo, yamaguchi.latitude, yamaguchi.longitude)
    assert far is not None
    # by hand: haversine 34.18 N 131.47 E -> 35.6917 N 139.75 E is about 776 km; noon (139.75 - 131.47) x 4 min
    assert far.distance_km == pytest.approx(776, abs=5)
    assert far.noon_shift_min == pytest.approx(-33.1, abs=0.1)
    assert far.warning is not None
    assert "Tokyo" in far.warning
    assert "33 min earlier" in far.warning
    assert any("Tokyo" in r.getMessage() for r in caplog.records)
    # the forecast records the distance per facility
    index = pd.date_range("2024-06-21", periods=48, freq="30min", tz="Asia/Tokyo")
    result = forecast_array(ARRAY, yamaguchi, index, tokyo)
    assert result.station_km == pytest.approx(far.distance_km)
    assert forecast_array(ARRAY, yamaguchi, index, None).station_km is None
    # weather at the site itself: no warning; a frame that records no position: no distance at all
    caplog.clear()
    here = tokyo.copy()
    here.attrs = {**tokyo.attrs, "latitude": 34.18, "longitude": 131.47}
    near = station_distance(here, yamaguchi.latitude, yamaguchi.longitude)
    assert near is not None
    assert near.distance_km == pytest.approx(0.0, abs=1e-6)
    assert near.warning is None
    assert not caplog.records
    assert station_distance(read_openmeteo(OPENMETEO), 34.18, 131.47) is None
