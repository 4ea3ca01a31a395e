# mypy: allow-untyped-defs, allow-incomplete-defs
"""The dashboard's pages without a browser (TestClient), on a 'tiny' store seeded with figures worked out by hand
(dash_seed.EXPECT), on SQLite and PostgreSQL: the numbers each page shows and hands its charts, each role's
access, the language switch, escaping, and no inline script (the CSP is script-src 'self')."""

from __future__ import annotations

import json
import re
import uuid
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import dash_seed
import pytest
from dash_seed import EXPECT
from fastapi.testclient import TestClient
from service_fixtures import PG_URL, add_users, login, make_service

from api.app import create_app
from api.dashboard.i18n import catalogue, choose_lang
from runtime.store.db import drop_schema, open_store

PAGES = ("/", "/supply", "/plans", "/events", "/map", "/map?mode=autonomy", "/outage", "/facility/centre")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def dash(request, tmp_path_factory):
    """A seeded store and a TestClient with one bearer header per role."""
    schema = None
    if request.param == "sqlite":
        store = open_store(f"sqlite:///{tmp_path_factory.mktemp('dash') / 'ems.db'}")
    else:
        if not PG_URL:
            pytest.skip("EMS_TEST_POSTGRES_URL is not set; PostgreSQL dashboard tests skipped")
        schema = f"ems_dash_{uuid.uuid4().hex[:10]}"
        store = open_store(PG_URL, schema=schema)
    ids = dash_seed.seed(store)
    add_users(store)
    svc = make_service(store)
    with TestClient(create_app(svc)) as client:
        client.users = {name: login(client, name) for name in ("op", "mgr", "disaster")}
        client.cookies.clear()
        client.ids = ids
        client.svc = svc
        yield client
    store.dispose()
    if schema is not None:
        drop_schema(PG_URL, schema)


