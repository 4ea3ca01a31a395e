# mypy: allow-untyped-defs, allow-incomplete-defs
"""A facility's age comes from its live points; slow points keep (and show) their own, older read time."""

from __future__ import annotations

import datetime as dt

import pytest
import service_fixtures

from runtime.store import readings, status
from runtime.store.readings import ReadingIn
from scenarios.loader import load_scenario

sqlite_store = service_fixtures.sqlite_store
T0 = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)


def test_slow_counter_age_does_not_age_the_facility(sqlite_store):
    centre = load_scenario("tiny").facility("centre")
    readings.write_readings(
        sqlite_store,
        [
            ReadingIn(T0, "centre", "m1", "import_kwh", 1000.0),  # slow point, read 90 s before now
            ReadingIn(T0 + dt.timedelta(seconds=80), "centre", "m1", "power_kw", 12.0),
            ReadingIn(T0 + dt.timedelta(seconds=85), "centre", "bat1", "soc", 0.7),
        ],
    )
    now = T0 + dt.timedelta(seconds=90)
    got = status.facility_status(centre, readings.latest_values(sqlite_store, "centre"), now)
    assert got.age_s == pytest.approx(10.0)  # the live power reading, not the 90 s old counter
    assert {p.point: p.age_s for p in got.points}["import_kwh"] == pytest.approx(90.0)
    only_slow = status.facility_status(
        centre, [r for r in readings.latest_values(sqlite_store, "centre") if r.point == "import_kwh"], now
    )
    assert only_slow.age_s == pytest.approx(90.0)
