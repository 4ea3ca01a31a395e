# mypy: allow-untyped-defs, allow-incomplete-defs
"""`ems invest` on 'tiny' (one shelter 'centre', one car 'ev1'): the table, the files, and the API that reads them
back for the disaster office and operators (not facility managers); bad configuration names the field."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import service_fixtures
import yaml
from fastapi.testclient import TestClient
from service_fixtures import add_users, login, make_service
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app
from scenarios.invest_costs import DEFAULT_FILE

sqlite_store = service_fixtures.sqlite_store
runner = CliRunner()


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("invest")
    result = runner.invoke(app, ["invest", "--scenario", "tiny", "--target", "0.9", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "centre" in result.output
    assert "verified over the year: True" in result.output
    return out


def test_invest_writes_table_json_and_plot(tiny_run: Path) -> None:
    table = pd.read_csv(tiny_run / "invest_shelters.csv", index_col="shelter")
    assert list(table.index) == ["centre"]
    row = table.loc["centre"]
    assert row.p72_after_fleet >= 0.9
    assert row.p72_after_fleet >= row.p72_before
    assert row.p72_after_fleet >= row.p72_after_alone
    summary = json.loads((tiny_run / "invest.json").read_text(encoding="utf-8"))
    assert summary["verified"] is True
    assert summary["target"] == 0.9
    assert sum(d["weight"] for d in summary["representative_days"]) == 365
    assert summary["finance"]["capex_jpy"] > 0
    assert (tiny_run / "invest.png").stat().st_size > 0


def test_api_serves_the_last_run_to_the_disaster_office(tiny_run: Path, sqlite_store) -> None:
    add_users(sqlite_store)
    service = make_service(sqlite_store)
    service.settings = service.settings.model_copy(update={"invest_dir": tiny_run})
    with TestClient(create_app(service)) as client:
        dis, op, mgr = (login(client, n) for n in ("disaster", "op", "mgr"))
        assert client.get("/api/v1/invest", headers=mgr).status_code == 403
        assert client.get("/api/v1/invest", headers=op).status_code == 200
        body = client.get("/api/v1/invest", headers=dis).json()
        assert body["shelters"][0]["shelter"] == "centre"
        assert body["mode"] == "least_cost"
        assert body["finance"]["npv_jpy"] is not None


def test_api_says_404_without_a_run(tmp_path: Path, sqlite_store) -> None:
    add_users(sqlite_store)
    service = make_service(sqlite_store)
    service.settings = service.settings.model_copy(update={"invest_dir": tmp_path})
    with TestClient(create_app(service)) as client:
        answer = client.get("/api/v1/invest", headers=login(client, "disaster"))
        assert answer.status_code == 404
        assert "ems invest" in answer.json()["detail"]


def test_bad_costs_file_names_the_field(tmp_path: Path) -> None:
    data = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))
    data["battery_energy"]["subsidy_share"] = 1.5
    path = tmp_path / "costs.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(app, ["invest", "--scenario", "tiny", "--costs", str(path)])
    assert result.exit_code == 2
    assert "battery_energy.subsidy_share" in result.output


def test_budget_mode_on_tiny_spends_at_most_the_budget(tmp_path: Path) -> None:
    args = ["invest", "--scenario", "tiny", "--budget", "1000000", "--levels", "0.95", "--out", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "invest.json").read_text(encoding="utf-8"))
    assert summary["mode"] == "budget"
    assert summary["finance"]["capex_jpy"] <= 1_000_000 + 1e-3
    budget = summary["budget"]
    assert budget["shelters"] == 1
    assert budget["capex_jpy"] == pytest.approx(summary["finance"]["capex_jpy"])
    pick = budget["chosen"][0]
    assert pick["shelter"] == "centre"
    assert pick["p"] == pytest.approx(summary["shelters"][0]["p72_after_fleet"])
    assert (pick["p"] >= 0.95) == (budget["met"] == 1)
    assert budget["rungs_built"] == 1
    assert budget["path"] == "ladder"
    assert "above the budget" in budget["reason"]
    assert budget["city_capex_jpy"] > 1_000_000
    assert "answered by the ladder path" in result.output
    assert "Hiroshima" in summary["weather"]


def test_budget_mode_on_tiny_answers_with_the_shared_car_plan_when_it_fits(tmp_path: Path) -> None:
    """2 M JPY: above the city-wide plan at the target (shared dealer car ev1), below centre's plan alone."""
    from api.schemas.invest import InvestPlanOut

    args = ["invest", "--scenario", "tiny", "--budget", "2000000", "--levels", "0.95", "--out", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "answered by the city-wide path" in result.output
    summary = json.loads((tmp_path / "invest.json").read_text(encoding="utf-8"))
    budget = summary["budget"]
    assert budget["path"] == "city-wide"
    assert budget["met"] == budget["shelters"] == 1
    assert summary["verified"] is True
    assert summary["allotment"] == {"ev1": "centre"}
    assert budget["capex_jpy"] == pytest.approx(summary["finance"]["capex_jpy"])
    assert budget["capex_jpy"] == pytest.approx(budget["city_capex_jpy"])
    assert 0 < budget["capex_jpy"] <= 2_000_000
    assert InvestPlanOut.model_validate(summary).budget.path == "city-wide"  # type: ignore[union-attr]


def test_bad_levels_name_the_option() -> None:
    result = runner.invoke(app, ["invest", "--scenario", "tiny", "--budget", "1", "--levels", "0.5,2"])
    assert result.exit_code == 2
    assert "--levels" in result.output


def test_cost_rises_with_the_resilience_target(tmp_path: Path) -> None:
    """The cost-vs-resilience curve on tiny: a stricter target never costs less; files and plot written."""
    from runtime.facades import invest_files, invest_planning
    from scenarios.loader import load_scenario

    tiny = load_scenario("tiny")
    year = invest_planning.year_series(tiny)
    runs = invest_planning.resilience_curve(tiny, (0.5, 0.9), year=year)
    curve = invest_files.curve_table(runs)
    assert list(curve["target"]) == [0.5, 0.9]
    assert curve["annual_cost_jpy"].is_monotonic_increasing
    assert all(curve["worst_p72"] >= curve["target"] - 1e-9)
    paths = invest_files.write_run(runs[-1], tmp_path, runs)
    assert paths["curve_plot"].stat().st_size > 0
