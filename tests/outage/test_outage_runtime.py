"""Runtime functions and CLI of outage planning on the built-in scenarios, and readiness targets."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app
from optimizer.outage.from_scenario import haversine_km, input_from_scenario
from runtime.facades import outage_planning as rt
from scenarios.loader import load_scenario
from scenarios.model import Scenario


@pytest.fixture(scope="module")
def yamaguchi() -> Scenario:
    return load_scenario("yamaguchi")


def test_travel_from_coordinates_road_factor_and_speed(yamaguchi: Scenario) -> None:
    start = pd.Timestamp("2024-09-01T14:00", tz="Asia/Tokyo")
    data = input_from_scenario(yamaguchi, start, 8, {})
    i, j = data.site_ids.index("tokuji-cc"), data.site_ids.index("city-hall")
    straight = haversine_km(34.170, 131.680, 34.178, 131.474)
    assert straight == pytest.approx(18.97, abs=0.05)  # 0.206° of longitude at 34.17° N
    assert data.distance_km[i, j] == pytest.approx(straight * 1.3, rel=1e-6)
    assert data.travel_slots[i, j] == 2  # 24.7 km at 30 km/h = 49 min -> two 30-min slots
    assert len(data.shelters) == 21
    assert len(data.evs) == 12


def test_greedy_plan_and_writers(yamaguchi: Scenario, tmp_path: Path) -> None:
    start, naive = rt.outage_start("2024-09-01T14:10")
    assert naive
    assert start == pd.Timestamp("2024-09-01T14:00", tz="Asia/Tokyo")
    result = rt.plan(yamaguchi, start, hours=12, method="greedy")
    table = result.shelter_table()
    assert len(table) == 21
    assert (table["served_kwh"] + table["shed_kwh"]).to_numpy() == pytest.approx(table["critical_kwh"].to_numpy())
    assert result.itinerary_table()["energy_delivered_kwh"].sum() == pytest.approx(result.ev_kw.sum() * 0.5)
    paths = rt.write_plan(result, tmp_path / "plan")
    assert [p.name for p in paths] == ["shelters.csv", "itinerary.csv", "shed_kw.csv", "plan.json", "cars.csv"]
    loaded = json.loads(paths[3].read_text(encoding="utf-8"))
    assert loaded["summary"]["served_kwh"] == pytest.approx(result.served_kwh)
    assert len(loaded["itinerary"]) == len(result.moves)


def test_survival_fleet_adds_served_hours(yamaguchi: Scenario, tmp_path: Path) -> None:
    start = pd.Timestamp("2024-07-01", tz="Asia/Tokyo")
    table = rt.survival(yamaguchi, start, start + pd.Timedelta(days=2), hours=24)
    assert table[("ev", "served_mean_h")].sum() > table[("no_ev", "served_mean_h")].sum()
    assert (table[("ev", "mean_h")] >= table[("no_ev", "mean_h")] - 1e-9).all()
    assert table.loc["ohdono-cc", ("no_ev", "max_h")] == 0.0  # no PV, no battery
    out = rt.write_survival(table, tmp_path / "survival.json")
    assert json.loads(out.read_text())[0]["shelter"] == "ohdono-cc"


def test_readiness_raises_reserves_and_targets(yamaguchi: Scenario) -> None:
    event = pd.Timestamp("2024-09-01T14:00", tz="Asia/Tokyo")
    targets, ready = rt.readiness(yamaguchi, event, hours=72, ev_target_soc=0.95)
    shiraishi = next(r for r in targets.shelters if r.shelter == "shiraishi-cc")
    # 16.4 kWh between 10 % and 95 % = 13.94 kWh, less than 72 h x 2 kW: the whole usable battery.
    assert shiraishi.reserve_kwh == pytest.approx(13.94)
    assert shiraishi.reserve_hours == pytest.approx(6.97)
    assert ready.facility("shiraishi-cc").batteries[0].reserve_soc == pytest.approx(0.95)
    raised, original = ready.facility("shiraishi-cc").shelter, yamaguchi.facility("shiraishi-cc").shelter
    assert raised is not None
    assert original is not None
    assert raised.reserve_hours == pytest.approx(6.97)
    assert original.reserve_hours == 4.0  # original untouched
    bz4x = next(e for e in ready.evs if e.id == "bz4x-1")
    assert all(w.departure_soc == 0.95 for w in bz4x.weekday + bz4x.weekend)
    assert {e.car for e in targets.evs} == {e.id for e in yamaguchi.evs if e.owner == "city"}
    assert json.loads(json.dumps(targets.to_dict()))["event_time"].startswith("2024-09-01T14:00")


def test_cli_outage_and_survival(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "outage",
            "--scenario",
            "tiny",
            "--start",
            "2024-09-01T14:00",
            "--hours",
            "6",
            "--method",
            "greedy",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "read as Asia/Tokyo" in result.output
    assert "EV itinerary" in result.output
    assert "Shelters" in result.output
    assert (tmp_path / "plan.json").exists()
    result = runner.invoke(
        app, ["outage", "survival", "--scenario", "tiny", "--period", "2024-07-01/2024-07-01", "--hours", "24"]
    )
    assert result.exit_code == 0, result.output
    assert "Without EVs" in result.output
    assert "the fleet adds" in result.output


def test_readiness_cost_runs_the_day_ahead_plan_twice() -> None:
    tiny = load_scenario("tiny")
    cost = rt.readiness_cost(tiny, pd.Timestamp("2024-09-01T14:00", tz="Asia/Tokyo"), hours=72)
    assert str(cost.plan_date) == "2024-08-31"
    assert cost.status_base == cost.status_ready == "optimal"
    # Tighter (soft) reserve and charge targets cannot make the optimal plan cheaper.
    assert cost.objective_ready_jpy >= cost.objective_base_jpy - 1e-6
    assert cost.extra_money_jpy == pytest.approx(cost.money_ready_jpy - cost.money_base_jpy)
    assert cost.to_dict()["extra_money_jpy"] == pytest.approx(cost.extra_money_jpy)


def test_survival_with_recorded_weather(tmp_path: Path) -> None:
    from runtime.facades.forecasting import read_weather_file
    from scenarios.datasets import data_path

    tiny = load_scenario("tiny")
    jma = data_path("jma_hourly_hiroshima_fukuoka_2025.csv")
    weather = read_weather_file(jma, "Hiroshima")
    start = pd.Timestamp("2025-09-01", tz="Asia/Tokyo")
    cloudy = rt.survival(tiny, start, start + pd.Timedelta(days=7), hours=24, weather=weather)
    clear = rt.survival(tiny, start, start + pd.Timedelta(days=7), hours=24)
    # measured sky is never brighter than clear sky by more than the kt cap allows, and on average darker:
    # the shelters serve fewer hours with the week's recorded weather than under clear sky
    assert cloudy[("no_ev", "served_mean_h")].sum() < clear[("no_ev", "served_mean_h")].sum()
    result = CliRunner().invoke(
        app,
        [
            "outage", "survival", "--scenario", "tiny", "--period", "2025-09-01/2025-09-07", "--hours", "24",
            "--weather", str(jma), "--station", "Hiroshima",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "PV from jma:Hiroshima" in result.output
    assert "km from the site" in result.output  # Hiroshima is ~95 km east of Yamaguchi: warned
    missing = CliRunner().invoke(
        app, ["outage", "survival", "--period", "2025-09-01/2025-09-02", "--weather", str(tmp_path / "none.csv")]
    )
    assert missing.exit_code == 2
    assert "no file at" in missing.output
