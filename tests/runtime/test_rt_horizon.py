"""The loop's rolling horizon keeps a fixed length so the rolling planner re-uses its model."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from runtime.loop.horizon import horizon_index
from runtime.settings import Settings


@pytest.mark.parametrize("clock", ["2024-08-01T00:00:00+09:00", "2024-08-01T23:10:00+09:00"])
def test_horizon_has_96_slots_whatever_the_time_of_day(clock: str) -> None:
    now = pd.Timestamp(clock).to_pydatetime()
    index, fraction = horizon_index(now)
    assert len(index) == 96
    assert index[0] == pd.Timestamp(clock).floor("30min")
    assert index[-1] - index[0] == pd.Timedelta(minutes=30 * 95)
    assert fraction == pytest.approx(1.0 if clock.endswith("00:00:00+09:00") else 20 / 30)


def test_next_slot_shifts_the_window_by_one_slot() -> None:
    first, _ = horizon_index(dt.datetime(2024, 8, 1, 22, 0, tzinfo=dt.timezone(dt.timedelta(hours=9))))
    second, _ = horizon_index(dt.datetime(2024, 8, 1, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=9))))
    assert list(second[:-1]) == list(first[1:])


def test_default_gap_is_tight() -> None:
    assert Settings().highs_mip_gap <= 1e-3
