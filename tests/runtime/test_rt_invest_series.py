"""The investment year's series: the nearest shipped JMA station's weather (Tokyo 2024 where it has no record)
and the outage load from the scenario's service tiers (kW, 30-min slots, UTC weather index)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasts.load import critical_load_kw
from forecasts.providers.jma import read_jma_csv
from runtime.facades.invest_planning import year_series
from runtime.facades.invest_weather import distance_km, nearest_station, weather_year
from scenarios.datasets import data_path
from scenarios.loader import load_builtin


def test_distance_is_the_great_circle() -> None:
    """One degree of latitude is 6371 km × pi / 180 = 111.19 km."""
    assert distance_km(34.0, 131.0, 35.0, 131.0) == pytest.approx(111.19, abs=0.01)


def test_yamaguchi_takes_hiroshima_the_nearest_shipped_station() -> None:
    """Yamaguchi city (34.18 N, 131.47 E): Hiroshima about 96 km, Fukuoka about 120 km, Tokyo about 730 km."""
    station, km = nearest_station(load_builtin("yamaguchi"))
    assert station == "Hiroshima"
    assert 90 < km < 100


def test_the_weather_year_is_hiroshima_where_it_has_a_record_and_tokyo_elsewhere() -> None:
    w = weather_year(load_builtin("tiny"))
    assert w.station == "Hiroshima"
    assert w.measured_days == 103  # hours ending 2025-08-05 01:00 .. 11-16 00:00 JST: 5 Aug - 15 Nov, 103 days
    assert "Hiroshima" in w.describe()
    assert "Tokyo" in w.describe()
    assert w.frame is not None
    hiroshima = read_jma_csv(data_path("jma_hourly_hiroshima_fukuoka_2025.csv"), "Hiroshima")
    tokyo = read_jma_csv(data_path("jma_hourly_tokyo_2024.csv"), "Tokyo")
    noon = pd.Timestamp("2024-09-01 12:30", tz="Asia/Tokyo")
    moved = pd.Timestamp("2025-09-01 12:30", tz="Asia/Tokyo")
    np.testing.assert_equal(w.frame.loc[[noon], "ghi_wm2"].to_numpy(), hiroshima.loc[[moved], "ghi_wm2"].to_numpy())
    june = pd.Timestamp("2024-06-01 12:30", tz="Asia/Tokyo")
    np.testing.assert_equal(w.frame.loc[[june], "ghi_wm2"].to_numpy(), tokyo.loc[[june], "ghi_wm2"].to_numpy())
    assert w.frame.index.is_monotonic_increasing
    assert not w.frame.index.has_duplicates


def test_the_outage_load_is_tier_1_by_default() -> None:
    """'tiny' has no population: tier 1 is tier1_share (0.5) × the critical load (issue 13's rule)."""
    tiny = load_builtin("tiny")
    shelter = tiny.shelters[0]
    tier1 = year_series(tiny, weather="clear-sky")
    critical = year_series(tiny, weather="clear-sky", outage_load="critical")
    n = tier1.n_slots
    whole = critical_load_kw(shelter, tier1.index).to_numpy()
    np.testing.assert_allclose(critical.critical_kw[:n, 0], whole)
    np.testing.assert_allclose(tier1.critical_kw[:n, 0], 0.5 * whole)
    assert "tier1" in tier1.source
    with pytest.raises(ValueError, match="outage_load"):
        year_series(tiny, outage_load="everything")


def test_the_interchange_links_are_stated_grid_tied() -> None:
    """Yamaguchi's one feeder (yuda-cc - konkon-park) has no islanded mode: it drops out in an outage."""
    from runtime.facades.invest_planning import links_in_outage

    (line,) = links_in_outage(load_builtin("yamaguchi"))
    assert line.startswith("yuda-park-feeder (yuda-cc - konkon-park, 20 kW)")
    assert "grid-tied" in line
