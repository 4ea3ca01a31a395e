"""Data loaders: row counts, units, time conventions of the shipped real data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from scenarios.datasets import (
    day_type,
    emhass_load_pv,
    is_japanese_holiday,
    jepx_prices,
    jma_weather,
    jma_weather_30min,
    load_shape_kw,
    market_prices,
)
from scenarios.timegrid import NaiveTimeError, day_slots, slots


def test_jepx_day_has_48_prices_on_slot_starts() -> None:
    prices = jepx_prices(pd.Timestamp("2023-04-01T00:00+09:00"), pd.Timestamp("2023-04-02T00:00+09:00"))
    assert len(prices) == 48
    assert prices.index[0] == pd.Timestamp("2023-04-01T00:00+09:00")
    assert prices.iloc[0] == pytest.approx(5.84)  # first row of the JEPX file, Chugoku area
    assert prices.iloc[1] == pytest.approx(9.4)
    system = jepx_prices(pd.Timestamp("2023-04-01T00:00+09:00"), pd.Timestamp("2023-04-01T01:00+09:00"), "system")
    assert list(system.round(2)) == [10.48, 10.41]


def test_jepx_two_fiscal_years_and_their_mean() -> None:
    prices = jepx_prices(pd.Timestamp("2023-04-01T00:00+09:00"), pd.Timestamp("2025-04-01T00:00+09:00"))
    assert len(prices) == 35088
    assert prices.mean() == pytest.approx(10.67, abs=0.01)
    assert prices.max() == pytest.approx(50.0)


def test_jepx_gap_is_an_error_not_a_fill() -> None:
    with pytest.raises(ValueError, match="no JEPX price for 48 slot"):
        jepx_prices(pd.Timestamp("2025-03-31T00:00+09:00"), pd.Timestamp("2025-04-02T00:00+09:00"))
    with pytest.raises(ValueError, match="area: unknown price area"):
        jepx_prices(pd.Timestamp("2024-01-01T00:00+09:00"), pd.Timestamp("2024-01-02T00:00+09:00"), "kansai")


def test_load_shape_sums_to_annual_energy_over_a_year() -> None:
    index = slots(pd.Timestamp("2024-01-01T00:00+09:00"), pd.Timestamp("2025-01-01T00:00+09:00"))
    load = load_shape_kw("doe:SmallOffice", 50_000, index)
    energy_kwh = (load * 0.5).sum()
    assert energy_kwh == pytest.approx(50_000, rel=1e-9)
    sport = load_shape_kw("pycity:sport_hall", 52_000, index)
    assert (sport * 0.5).sum() == pytest.approx(52_000, rel=1e-9)
    week = sport.loc["2024-06-03":"2024-06-09"]  # Mon-Sun without holidays: about 7/366 of the year
    assert len(week) == 48 * 7
    assert (week * 0.5).sum() == pytest.approx(52_000 * 7 / 366, rel=0.03)


def test_office_load_is_higher_on_a_weekday_than_on_a_holiday() -> None:
    weekday = load_shape_kw("doe:SmallOffice", 50_000, day_slots(dt.date(2024, 5, 2)))
    holiday = load_shape_kw("doe:SmallOffice", 50_000, day_slots(dt.date(2024, 5, 3)))  # 憲法記念日
    assert weekday.loc["2024-05-02 12:00+09:00"] > 1.5 * holiday.loc["2024-05-03 12:00+09:00"]
    assert weekday.iloc[24] == weekday.iloc[25]  # hourly shape held over both half-hours


def test_load_shape_refuses_naive_index_and_unknown_shapes() -> None:
    with pytest.raises(NaiveTimeError):
        load_shape_kw("doe:SmallOffice", 1.0, pd.date_range("2024-01-01", periods=4, freq="30min"))
    with pytest.raises(ValueError, match="unknown DOE building type 'Castle'"):
        load_shape_kw("doe:Castle", 1.0, day_slots(dt.date(2024, 1, 1)))


def test_japanese_day_types() -> None:
    assert is_japanese_holiday(dt.date(2024, 5, 3))
    assert day_type(dt.date(2024, 5, 6)) == "sunday_holiday"  # substitute holiday
    assert day_type(dt.date(2024, 5, 4)) == "sunday_holiday"  # みどりの日 on a Saturday
    assert day_type(dt.date(2024, 5, 11)) == "saturday"
    assert day_type(dt.date(2024, 5, 7)) == "weekday"


def test_jma_hour_ending_labels_move_to_interval_start() -> None:
    hiroshima = jma_weather("Hiroshima")
    assert len(hiroshima) == 2472
    assert hiroshima.index[0] == pd.Timestamp("2025-08-05T00:00+09:00")
    noon = hiroshima.loc["2025-08-05 12:00+09:00"]
    assert noon["ghi_wm2"] > 300  # the 12:00-13:00 hour of a summer day
    half = jma_weather_30min("Hiroshima")
    assert half.index[1] - half.index[0] == pd.Timedelta(minutes=30)
    assert half.loc["2025-08-05 12:30+09:00", "ghi_wm2"] == noon["ghi_wm2"]


def test_emhass_measured_year_in_kw() -> None:
    frame = emhass_load_pv()
    assert len(frame) == 17524
    assert str(pd.DatetimeIndex(frame.index).tz) == "UTC"
    assert 0 < frame["load_kw"].median() < 5  # a house, in kW
    assert frame["pv_kw"].max() < 20


def test_market_prices_from_builtin_and_user_csv(tmp_path: Path) -> None:
    start, end = pd.Timestamp("2024-08-01T00:00+09:00"), pd.Timestamp("2024-08-01T02:00+09:00")
    builtin = market_prices("builtin:jepx_chugoku", start, end)
    assert builtin.equals(jepx_prices(start, end))
    csv = tmp_path / "prices.csv"
    csv.write_text(
        "slot_start,price_jpy_per_kwh\n"
        + "".join(f"{(start + pd.Timedelta(minutes=30 * k)).isoformat()},{10 + k}\n" for k in range(4))
    )
    user = market_prices(str(csv), start.tz_convert("UTC"), end)
    assert list(user) == [10.0, 11.0, 12.0, 13.0]
    with pytest.raises(ValueError, match="has no price for 2 slot"):
        market_prices(str(csv), start, end + pd.Timedelta(hours=1))
    with pytest.raises(ValueError, match=r"market\.price_source: 'nope\.csv' is neither"):
        market_prices("nope.csv", start, end)
