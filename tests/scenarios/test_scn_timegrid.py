"""The 30-minute time grid: slot boundaries, time zones, JEPX slot numbers, leap day, horizons."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from scenarios.timegrid import (
    SLOT,
    SLOT_FREQ,
    NaiveTimeError,
    day_slots,
    default_horizon,
    floor_to_slot,
    jepx_slot_number,
    require_aware,
    slot_fraction,
    slots,
    utcnow,
)


def test_day_has_48_slots_named_by_start_in_jst() -> None:
    index = day_slots(dt.date(2024, 8, 1))
    assert len(index) == 48
    assert index[0] == pd.Timestamp("2024-08-01T00:00+09:00")
    assert index[-1] == pd.Timestamp("2024-08-01T23:30+09:00")
    assert str(index.tz) == "Asia/Tokyo"


def test_leap_day_is_an_ordinary_48_slot_day() -> None:
    index = day_slots(dt.date(2024, 2, 29))
    assert len(index) == 48
    assert index[-1] + pd.Timedelta(minutes=30) == pd.Timestamp("2024-03-01T00:00+09:00")
    span = slots(pd.Timestamp("2024-02-28T00:00+09:00"), pd.Timestamp("2024-03-01T00:00+09:00"))
    assert len(span) == 96


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2024-08-01T00:00:00+09:00", 1),
        ("2024-08-01T00:29:59+09:00", 1),
        ("2024-08-01T00:30:00+09:00", 2),
        ("2024-08-01T23:59:59+09:00", 48),
        ("2024-07-31T15:00:00+00:00", 1),  # 00:00 JST
    ],
)
def test_jepx_slot_numbers(stamp: str, expected: int) -> None:
    assert jepx_slot_number(pd.Timestamp(stamp)) == expected


def test_utc_and_jst_name_the_same_slot() -> None:
    utc = floor_to_slot(pd.Timestamp("2024-08-01T03:47:00Z"))
    jst = floor_to_slot(pd.Timestamp("2024-08-01T12:47:00+09:00"))
    assert utc == jst == pd.Timestamp("2024-08-01T12:30+09:00")


def test_naive_timestamps_are_refused_with_the_field_named() -> None:
    with pytest.raises(NaiveTimeError, match=r"^start: timestamp 2024-08-01T10:00:00 has no timezone"):
        require_aware(dt.datetime(2024, 8, 1, 10), "start")  # noqa: DTZ001 - the naive time is the input under test
    with pytest.raises(NaiveTimeError):
        slots(dt.datetime(2024, 8, 1), pd.Timestamp("2024-08-02T00:00+09:00"))  # noqa: DTZ001 - the naive time is the input under test


def test_partial_first_slot_and_default_horizon() -> None:
    now = pd.Timestamp("2024-08-01T10:10+09:00")
    assert slot_fraction(now) == pytest.approx(2 / 3)
    horizon = default_horizon(now)
    assert horizon.index[0] == pd.Timestamp("2024-08-01T10:00+09:00")
    assert horizon.index[-1] == pd.Timestamp("2024-08-02T23:30+09:00")
    assert len(horizon.index) == 28 + 48
    assert horizon.hours[0] == pytest.approx(0.5 * 2 / 3)
    assert horizon.hours[1] == 0.5
    assert len(default_horizon(pd.Timestamp("2024-08-01T00:00+09:00")).index) == 96


def test_empty_span_is_an_error() -> None:
    with pytest.raises(ValueError, match="must be after start"):
        slots(pd.Timestamp("2024-08-01T10:00+09:00"), pd.Timestamp("2024-08-01T09:00+09:00"))


def test_slot_freq_is_the_slot_length() -> None:
    assert pd.Timedelta(SLOT_FREQ) == SLOT == pd.Timedelta(minutes=30)
    # a frequency string pandas accepts for ranges and rounding alike
    assert pd.Timestamp("2024-08-01T10:59+09:00").floor(SLOT_FREQ) == pd.Timestamp("2024-08-01T10:30+09:00")


def test_utcnow_is_aware_utc_and_current() -> None:
    before = dt.datetime.now(dt.UTC)
    now = utcnow()
    after = dt.datetime.now(dt.UTC)
    assert now.utcoffset() == dt.timedelta(0)
    assert before <= now <= after
