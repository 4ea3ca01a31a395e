"""Car availability from the fleet calendar: official use on weekdays, car-sharing on weekends and Japanese
holidays, bookings, mobilisation and dealer delays; the vectorised per-start delays agree with the scalar rule."""

from __future__ import annotations

import pandas as pd
import pytest

from optimizer.outage.availability import car_availability, departure_delay_slots, is_weekend_day
from runtime.facades import outage_planning as rt
from scenarios.loader import load_scenario
from scenarios.model import Scenario

TZ = "Asia/Tokyo"


@pytest.fixture(scope="module")
def yamaguchi() -> Scenario:
    return load_scenario("yamaguchi")


def test_on_a_saturday_afternoon_the_car_sharing_cars_are_out(yamaguchi: Scenario) -> None:
    saturday = pd.Timestamp("2024-09-07T14:00", tz=TZ)
    off, free = rt.availability_options(yamaguchi, saturday)
    assert off == ()
    city = [e.id for e in yamaguchi.evs if e.owner == "city"]
    for car in city:  # weekend plug window 20:00-09:00: with citizens until 20:00, then a driver in 1 h
        assert free[car] == pd.Timestamp("2024-09-07T21:00", tz=TZ)
        assert (
            "car-sharing" in car_availability(yamaguchi.evs[[e.id for e in yamaguchi.evs].index(car)], saturday).reason
        )
    dealers = [e.id for e in yamaguchi.evs if e.owner == "dealer"]
    assert all(free[car] == saturday + pd.Timedelta(hours=6) for car in dealers)  # handed over after 6 h


def test_weekday_official_use_and_a_holiday_counts_as_weekend(yamaguchi: Scenario) -> None:
    bz4x = next(e for e in yamaguchi.evs if e.id == "bz4x-1")
    friday = car_availability(bz4x, pd.Timestamp("2024-09-06T14:00", tz=TZ))
    assert friday.state == "away"
    assert "official use" in friday.reason
    assert friday.back_at == pd.Timestamp("2024-09-06T18:00", tz=TZ)
    assert friday.free_from == pd.Timestamp("2024-09-06T19:00", tz=TZ)
    holiday = pd.Timestamp("2024-09-16T14:00", tz=TZ)  # 敬老の日, a Monday
    assert is_weekend_day(holiday.date())
    monday = car_availability(bz4x, holiday)
    assert "car-sharing" in monday.reason
    assert monday.back_at == pd.Timestamp("2024-09-16T20:00", tz=TZ)
    night = car_availability(bz4x, pd.Timestamp("2024-09-06T23:00", tz=TZ))  # plugged in since 18:00
    assert night.state == "base"
    assert night.free_from == pd.Timestamp("2024-09-07T00:00", tz=TZ)


def test_a_booking_overrides_the_plug_window(yamaguchi: Scenario) -> None:
    bz4x = next(e for e in yamaguchi.evs if e.id == "bz4x-1")  # booked 2024-08-03 21:00 to 08-04 08:00 (Hagi)
    a = car_availability(bz4x, pd.Timestamp("2024-08-03T23:00", tz=TZ))
    assert a.state == "away"
    assert "booking" in a.reason
    assert a.back_at == pd.Timestamp("2024-08-04T08:00", tz=TZ)


def test_vectorised_delays_equal_the_scalar_rule(yamaguchi: Scenario) -> None:
    index = pd.date_range("2024-08-02T00:00", periods=48 * 5, freq="30min", tz=TZ)  # Fri..Tue, with a booking
    for car in yamaguchi.evs[:2] + yamaguchi.evs[-1:]:
        delays = departure_delay_slots(car, index)
        for t in range(0, len(index) - 48, 7):
            free = car_availability(car, index[t]).free_from
            assert free is not None
            assert index[t] + delays[t] * pd.Timedelta(minutes=30) == free, (car.id, index[t])


def test_flags_override_the_calendar_car_by_car(yamaguchi: Scenario) -> None:
    saturday = pd.Timestamp("2024-09-07T14:00", tz=TZ)
    off, free = rt.availability_options(
        yamaguchi, saturday, ("cpod-1",), {"bz4x-1": pd.Timestamp("2024-09-07T14:00", tz=TZ)}
    )
    assert "cpod-1" in off
    assert "cpod-1" not in free
    assert free["bz4x-1"] == saturday
    assert free["phev-1"] == pd.Timestamp("2024-09-07T21:00", tz=TZ)
    plain_off, plain_free = rt.availability_options(yamaguchi, saturday, fleet_calendar=False)
    assert plain_off == ()
    assert plain_free == {}


def test_a_car_unavailable_until_1800_delivers_nothing_before(yamaguchi: Scenario) -> None:
    friday = pd.Timestamp("2024-09-06T14:00", tz=TZ)
    result = rt.plan(yamaguchi, friday, hours=12, method="greedy")
    index = result.data.index
    for v, ev in enumerate(result.data.usable_evs):
        if ev.id.startswith(("bz4x", "cpod", "phev", "leaf")):
            before = index < pd.Timestamp("2024-09-06T19:00", tz=TZ)  # back 18:00 + a driver in 1 h
            assert result.ev_kw[v][before].sum() == 0.0, ev.id
    assert any(n.startswith("car bz4x-1: leaves its base from Fri 09-06 19:00") for n in result.notes)
