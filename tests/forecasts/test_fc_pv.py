"""PV forecasts: night, a clear June noon against a hand calculation, clipping, tz handling, interval averaging."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forecasts.pv import forecast_array, forecast_array_pv, forecast_facility_pv
from scenarios.assets import PVArray
from scenarios.loader import load_builtin
from scenarios.model import Facility, FacilityKind
from scenarios.timegrid import NaiveTimeError

YAMAGUCHI = {"latitude": 34.18, "longitude": 131.47, "altitude_m": 20.0}


def make_facility(arrays: list[PVArray]) -> Facility:
    return Facility(
        id="test",
        name_ja="テスト",
        name_en="Test",
        kind=FacilityKind.OTHER,
        grid_contract_kw=50,
        pv_arrays=arrays,
        **YAMAGUCHI,
    )


ARRAY = PVArray(id="pv1", kwp=10.0, inverter_kw=10.0, tilt_deg=20.0, azimuth_deg=180.0, losses_pct=14.0)
JUNE_DAY = pd.date_range("2024-06-21 00:00", periods=48, freq="30min", tz="Asia/Tokyo")


def test_night_is_zero_and_day_positive() -> None:
    pv = forecast_array_pv(ARRAY, make_facility([ARRAY]), JUNE_DAY)
    local_hour = pd.DatetimeIndex(pv.index).hour
    assert (pv[(local_hour < 4) | (local_hour >= 20)] == 0.0).all()
    assert pv.between_time("10:00", "14:00").min() > 3.0
    assert pv.attrs["pv_input"] == "clear_sky"
    assert pv.attrs["weather_missing"] is False


def hand_band_kw() -> tuple[float, float]:
    """Independent band for a 10 kWp, 20° south array at Yamaguchi, 21 June, the 12:00-12:30 JST slot.

    Solar noon is at about 12:16 JST (longitude 131.47 E is 3.53° west of 135 E: +14 min; equation of time
    -1.5 min), so the slot is centred on it. Zenith z = 34.18 - 23.44 = 10.74°; incidence on a 20° south
    plane θ = 20 - 10.74 = 9.26°. Clear-sky GHI: Haurwitz 1098 cos z exp(-0.057/cos z) = 1018 W/m² for a
    clean atmosphere (upper); a hazy June sky (Linke 4-5) takes 10-15 % off (lower 0.85 × 1018).
    POA ≈ GHI cos θ / cos z (all-beam approximation) ≈ 1.005 GHI. Cell temperature Tc = 20 °C + POA/(25 + 6.84)
    (Faiman, 1 m/s) ≈ 45-52 °C, so the temperature factor is 1 - 0.0037 (Tc - 25) in [0.89, 0.93].
    AC = 10 kW × POA/1000 × temperature factor × (1 - 0.14) × inverter efficiency [0.95, 0.97].
    """
    z, theta = math.radians(34.18 - 23.44), math.radians(20 - (34.18 - 23.44))
    ghi_hi = 1098 * math.cos(z) * math.exp(-0.057 / math.cos(z))
    ghi_lo = 0.85 * ghi_hi
    ratio = math.cos(theta) / math.cos(z)
    lo = 10 * ghi_lo * ratio / 1000 * 0.89 * 0.86 * 0.95
    hi = 10 * ghi_hi * ratio / 1000 * 0.93 * 0.86 * 0.97
    return lo, hi


def test_clear_june_noon_within_hand_band() -> None:
    lo, hi = hand_band_kw()
    assert 6.0 < lo < hi < 8.5  # the band itself is sane: about 6.2-7.9 kW
    pv = forecast_array_pv(ARRAY, make_facility([ARRAY]), JUNE_DAY)
    noon = pv[pd.Timestamp("2024-06-21 12:00", tz="Asia/Tokyo")]
    assert lo <= noon <= hi
    assert noon == pytest.approx(pv.max(), rel=0.02)  # the noon slot is the day's peak
    # daily clear-sky yield of a 10 kWp array in June: 4-7 kWh/kWp
    assert 40.0 < pv.sum() * 0.5 < 70.0


def test_clipping_at_inverter_limit() -> None:
    small = ARRAY.model_copy(update={"inverter_kw": 5.0})
    big = forecast_array_pv(ARRAY, make_facility([ARRAY]), JUNE_DAY)
    clipped = forecast_array_pv(small, make_facility([small]), JUNE_DAY)
    assert clipped.max() == pytest.approx(5.0)
    assert (clipped <= 5.0 + 1e-9).all()
    noon = pd.Timestamp("2024-06-21 12:00", tz="Asia/Tokyo")
    assert big[noon] > 6.0
    assert clipped[noon] == pytest.approx(5.0)
    # unclipped early-morning slots are the same up to the inverter's part-load efficiency curve
    early = pd.Timestamp("2024-06-21 06:30", tz="Asia/Tokyo")
    assert clipped[early] == pytest.approx(big[early], rel=0.05)


def test_naive_index_refused() -> None:
    naive = pd.date_range("2024-06-21", periods=4, freq="30min")
    with pytest.raises(NaiveTimeError, match="timezone"):
        forecast_array_pv(ARRAY, make_facility([ARRAY]), naive)
    with pytest.raises(NaiveTimeError):
        forecast_facility_pv(make_facility([ARRAY]), naive)


def test_utc_and_jst_give_same_values() -> None:
    jst = forecast_array_pv(ARRAY, make_facility([ARRAY]), JUNE_DAY)
    utc = forecast_array_pv(ARRAY, make_facility([ARRAY]), JUNE_DAY.tz_convert("UTC"))
    assert (utc.index == JUNE_DAY.tz_convert("UTC")).all()
    np.testing.assert_allclose(utc.to_numpy(), jst.to_numpy(), rtol=0, atol=1e-9)


def test_interval_average_vs_instantaneous() -> None:
    facility = make_facility([ARRAY])
    interval = forecast_array(ARRAY, facility, JUNE_DAY, sampling="interval").ac_kw
    instant = forecast_array(ARRAY, facility, JUNE_DAY, sampling="instantaneous").ac_kw
    # morning ramp: power rises through a start-labelled slot, so its mean exceeds the value at its start
    morning = interval.between_time("06:00", "10:30").index
    assert (interval[morning] > instant[morning]).all()
    afternoon = interval.between_time("14:00", "18:00").index
    assert (interval[afternoon] < instant[afternoon]).all()
    # the first lit slot: zero at its start (sun below horizon) but a positive mean
    first_lit = interval[interval > 0].index[0]
    assert instant[first_lit] == 0.0
    assert interval[first_lit] > 0.0
    # daily energy agrees closely: both sample the same curve
    assert interval.sum() == pytest.approx(instant.sum(), rel=0.03)


def test_facility_sum_and_zero_facility() -> None:
    second = PVArray(id="pv2", kwp=5.0, inverter_kw=4.0, tilt_deg=30.0, azimuth_deg=90.0)
    facility = make_facility([ARRAY, second])
    total = forecast_facility_pv(facility, JUNE_DAY)
    parts = forecast_array_pv(ARRAY, facility, JUNE_DAY) + forecast_array_pv(second, facility, JUNE_DAY)
    np.testing.assert_allclose(total.to_numpy(), parts.to_numpy(), atol=1e-9)
    assert total.name == "pv_kw"
    # an east-facing array peaks before noon
    east = forecast_array_pv(second, facility, JUNE_DAY)
    assert int(np.argmax(east.to_numpy())) < 24  # before the 12:00 slot
    empty = forecast_facility_pv(make_facility([]), JUNE_DAY)
    assert (empty == 0.0).all()
    assert empty.name == "pv_kw"
    assert (empty.index == JUNE_DAY).all()


def test_all_yamaguchi_facilities_forecast() -> None:
    scenario = load_builtin("yamaguchi")
    day = pd.date_range("2024-08-01", periods=48, freq="30min", tz="Asia/Tokyo")
    for facility in scenario.facilities:
        pv = forecast_facility_pv(facility, day)
        assert len(pv) == 48
        assert pv.notna().all()
        limit = sum(a.inverter_kw for a in facility.pv_arrays)
        assert (pv <= limit + 1e-9).all()
        assert (pv > 0).any() == bool(facility.pv_arrays)


def test_shared_solar_position_equals_pvlib_spa() -> None:
    import pvlib

    from forecasts.solarpos import solar_position

    times = pd.date_range("2024-03-20", periods=200, freq="37min", tz="UTC")
    for lat, lon, alt in ((34.18, 131.47, 20.0), (34.35, 131.3, 300.0)):
        ref = pvlib.solarposition.get_solarposition(times, lat, lon, altitude=alt, method="nrel_numpy", delta_t=None)
        mine = solar_position(times, lat, lon, alt)
        for column in ("apparent_zenith", "zenith", "azimuth"):
            np.testing.assert_allclose(mine[column].to_numpy(), ref[column].to_numpy(), atol=1e-8)
