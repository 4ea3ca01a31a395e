"""Load forecasts: scenario shape without history, day-type profile with history, holidays, critical load."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasts.load import critical_load_kw, forecast_facility_load
from scenarios.datasets import day_type, load_shape_kw
from scenarios.loader import load_builtin
from scenarios.model import Facility, FacilityKind, LoadProfile, Shelter
from scenarios.timegrid import NaiveTimeError

TZ = "Asia/Tokyo"


def facility(**extra: object) -> Facility:
    base = {
        "id": "f",
        "name_ja": "施設",
        "name_en": "F",
        "kind": FacilityKind.OTHER,
        "latitude": 34.18,
        "longitude": 131.47,
        "grid_contract_kw": 100,
        "load": LoadProfile(source="doe:SmallOffice", annual_kwh=100_000),
    }
    base.update(extra)
    return Facility(**base)


def level_history(start: str, end: str, levels: dict[str, float]) -> pd.Series:
    """Flat kW per day by day type, on the 30-min grid (values chosen per calendar weekday here)."""
    index = pd.date_range(start, end, freq="30min", tz=TZ, inclusive="left")
    kinds = np.where(index.day_of_week == 6, "sunday_holiday", np.where(index.day_of_week == 5, "saturday", "weekday"))
    return pd.Series([levels[k] for k in kinds], index=index)


def test_holiday_day_types() -> None:
    assert day_type(pd.Timestamp("2024-05-03").date()) == "sunday_holiday"  # 憲法記念日, a Friday
    assert day_type(pd.Timestamp("2024-05-02").date()) == "weekday"
    assert day_type(pd.Timestamp("2024-05-06").date()) == "sunday_holiday"  # 振替休日
    assert day_type(pd.Timestamp("2024-05-11").date()) == "saturday"


def test_without_history_is_scenario_shape() -> None:
    index = pd.date_range("2024-08-01", periods=48, freq="30min", tz=TZ)
    f = facility()
    load = forecast_facility_load(f, index)
    expected = load_shape_kw("doe:SmallOffice", 100_000, index)
    np.testing.assert_allclose(load.to_numpy(), expected.to_numpy())
    assert load.attrs["load_input"] == "shape"
    none = forecast_facility_load(facility(load=None), index)
    assert (none == 0.0).all()
    assert len(none) == 48


def test_history_profile_by_day_type_with_holiday() -> None:
    # April 1-28 2024 has no Japanese holiday, so calendar weekdays are the day types
    history = level_history("2024-04-01", "2024-04-29", {"weekday": 10.0, "saturday": 6.0, "sunday_holiday": 3.0})
    index = pd.date_range("2024-05-02", "2024-05-05", freq="30min", tz=TZ, inclusive="left")
    load = forecast_facility_load(facility(), index, history)
    assert load.attrs["load_input"] == "history"
    by_day = load.groupby(pd.DatetimeIndex(load.index).date).mean()
    assert by_day[pd.Timestamp("2024-05-02").date()] == pytest.approx(10.0)  # Thursday
    assert by_day[pd.Timestamp("2024-05-03").date()] == pytest.approx(3.0)  # Constitution Day (Friday)
    assert by_day[pd.Timestamp("2024-05-04").date()] == pytest.approx(3.0)  # Greenery Day (Saturday)


def test_history_blends_recent_days() -> None:
    # weekdays at 10 kW for three weeks, then 20 kW in the last week (a new tenant)
    history = level_history("2024-04-01", "2024-04-29", {"weekday": 10.0, "saturday": 6.0, "sunday_holiday": 3.0})
    last_week = history.index >= pd.Timestamp("2024-04-22", tz=TZ)
    weekday = pd.DatetimeIndex(history.index).day_of_week < 5
    history[last_week & weekday] = 20.0
    index = pd.date_range("2024-05-01", periods=48, freq="30min", tz=TZ)
    load = forecast_facility_load(facility(), index, history)
    # by hand: weekday ages from the history's last day (Apr 28): 22..26 -> 20 kW; 1..5, 8..12, 15..19 -> 10 kW;
    # weight 0.5 ** (age / 7)
    ages_new = [28 - d for d in range(22, 27)]
    ages_old = [28 - d for d in [*range(1, 6), *range(8, 13), *range(15, 20)]]
    w_new = sum(0.5 ** (a / 7) for a in ages_new)
    w_old = sum(0.5 ** (a / 7) for a in ages_old)
    expected = (20 * w_new + 10 * w_old) / (w_new + w_old)
    np.testing.assert_allclose(load.to_numpy(), expected)
    assert 12.5 < expected < 20  # more weight on the recent week than a plain mean (12.5)


def test_short_history_falls_back_to_shape_and_naive_refused() -> None:
    index = pd.date_range("2024-08-01", periods=4, freq="30min", tz=TZ)
    short = pd.Series([5.0, 5.0], index=pd.date_range("2024-07-31", periods=2, freq="30min", tz=TZ))
    assert forecast_facility_load(facility(), index, short).attrs["load_input"] == "shape"
    with pytest.raises(NaiveTimeError):
        forecast_facility_load(facility(), pd.date_range("2024-08-01", periods=4, freq="30min"))
    with pytest.raises(NaiveTimeError):
        forecast_facility_load(facility(), index, pd.Series([1.0], index=pd.date_range("2024-07-01", periods=1)))


def test_critical_load() -> None:
    index = pd.date_range("2024-08-01", periods=48, freq="30min", tz=TZ)
    shelter = facility(shelter=Shelter(critical_load_kw=8.0, evening_peak_factor=1.5))
    crit = critical_load_kw(shelter, index)
    assert crit[pd.Timestamp("2024-08-01 16:30", tz=TZ)] == 8.0
    assert crit[pd.Timestamp("2024-08-01 17:00", tz=TZ)] == 12.0
    assert crit[pd.Timestamp("2024-08-01 21:30", tz=TZ)] == 12.0
    assert crit[pd.Timestamp("2024-08-01 22:00", tz=TZ)] == 8.0
    assert (crit > 8.0).sum() == 10
    # the same instants in UTC give the same values
    np.testing.assert_allclose(critical_load_kw(shelter, index.tz_convert("UTC")).to_numpy(), crit.to_numpy())
    hq = critical_load_kw(facility(critical_load_kw=4.0), index)
    assert (hq == 4.0).all()
    assert (critical_load_kw(facility(), index) == 0.0).all()


def test_yamaguchi_loads() -> None:
    scenario = load_builtin("yamaguchi")
    index = pd.date_range("2024-08-01", periods=96, freq="30min", tz=TZ)
    for f in scenario.facilities:
        load = forecast_facility_load(f, index)
        assert len(load) == 96
        assert (load >= 0).all()
        assert (critical_load_kw(f, index) > 0).any() == (f.is_shelter or f.critical_load_kw > 0)
