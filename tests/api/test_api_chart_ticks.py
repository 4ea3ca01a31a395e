"""Chart axis ticks are round numbers and include zero when the range spans it."""

from __future__ import annotations

import pytest

from api.dashboard.charts import nice_ticks


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (-1314.0, 4273.0, [-1000.0, 0.0, 1000.0, 2000.0, 3000.0, 4000.0]),
        (0.0, 10.0, [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]),
        (0.0, 15.0, [0.0, 2.5, 5.0, 7.5, 10.0, 12.5, 15.0]),
        (3.0, 97.0, [20.0, 40.0, 60.0, 80.0]),
        (-5.0, -1.0, [-5.0, -4.0, -3.0, -2.0, -1.0]),
    ],
)
def test_nice_ticks(lo: float, hi: float, expected: list[float]) -> None:
    assert nice_ticks(lo, hi) == pytest.approx(expected)
