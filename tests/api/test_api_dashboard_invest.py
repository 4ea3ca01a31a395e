# mypy: allow-untyped-defs, allow-incomplete-defs
"""The dashboard's investment page (/invest) without a browser: the numbers it shows equal GET /api/v1/invest's
(on a real `ems invest` run on 'tiny' and on a hand-written budget run with a curve), the curve's JSON block, the
"no investment run yet" state, an unreadable file, roles and navigation, both languages, no inline script; the
budget block (the numbers equal the API's, the warning when the ladder did not finish, "nothing added"), the
weather line and the links in an outage."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import invest_seed
import pytest
from fastapi.testclient import TestClient
from service_fixtures import add_users, login, make_service
from test_api_dashboard_pages import ScriptCheck, spec, text_of
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli_app
from runtime.store.db import open_store


@pytest.fixture(scope="module")
def real_run(tmp_path_factory) -> Path:
    """A real `ems invest` on 'tiny' (one shelter 'centre', one car 'ev1'), as the CLI tests run it."""
    out = tmp_path_factory.mktemp("invest-real")
    result = CliRunner().invoke(cli_app, ["invest", "--scenario", "tiny", "--target", "0.9", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('dash-invest') / 'ems.db'}")
    add_users(store)
    svc = make_service(store)
    with TestClient(create_app(svc)) as c:
        c.users = {name: login(c, name) for name in ("op", "mgr", "disaster")}
        c.cookies.clear()
        c.svc = svc
        yield c
    store.dispose()


def use_dir(client, folder: Path) -> None:
    client.svc.settings = client.svc.settings.model_copy(update={"invest_dir": folder})


def cell(html: str, shelter: str, name: str) -> str:
    row = re.search(rf'<tr class="invest-row" data-shelter="{shelter}">(.*?)</tr>', html, re.S)
    assert row is not None, f"no row for {shelter}"
    found = re.search(rf'<td class="(?:name )?{name}">([^<]*)</td>', row.group(1))
    assert found is not None, f"no {name} cell for {shelter}"
    return found.group(1).strip()


def one(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def assert_page_equals_api(client, user: str) -> str:
    headers = client.users[user]
    api = client.get("/api/v1/invest", headers=headers)
    assert api.status_code == 200
    body = api.json()
    html = client.get("/invest?lang=en", headers=headers).text
    client.cookies.clear()
    for row in body["shelters"]:
        sid = row["shelter"]
        assert cell(html, sid, "pv_kwp") == one(row["pv_kwp"])
        assert cell(html, sid, "battery_kwh") == one(row["battery_kwh"])
        assert cell(html, sid, "battery_kw") == one(row["battery_kw"])
        assert cell(html, sid, "v2h_chargers") == str(row["v2h_chargers"])
        assert cell(html, sid, "cars") == (row["cars"] or "–")
        assert cell(html, sid, "p_before") == one(100 * row["p72_before"])
        assert cell(html, sid, "p_after_fleet") == one(100 * row["p72_after_fleet"])
        assert cell(html, sid, "p_after_alone") == one(100 * row["p72_after_alone"])
        assert cell(html, sid, "min_h") == one(row["min_h_after"])
    assert html.count('class="invest-row"') == len(body["shelters"])
    money = body["finance"]
    assert text_of(html, "invest-capex") == one(money["capex_jpy"], 0)
    assert text_of(html, "invest-annual") == one(money["annual_cost_jpy"], 0)
    assert text_of(html, "invest-npv") == one(money["npv_jpy"], 0)
    assert text_of(html, "invest-payback") == one(money["payback_years"])
    assert text_of(html, "invest-co2") == one(money["co2_t_per_year"])
    assert text_of(html, "invest-saving") == one(money["saving_jpy_per_year"], 0)
    return html


def test_real_run_page_equals_the_api(client, real_run):
    use_dir(client, real_run)
    html = assert_page_equals_api(client, "disaster")
    written = json.loads((real_run / "invest.json").read_text(encoding="utf-8"))
    assert cell(html, "centre", "cars") == "ev1"
    assert cell(html, "centre", "battery_kwh") == one(written["shelters"][0]["battery_kwh"])
    assert "Test Centre" in html
    assert text_of(html, "invest-verified") == (
        "Verified over the year" if written["verified"] else "Some shelters below target"
    )
    assert 'id="invest-no-curve"' in html  # a run without --curve
    assert "ems invest --curve" in html
    assert 'data-spec="invest-curve-spec"' not in html


def test_budget_run_with_curve(client, tmp_path):
    use_dir(client, invest_seed.write(tmp_path / "budget"))
    html = assert_page_equals_api(client, "op")
    assert text_of(html, "invest-payback") == "8.4"  # 8.44 years to one digit
    assert text_of(html, "invest-capex") == "11,500,000"
    assert text_of(html, "invest-budget") == "12,000,000"
    assert cell(html, "school", "battery_kwh") == "1,234.5"
    assert cell(html, "school", "p_after_fleet") == "97.0"
    assert cell(html, "centre", "p_before") == "12.5"
    assert "Best resilience within budget" in html
    assert "new-ev-1" in text_of(html, "invest-cars-bought")
    chart = spec(html, "invest-curve-spec")
    assert chart["x"] == ["0.50", "0.90", "0.99"]  # sorted by target
    annual, capex, worst = chart["series"]
    assert annual["data"] == [1.0, 2.0, 4.5]  # million JPY/yr
    assert capex["data"] == [3.0, 9.0, 21.0]  # million JPY
    assert worst["data"] == [52.0, 91.0, 97.0]
    assert worst["axis"] == 1
    assert chart["x_name"] == "Target P(72 h)"
    assert html.count('class="curve-row"') == 3


def test_empty_state_names_the_command(client, tmp_path):
    use_dir(client, tmp_path / "nothing")
    for user in ("op", "disaster"):
        assert client.get("/api/v1/invest", headers=client.users[user]).status_code == 404
        ja = client.get("/invest", headers=client.users[user])
        assert ja.status_code == 200
        assert "投資計画はまだ実行されていません" in text_of(ja.text, "invest-empty")
        assert "<code>ems invest --scenario yamaguchi --target 0.95</code>" in ja.text
        assert 'class="invest-row"' not in ja.text
        assert "data-spec" not in ja.text
    en = client.get("/invest?lang=en", headers=client.users["op"]).text
    client.cookies.clear()
    assert "No investment run yet" in en


def test_unreadable_file_is_shown_with_the_fix(client, tmp_path):
    (tmp_path / "invest.json").write_text("{not json", encoding="utf-8")
    use_dir(client, tmp_path)
    html = client.get("/invest?lang=en", headers=client.users["op"]).text
    client.cookies.clear()
    assert "not valid JSON" in text_of(html, "invest-error")
    assert "re-run `ems invest`" in html


@pytest.mark.parametrize(("user", "status"), [("op", 200), ("disaster", 200), ("mgr", 403), (None, 303)])
def test_roles_and_navigation(client, tmp_path, user, status):
    use_dir(client, invest_seed.write(tmp_path))
    headers = client.users[user] if user else {}
    response = client.get("/invest", headers=headers, follow_redirects=False)
    assert response.status_code == status
    if user is None:
        assert response.headers["location"] == "/login"
    home = "/facility/centre" if user == "mgr" else "/"
    if user is not None:
        page = client.get(home, headers=headers).text
        assert ('href="/invest"' in page) is (user != "mgr")


def test_both_languages_and_no_inline_script(client, tmp_path):
    use_dir(client, invest_seed.write(tmp_path))
    ja = client.get("/invest?lang=ja", headers=client.users["disaster"]).text
    en = client.get("/invest?lang=en", headers=client.users["disaster"]).text
    client.cookies.clear()
    assert '<html lang="ja">' in ja
    assert "避難所ごとの推奨追加" in ja
    assert "Recommended additions" not in ja
    assert '<html lang="en">' in en
    assert "Recommended additions per shelter" in en
    assert "避難所ごとの推奨追加" not in en
    assert "テストセンター" in ja
    assert "Test Centre" in en
    assert "予算モードの選択" in ja
    assert "計画の候補づくりが期限までに終わりませんでした" in text_of(ja, "invest-budget-incomplete")
    assert "Budget mode" not in ja
    assert "Budget mode: the pick per shelter" in en
    assert "The ladder of plans did not finish" in text_of(en, "invest-budget-incomplete")
    assert "予算モード" not in en
    for html in (ja, en):
        check = ScriptCheck()
        check.feed(html)
        assert check.problems == []


def budget_page(client, lang: str = "en") -> tuple[dict[str, Any], str]:
    headers = client.users["disaster"]
    body = client.get("/api/v1/invest", headers=headers).json()
    html = client.get(f"/invest?lang={lang}", headers=headers).text
    client.cookies.clear()
    return body, html


def budget_cell(html: str, shelter: str, name: str) -> str:
    row = re.search(rf'<tr class="budget-row" data-shelter="{shelter}">(.*?)</tr>', html, re.S)
    assert row is not None, f"no budget row for {shelter}"
    found = re.search(rf'<td class="{name}">([^<]*)</td>', row.group(1))
    assert found is not None, f"no {name} cell for {shelter}"
    return found.group(1).strip()


def test_budget_block_equals_the_api(client, tmp_path):
    use_dir(client, invest_seed.write(tmp_path / "budget"))
    body, html = budget_page(client)
    budget = body["budget"]
    assert text_of(html, "invest-budget-met") == str(budget["met"]) == "1"
    assert text_of(html, "invest-budget-shelters") == str(budget["shelters"]) == "2"
    assert text_of(html, "invest-budget-capex") == one(budget["capex_jpy"], 0) == "11,500,000"
    assert text_of(html, "invest-budget-limit") == one(body["budget_jpy"], 0) == "12,000,000"
    assert text_of(html, "invest-budget-rungs") == str(budget["rungs_built"]) == "7"
    assert text_of(html, "invest-budget-ladder") == one(budget["ladder_s"], 0) == "612"
    assert "Shelters at P(72 h) ≥ 95 %" in html
    for pick in budget["chosen"]:
        sid = pick["shelter"]
        assert budget_cell(html, sid, "planned_for") == one(100 * pick["planned_for"], 0)
        assert budget_cell(html, sid, "p") == one(100 * pick["p"])
        assert budget_cell(html, sid, "capex") == one(pick["capex_jpy"], 0)
    assert budget_cell(html, "centre", "planned_for") == "90"
    assert budget_cell(html, "centre", "p") == "91.2"
    assert budget_cell(html, "centre", "met") == "✗"  # 0.912 < 0.95
    assert budget_cell(html, "school", "met") == "✓"
    assert html.count('class="budget-row"') == len(budget["chosen"])
    assert html.count('<td class="met">✓</td>') == budget["met"]
    # the ladder did not finish: the warning names how many plans the pick had and the option to change
    warning = text_of(html, "invest-budget-incomplete")
    assert "did not finish before the deadline" in warning
    assert "the 7 one-shelter plans built" in warning
    assert "<code>ems invest --deadline</code>" in html


def test_budget_block_complete_and_nothing_added(client, tmp_path):
    plan = json.loads(json.dumps(invest_seed.PLAN))
    plan["budget"]["complete"] = True
    plan["budget"]["met"] = 0
    plan["budget"]["chosen"][0] = {"shelter": "centre", "planned_for": 0.0, "p": 0.125, "capex_jpy": 0.0}
    plan["budget"]["chosen"][1]["p"] = 0.95 - 1e-12  # at the target within the budget mode's tolerance
    plan["budget"]["met"] = 1
    use_dir(client, invest_seed.write(tmp_path / "complete", plan))
    body, en = budget_page(client)
    _, ja = budget_page(client, "ja")
    assert body["budget"]["complete"] is True
    for html in (en, ja):
        assert 'id="invest-budget-incomplete"' not in html
        assert 'id="invest-budget-picks"' in html
        assert budget_cell(html, "centre", "p") == "12.5"
        assert budget_cell(html, "centre", "capex") == "0"
        assert budget_cell(html, "centre", "met") == "✗"
        assert budget_cell(html, "school", "met") == "✓"
    assert budget_cell(en, "centre", "planned_for") == "nothing added"
    assert budget_cell(ja, "centre", "planned_for") == "追加なし"


def test_weather_and_links_in_the_headline(client, tmp_path):
    use_dir(client, invest_seed.write(tmp_path / "budget"))
    body, en = budget_page(client)
    _, ja = budget_page(client, "ja")
    assert body["weather"] == "weather: JMA Tokyo 2024; outage load: tier1"
    for html in (en, ja):
        assert text_of(html, "invest-weather-used") == "JMA Tokyo 2024; outage load: tier1"
        links = re.findall(r'<li class="invest-link">([^<]*)</li>', html)
        assert links == body["links_in_outage"]
        assert "grid-tied, drops out in an outage" in links[0]
    assert "Weather used:" in text_of(en, "invest-weather")
    assert "使用した気象:" in text_of(ja, "invest-weather")
    assert "Interchange links in an outage:" in text_of(en, "invest-links")
    assert "停電時の融通線:" in text_of(ja, "invest-links")


def test_least_cost_run_has_no_budget_section(client, real_run):
    use_dir(client, real_run)
    body, html = budget_page(client)
    assert body["mode"] == "least_cost"
    assert body["budget"] is None
    assert 'id="invest-budget-picks"' not in html
    assert 'id="invest-budget-incomplete"' not in html
    assert text_of(html, "invest-weather-used") == body["weather"].removeprefix("weather: ")
    assert re.findall(r'<li class="invest-link">([^<]*)</li>', html) == body["links_in_outage"]
    assert ('id="invest-links"' in html) is bool(body["links_in_outage"])