def text_of(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    assert found is not None, f"#{element_id} not on the page"
    return found.group(1).strip()


def number(text: str) -> float:
    return float(text.replace(",", "").replace("円", "").strip())


def spec(html: str, element_id: str) -> dict[str, Any]:
    found = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert found is not None, f"no data block #{element_id}"
    return json.loads(found.group(1))


class ScriptCheck(HTMLParser):
    """Collects inline scripts, inline event handlers, javascript: URLs and inline style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        for name in names:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
        if "style" in names:
            self.problems.append(f"<{tag} style=...> (a strict style-src would block it)")
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.problems.append("inline <script>")
        for value in names.values():
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in <{tag}>")


def test_today_shows_the_flow_and_money_worked_out_by_hand(dash):
    html = dash.get("/", headers=dash.users["op"]).text
    assert number(text_of(html, "flow-plant")) == 20.0
    assert number(text_of(html, "flow-jepx-buy")) == 4.0  # v1, fixed at gate closure, binds the current slot
    assert number(text_of(html, "flow-jepx-sell")) == 0.0
    assert number(text_of(html, "flow-grid")) == EXPECT["grid_kw"]
    assert number(text_of(html, "flow-deviation")) == EXPECT["deviation_kw"]
    assert number(text_of(html, "flow-facilities")) == EXPECT["facilities_kw"]
    assert dash.svc.scenario.market.sale_discount_jpy_per_kwh == 0.5  # EXPECT's sale price
    assert number(text_of(html, "money-jepx-so-far")) == EXPECT["jepx_so_far"]
    assert number(text_of(html, "money-imbalance-so-far")) == EXPECT["imbalance_so_far"]
    assert number(text_of(html, "money-so-far")) == EXPECT["so_far"]
    assert number(text_of(html, "money-planned")) == EXPECT["planned"]
    assert number(text_of(html, "money-day-total")) == EXPECT["day_total"]
    flow = spec(html, "flow-spec")
    links = {(link["source"], link["target"]): link["value"] for link in flow["links"]}
    t = catalogue("ja").t
    assert links[(t("flow.plant"), t("flow.group"))] == 20.0
    assert links[(t("flow.group"), t("flow.facilities"))] == EXPECT["grid_kw"]
    assert links[(t("flow.facilities"), t("flow.ev"))] == EXPECT["ev_kw"]
    assert (t("flow.facilities"), t("flow.bat_in")) not in links  # the battery discharges: no charge flow
    # the live figures equal the API's
    city = dash.get("/api/v1/city/summary", headers=dash.users["op"]).json()
    assert city["grid_kw"] == EXPECT["grid_kw"]
    assert city["pv_kw"] == number(text_of(html, "flow-pv"))
    assert html.count('class="facility-row') == 3


def test_supply_charts_the_settled_slots(dash):
    html = dash.get("/supply", headers=dash.users["op"]).text
    chart = spec(html, "supply-spec")
    x = chart["x"]
    assert x[0] == "06/09 12:00"
    assert "06/10 11:00" in x
    assert chart["unit"] == "kW"
    assert chart["unit2"] == "JPY/kWh"
    by_name = {s["name"]: s for s in chart["series"]}
    t = catalogue("ja").t
    actual = by_name[t("series.actual_grid")]["data"]
    planned = by_name[t("series.planned_grid")]["data"]
    at = x.index("06/10 11:00")
    assert actual[at] == 28.0
    assert planned[at] == 24.0
    assert actual[x.index("06/10 11:30")] == 22.0
    assert actual[x.index("06/09 23:30")] == 26.0
    assert actual[x.index("06/10 10:30")] == 15.0  # not settled: the grid meters' slot means (7 + 8 kW, no PV)
    assert actual[x.index("06/10 10:00")] is None  # no meter data, no settlement: a gap
    now = x.index("06/10 12:00")
    assert planned[now] == EXPECT["planned_grid_kw"]
    assert actual[now] is None
    assert by_name[t("series.jepx_sell")]["data"][now] == 0.0  # v1 binds the current slot
    assert by_name[t("series.jepx_sell")]["data"][x.index("06/10 13:30")] == -2.0  # v2 from 13:30
    assert by_name[t("series.jepx_buy")]["data"][x.index("06/10 13:00")] == 10.0  # fixed at v2
    assert by_name[t("series.price")]["axis"] == 1
    assert html.count('class="imbalance-row"') == 3
    api = dash.get("/api/v1/plans/imbalances/recent?hours=24", headers=dash.users["op"]).json()
    assert sum(r["imbalance_kwh"] for r in api) == EXPECT["imbalance_kwh"]
    assert "+4.0 kWh" in text_of(html, "imbalance-total")
    assert "+120 円" in text_of(html, "imbalance-total")
    imbalance = spec(html, "imbalance-spec")
    assert imbalance["x"] == ["06/09 23:30", "06/10 11:00", "06/10 11:30"]
    assert imbalance["series"][0]["data"] == [3.0, 2.0, -1.0]
    assert html.count('class="submitted-row') == 96
    fixed = re.findall(r'data-fixed="(\d*)"><td>\d+</td><td class="name">2024-06-10 (\d\d:\d\d)<', html)
    shown = {clock: int(v) if v else None for v, clock in fixed}
    assert {k: shown[k] for k in EXPECT["fixed_versions"]} == EXPECT["fixed_versions"]
    assert re.search(r'data-fixed="1"><td>25</td><td class="name">2024-06-10 12:00</td><td>10.0</td><td>2.0</td>', html)
    assert "<td>25</td>" in html  # 12:00 JST is JEPX slot 25


def test_facility_page_soc_plan_history_and_totals(dash):
    html = dash.get("/facility/centre?date=2024-06-09", headers=dash.users["op"]).text
    soc = spec(html, "soc-spec")
    assert soc["x"][0] == "06/10 12:30"  # the SoC at the end of the first slot
    assert soc["series"][0]["data"][:2] == [round(v, 3) for v in EXPECT["soc_pct"]]
    hist = spec(html, "history-spec")
    assert hist["x"][0] == "06/09 00:00"
    assert len(hist["x"]) == 48
    meter = next(s for s in hist["series"] if s["name"] == catalogue("ja").t("kind_device.meter"))
    assert meter["data"][:3] == [10.0, 20.0, None]
    assert re.search(r'class="kwh-meter">15.0<', html)
    assert re.search(r'class="kwh-pv_inverter">4.0<', html)
    assert number(text_of(html, "grid-cost")) == round(dash_seed.history_cost_jpy(dash.svc.scenario))
    bad = dash.get("/facility/centre?date=yesterday", headers=dash.users["op"])
    assert bad.status_code == 422
    assert "date: &#39;yesterday&#39;" in bad.text


def test_plans_page_explains_and_shows_safe_mode(dash):
    html = dash.get("/plans", headers=dash.users["op"]).text
    assert 'data-plan="2"' in html
    assert 'id="approve"' in html
    assert "battery at its floor" in html  # the binding limit of the missed target
    assert "JEPX chugoku FY2024 &lt;recorded&gt;" in html  # the optimiser's note, escaped
    assert number(text_of(html, "money-total")) == 1334.0  # energy + wheeling; the penalty apart
    assert number(text_of(html, "penalties-total")) == 1050.0
    readonly = dash.get("/plans", headers=dash.users["disaster"]).text
    assert 'id="approve"' not in readonly
    assert 'id="plan-detail"' in readonly


def test_safe_plan_is_shown_as_safe_mode(tmp_path):
    from runtime.store import plans
    from runtime.store.records import PlanInputsSummary

    store = open_store(f"sqlite:///{tmp_path / 'safe.db'}")
    add_users(store)
    safe = plans.PlanIn(
        dash_seed.V2_START,
        dash_seed.V2_START,
        "safe",
        [],
        inputs_summary=PlanInputsSummary(rung="safe", reason="HiGHS found no solution (TimeLimit)"),
    )
    plans.save_plan(store, safe)
    with TestClient(create_app(make_service(store))) as client:
        op = login(client, "op")
        for path in ("/", "/supply", "/plans"):
            html = client.get(path, headers=op).text
            assert 'id="safe-mode"' in html, path
            assert "HiGHS found no solution (TimeLimit)" in html
            assert 'id="no-plan"' not in html
    store.dispose()


def test_events_page_counts_and_ack_buttons(dash):
    html = dash.get("/events", headers=dash.users["op"]).text
    assert number(text_of(html, "open-alarm-count")) >= 1
    assert number(text_of(html, "count-alarm")) >= 1
    assert "safe plan &lt;b&gt;in force&lt;/b&gt;" in html  # escaped
    assert f'data-post="/api/v1/events/{dash.ids["alarm"]}/ack"' in html
    mgr = dash.get("/events", headers=dash.users["mgr"]).text
    assert "office note" not in mgr
    assert "centre/bat1 stale" in mgr
    assert "ack-button" not in mgr


def test_map_draws_every_facility_at_its_coordinates(dash):
    html = dash.get("/map", headers=dash.users["disaster"]).text
    scenario = dash.svc.scenario
    found = dict(re.findall(r'<g class="marker[^"]*" data-facility="([^"]+)" data-state="([^"]+)"', html))
    assert set(found) == {f.id for f in scenario.facilities}
    assert found["centre"] == "good"
    xs = {
        fid: float(x)
        for fid, x in re.findall(r'data-facility="([^"]+)"[^>]*>\s*<(?:circle cx|rect x)="([\d.]+)"', html)
    }
    assert xs["centre"] < xs["school"] < xs["office"]  # 131.455 < 131.47 < 131.474 degrees east
    autonomy = dash.get("/map?mode=autonomy", headers=dash.users["disaster"]).text
    assert 'id="no-outage-run"' in autonomy


@pytest.mark.parametrize(
    ("user", "path", "status"),
    [
        ("mgr", "/", 303),
        ("mgr", "/supply", 403),
        ("mgr", "/plans", 403),
        ("mgr", "/map", 403),
        ("mgr", "/outage", 403),
        ("mgr", "/facility/office", 403),
        ("mgr", "/facility/centre", 200),
        ("mgr", "/events", 200),
        ("disaster", "/", 200),
        ("disaster", "/outage", 200),
        ("disaster", "/map", 200),
        ("op", "/facility/nowhere", 404),
        (None, "/supply", 303),
        (None, "/facility/centre", 303),
    ],
)
def test_roles(dash, user, path, status):
    headers = dash.users[user] if user else {}
    response = dash.get(path, headers=headers, follow_redirects=False)
    assert response.status_code == status
    if user == "mgr" and path == "/":
        assert response.headers["location"] == "/facility/centre"
    if user is None:
        assert response.headers["location"] == "/login"


def test_navigation_by_role(dash):
    mgr = dash.get("/facility/centre", headers=dash.users["mgr"]).text
    assert 'href="/supply"' not in mgr
    assert 'href="/outage"' not in mgr
    assert 'href="/facility/centre"' in mgr
    assert 'id="override-send"' in mgr
    assert "申請" in text_of(mgr, "override-send")
    assert 'class="approve"' not in mgr  # only operators decide
    dis = dash.get("/", headers=dash.users["disaster"]).text
    assert 'href="/outage"' in dis
    assert 'href="/map"' in dis


def test_one_language_per_page_and_the_switch(dash):
    op = dash.users["op"]
    ja = dash.get("/supply", headers=op)
    assert '<html lang="ja">' in ja.text
    assert "需給計画と実績" in ja.text
    assert "Supply plan and actuals" not in ja.text
    en = dash.get("/supply?lang=en", headers=op)
    assert '<html lang="en">' in en.text
    assert "Supply plan and actuals" in en.text
    assert "需給計画と実績" not in en.text
    assert en.cookies.get("ems_lang") == "en" or "ems_lang=en" in en.headers.get("set-cookie", "")
    kept = dash.get("/plans", headers=op)  # the cookie keeps the choice
    assert '<html lang="en">' in kept.text
    assert "Plan versions" in kept.text
    back = dash.get("/plans?lang=ja", headers=op)
    assert '<html lang="ja">' in back.text
    dash.cookies.clear()
    assert choose_lang("fr", None) == "ja"
    assert choose_lang(None, "en") == "en"
    assert choose_lang("ja", "en") == "ja"


def test_catalogues_have_the_same_keys():
    assert set(catalogue("ja").labels) == set(catalogue("en").labels)
    with pytest.raises(ValueError, match="lang: 'de'"):
        catalogue("de")


def test_no_inline_script_on_any_page(dash):
    for user in ("op", "disaster", "mgr"):
        for path in (*PAGES, "/login"):
            response = dash.get(path, headers=dash.users[user], follow_redirects=False)
            if response.status_code != 200:
                continue
            check = ScriptCheck()
            check.feed(response.text)
            assert check.problems == [], (user, path, check.problems)
    result = dash.post(
        "/outage?lang=en",
        data={"start": "2024-09-01T14:00", "hours": "8", "method": "greedy"},
        headers=dash.users["disaster"],
    )
    assert result.status_code == 200
    assert '<html lang="en">' in result.text
    assert "Shelter timeline" in result.text
    check = ScriptCheck()
    check.feed(result.text)
    assert check.problems == []
    sources = set(re.findall(r'<script src="([^"?]+)', dash.get("/", headers=dash.users["op"]).text))
    for src in sources:
        assert dash.get(src).status_code == 200, src


def test_vendored_chart_library_is_served_with_its_licence(dash):
    js = dash.get("/static/vendor/echarts/echarts.min.js")
    assert js.status_code == 200
    assert len(js.content) > 500_000
    assert "Apache License" in dash.get("/static/vendor/echarts/LICENSE").text
    version = (Path(__file__).parents[2] / "api/dashboard/static/vendor/echarts/VERSION.md").read_text(encoding="utf-8")
    assert "6.1.0" in version
    assert "Apache-2.0" in version


def test_binding_rows_match_runtime_with_few_or_many_plans_read(dash, monkeypatch):
    from api.dashboard import binding
    from runtime.loop.following import fixed_plan_for_slot
    from runtime.store import plans

    svc = dash.svc
    slots = plans.plan_slots(svc.store, dash.ids["v2"])
    now = svc.clock()
    many = binding.binding_slots(svc, slots, now)
    monkeypatch.setattr(binding, "RECENT", 1)  # the fixed plan v1 is not among the plans read: runtime's search
    few = binding.binding_slots(svc, slots, now)
    assert [b.fixed_version for b in many[:4]] == [b.fixed_version for b in few[:4]] == [1, 1, 2, None]
    for b in many[:3]:
        found = fixed_plan_for_slot(svc, b.row.slot_start)
        assert found is not None
        plan, row = found
        assert (plan.version, row.id) == (b.fixed_version, b.row.id)
