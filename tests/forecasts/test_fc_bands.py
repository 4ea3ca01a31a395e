"""Bands learned from a facility's own pairs: minimum count, fallback, window, held-out coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasts.bands import MIN_FACILITY_PAIRS, apply_bands, learn_bands, rolling_coverage
from forecasts.uncertainty import ErrorQuantiles

WIDE = ErrorQuantiles(
    table=pd.DataFrame(
        {"q10": -0.9, "q50": 0.0, "q90": 1.0},
        index=["0-1 h", "1-3 h", "3-6 h", "6-12 h", "12-24 h", "24-48 h"],
    )
)


def day_ahead_pairs(days: int, error_kw: np.ndarray | None = None, start: str = "2024-05-01") -> pd.DataFrame:
    """One issue per day at 00:00 JST, 48 slots, forecast 10 kW; actual = forecast + error (kW)."""
    target = pd.date_range(start, periods=48 * days, freq="30min", tz="Asia/Tokyo")
    lead = np.tile(np.arange(1, 49) * 0.5, days)
    err = np.zeros(len(target)) if error_kw is None else error_kw
    return pd.DataFrame({"target": target, "lead_h": lead, "forecast": 10.0, "actual": 10.0 + err})


def test_too_few_own_pairs_use_the_fallback() -> None:
    pairs = day_ahead_pairs(6)  # 288 < 336
    bands = learn_bands(pairs, WIDE)
    assert bands.source == "fallback"
    assert bands.quantiles is WIDE
    assert "288 own pairs < 336" in bands.reason
    assert MIN_FACILITY_PAIRS == 336


def test_own_pairs_learn_the_quantiles_by_hand() -> None:
    # errors cycle 0, 1, ..., 100 kW over the slots: in every lead bucket the 10th/90th percentile is ~10/~90
    days = 21
    err = (np.arange(48 * days) * 37 % 101).astype(float)
    bands = learn_bands(day_ahead_pairs(days, err), WIDE)
    assert bands.source == "facility"
    assert bands.n_pairs == 48 * days
    assert bands.quantiles.table.loc["12-24 h", "q10"] == pytest.approx(10.0, abs=2.0)
    assert bands.quantiles.table.loc["12-24 h", "q90"] == pytest.approx(90.0, abs=2.0)
    band = apply_bands(day_ahead_pairs(1, start="2024-06-01"), bands)
    assert band["p10"].iloc[30] == pytest.approx(20.0, abs=2.0)  # 10 kW + q10
    # relative bands: the error divided by the scale column, applied back times the new scale
    rel = day_ahead_pairs(days, err).assign(scale=10.0)
    learned = learn_bands(rel, WIDE)
    assert learned.quantiles.table.loc["12-24 h", "q90"] == pytest.approx(9.0, abs=0.2)


def test_window_forgets_old_pairs() -> None:
    days = 60
    err = np.where(np.arange(48 * days) < 48 * 30, 50.0, 1.0)  # a bad first month, then errors of 1 kW
    bands = learn_bands(day_ahead_pairs(days, err), WIDE, window_days=28)
    assert bands.quantiles.table["q90"].max() == pytest.approx(1.0)


def test_rolling_coverage_is_held_out_and_near_nominal() -> None:
    rng = np.random.default_rng(5)
    days = 70
    pairs = day_ahead_pairs(days, rng.normal(0.0, 2.0, 48 * days))
    daily = rolling_coverage(pairs, WIDE)
    assert list(daily["source"].iloc[:7]) == ["fallback"] * 7  # the first week has no 336 own pairs yet
    assert daily["source"].iloc[7] == "facility"
    learned = daily[daily["source"] == "facility"]
    covered = np.average(learned["coverage"], weights=learned["n"])
    assert covered == pytest.approx(0.80, abs=0.04)  # normal errors: P10-P90 covers 80 % out of sample
    # by hand: a normal's P10-P90 band is 2 x 1.2816 sigma = 5.1 kW wide
    assert learned["width_kw"].mean() == pytest.approx(2 * 1.2816 * 2.0, rel=0.1)


def test_bad_pairs_frame_names_the_column() -> None:
    with pytest.raises(ValueError, match=r"missing column\(s\) \['forecast'\]"):
        learn_bands(pd.DataFrame({"target": [], "lead_h": [], "actual": []}), WIDE)


def test_pairs_from_stored_runs() -> None:
    from forecasts.bands import pairs_from_runs

    slots = pd.date_range("2024-05-01 00:00", periods=6, freq="30min", tz="Asia/Tokyo")
    measured = pd.Series([1.0, 2.0, 3.0, np.nan, 5.0, 6.0], index=slots)
    run_a = (slots[0], pd.Series(10.0, index=slots))
    run_b = (slots[2], pd.Series(20.0, index=slots[2:]))
    pairs = pairs_from_runs([run_a, run_b], measured)
    # run a: 5 measured slots, leads 0.5..3.0 h (slot 3 has no measurement); run b: slots 2, 4, 5
    assert len(pairs) == 5 + 3
    a = pairs[pairs["issue"] == slots[0]]
    assert list(a["lead_h"]) == [0.5, 1.0, 1.5, 2.5, 3.0]
    b = pairs[pairs["issue"] == slots[2]]
    assert list(b["actual"]) == [3.0, 5.0, 6.0]
    assert (b["forecast"] == 20.0).all()
    assert pairs_from_runs([], measured).empty
