"""Per-facility bands with the city pool as fallback, and the shelter's reserve margin they size, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasts.bands import learn_facility_bands, shelter_reserve_margin_kwh
from forecasts.uncertainty import constant_error_quantiles
from scenarios.loader import load_builtin

WIDE = constant_error_quantiles(-0.9, 0.0, 1.0)


def pairs(days: int, error_share: float) -> pd.DataFrame:
    """Day-ahead pairs (one issue a day, 48 slots, forecast 10 kW); actual = 10 kW + error_share x 10 kW."""
    target = pd.date_range("2024-05-01", periods=48 * days, freq="30min", tz="Asia/Tokyo")
    lead = np.tile(np.arange(1, 49) * 0.5, days)
    return pd.DataFrame(
        {"target": target, "lead_h": lead, "forecast": 10.0, "actual": 10.0 * (1 + error_share), "scale": 10.0}
    )


def test_own_pairs_win_then_the_city_pool_then_the_fallback() -> None:
    own = pairs(10, 0.2)  # 480 pairs: enough of its own
    few = pairs(3, 0.5)  # 144 pairs: borrows the pool (own + few = 624 pairs)
    bands = learn_facility_bands({"a": own, "b": few, "c": pairs(0, 0.0)}, WIDE)
    assert bands["a"].source == "facility"
    assert bands["a"].quantiles.table["q50"].tolist() == pytest.approx([0.2] * 6)
    assert bands["b"].source == "pooled"
    assert bands["c"].source == "pooled"
    pooled = bands["b"].quantiles.table.loc["12-24 h"]
    assert pooled["q10"] == pytest.approx(0.2)  # 480 of 624 errors are +20 %, 144 are +50 %
    assert pooled["q90"] == pytest.approx(0.5)
    alone = learn_facility_bands({"b": few}, WIDE)  # a pool too small falls back to the given bands
    assert alone["b"].source == "fallback"
    assert alone["b"].quantiles is WIDE


def test_reserve_margin_by_hand() -> None:
    centre = load_builtin("tiny").facility("centre")  # shelter: critical 2 kW, reserve 4 h, x1.3 17-22 JST
    noon = pd.date_range("2024-06-10 12:00", periods=96, freq="30min", tz="Asia/Tokyo")
    q = constant_error_quantiles(-0.1, 0.0, 0.5)  # P90 - P50 = 50 % of the critical load
    assert shelter_reserve_margin_kwh(centre, noon, q) == pytest.approx((0.5 * 2.0 * 4.0, 4.0))
    evening = pd.date_range("2024-06-10 17:00", periods=96, freq="30min", tz="Asia/Tokyo")
    assert shelter_reserve_margin_kwh(centre, evening, q)[0] == pytest.approx(0.5 * 2.0 * 1.3 * 4.0)
    assert shelter_reserve_margin_kwh(centre, noon, q, hours=1.0) == pytest.approx((1.0, 1.0))
    office = load_builtin("tiny").facility("office")
    assert shelter_reserve_margin_kwh(office, noon, q) == (0.0, 0.0)
    biased = constant_error_quantiles(0.2, 0.2, 0.2)  # a bias alone is no uncertainty: nothing added
    assert shelter_reserve_margin_kwh(centre, noon, biased)[0] == pytest.approx(0.0)
