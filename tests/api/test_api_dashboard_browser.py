# mypy: allow-untyped-defs, allow-incomplete-defs
"""The dashboard in a real headless Chromium (one browser for the module), served by uvicorn under the CSP
`script-src 'self'`: every page as each role with its content (the numbers shown equal to the API's, the controls
each role has and has not) and the charts drawn by the vendored ECharts with no console error, the market day on
the supply page, the controls (approve, reject, acknowledge, override) changing state, the language switch, the
page's own refresh (held while a form is being edited), and the map drawing every Yamaguchi facility.
Screenshots go to var/screenshots/ (EMS_SCREENSHOTS overrides; CI keeps the folder as artefacts).

Robust under load: every wait is on a condition of the page (document loaded, charts.js's mark on <html> that all
charts are drawn, a selector of the new state), never a sleep, and a click that navigates waits for the new
page's load. The old failure under load ("ReferenceError: echarts is not defined" in a test's evaluate after the
language switch) came from waiting on <html lang> of the new document, true as soon as its first bytes are parsed,
then counting the chart placeholders of a half-parsed page (1 of 2) and reading the chart before the scripts had
run: reproduced with the supply page sent in two parts 1.5 s apart (`slow_second_half`; readyState was still
'loading'), which the new waits pass (test_waits_hold_when_the_page_arrives_in_pieces).
The page's own refresh is off in these contexts (window.emsRefreshOff, set by an init script) except in the test
of the refresh itself, so a slow test cannot be reloaded under its feet.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import dash_seed
import invest_seed
import market_seed
import numpy as np
import pytest
import service_fixtures
from dash_seed import EXPECT
from service_fixtures import CHROMIUM, PASSWORD, TEST_NOW, add_users, make_service, serving

from api.app import create_app
from runtime.store import readings
from runtime.store.db import open_store
from runtime.store.readings import ReadingIn

sqlite_store = service_fixtures.sqlite_store
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium not at /usr/bin/chromium"),
]
SHOTS = Path(os.environ.get("EMS_SCREENSHOTS", "var/screenshots"))
CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"
PAGES = {  # page -> roles that may see it (the others: 403, or a redirect for the manager's start page)
    "/": ("op", "disaster"),
    "/supply": ("op", "disaster"),
    "/plans": ("op", "disaster"),
    "/events": ("op", "disaster", "mgr"),
    "/map": ("op", "disaster"),
    "/outage": ("op", "disaster"),
    "/facility/centre": ("op", "disaster", "mgr"),
}


def with_csp(app):
    """The app behind the Content-Security-Policy the auth work adds (so an inline script would be blocked)."""

    async def wrapped(scope, receive, send):
        async def send_with_csp(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"content-security-policy", CSP.encode()))
            await send(message)

        await app(scope, receive, send_with_csp)

    return wrapped


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('dash') / 'ems.db'}")
    ids = dash_seed.seed(store)
    add_users(store)
    svc = make_service(store)
    market = tmp_path_factory.mktemp("market")
    market_seed.write(market, svc.scenario.market.operations)
    svc.settings = svc.settings.model_copy(update={"market_dir": market})
    with serving(with_csp(create_app(svc))) as url:
        yield url, ids
    store.dispose()


def open_as(browser, url: str, user: str, lang: str | None = None, refresh: bool = False):
    """A fresh context logged in as `user` through the login form; collects console errors in page.errors. The
    pages' own refresh is off unless `refresh`."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, timezone_id="Asia/Tokyo", accept_downloads=True
    )
    if not refresh:
        context.add_init_script("window.emsRefreshOff = true;")
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(f"{page.url}: {e} {e.stack}"))
    page.goto(url + "/login" + (f"?lang={lang}" if lang else ""))
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    with page.expect_navigation(wait_until="load"):
        page.click("#login-button")
    return context, page


def click_to(page, selector: str, timeout_ms: float = 30_000) -> None:
    """Click a link or button that loads another page and wait for that page's load event."""
    with page.expect_navigation(wait_until="load", timeout=timeout_ms):
        page.click(selector)


def script_errors(page, expected: tuple[int, ...] = ()) -> list[str]:
    """Console and page errors, apart from the browser's note on a response status the test expects."""
    notes = tuple(f"status of {code} " for code in expected)
    return [e for e in page.errors if not any(n in e for n in notes)]


def charts_drawn(page) -> int:
    """Wait until the page is loaded and, if it has chart placeholders, until charts.js has marked them all drawn
    (<html data-charts="N">); check each holds an ECharts SVG; returns how many."""
    page.wait_for_function("() => document.readyState === 'complete'")
    total = page.locator("[data-spec]").count()
    if total:
        page.wait_for_function("() => document.documentElement.dataset.charts !== undefined")
        assert page.get_attribute("html", "data-charts") == str(total), page.errors
        assert page.locator('[data-spec][data-rendered="1"] svg').count() == total
    return total


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def numbers(page, selector: str) -> list[float]:
    return [float(v.replace(",", "").replace("円", "").strip()) for v in page.locator(selector).all_inner_texts()]


def check_today(page, user: str) -> None:
    assert numbers(page, "#flow-grid") == [EXPECT["grid_kw"]]
    assert numbers(page, "#flow-pv") == [EXPECT["pv_kw"]]
    assert numbers(page, "#money-so-far") == [EXPECT["so_far"]]
    assert set(page.locator("tr.facility-row").evaluate_all("rs => rs.map(r => r.dataset.facility)")) == {
        "centre",
        "office",
        "school",
    }


def check_supply(page, user: str) -> None:
    assert page.locator("#imbalances tr.imbalance-row").count() == 3
    assert sum(numbers(page, "#imbalances td.imb")) == EXPECT["imbalance_kwh"]
    assert page.locator("#submitted tr.submitted-row").count() >= 1
    if user == "op":  # the market day: operators only, like /api/v1/market
        assert numbers(page, "#intraday-trades td.trade") == [t[1] for t in market_seed.TRADES]
        assert page.locator("#plan-values tr.plan-value-row").count() == 48
        assert page.get_attribute("#plan-file", "href") == "/supply/plan-file/2024-06-10"
    else:
        assert page.locator("#market").count() == 0


def check_plans(page, user: str) -> None:
    assert page.locator("#plan-detail").count() == 1
    assert page.locator("#plan-money").count() == 1
    assert page.locator("p.controls").count() == (1 if user == "op" else 0)  # read only for the disaster office


def check_events(page, user: str) -> None:
    facilities = set(page.locator("tr.event-row td:nth-child(4)").all_inner_texts())
    if user == "mgr":  # only their facility's events, no acknowledging
        assert facilities == {"centre"}
        assert page.locator("#open-alarm-count").count() == 0
    else:
        assert {"centre", "office"} <= facilities
        assert int(page.inner_text("#open-alarm-count")) >= 0
    has_ack = page.locator("button.ack-button").count() > 0 or page.locator('tr[data-acked="yes"]').count() > 0
    assert has_ack if user == "op" else page.locator("button.ack-button").count() == 0


def check_map(page, user: str) -> None:
    markers = page.locator("#city-map g.marker")
    assert set(markers.evaluate_all("gs => gs.map(g => g.dataset.facility)")) == {"centre", "office", "school"}


def check_outage(page, user: str) -> None:
    assert page.locator("#outage-form").count() == 1
    assert page.locator("#method option").count() >= 2


def check_facility(page, user: str) -> None:
    assert numbers(page, "#fac-meter") == [10.0]
    assert numbers(page, "#fac-pv") == [6.0]
    assert page.locator("#override-form").count() == (0 if user == "disaster" else 1)
    if user != "op":  # only operators decide override requests
        assert page.locator("button.approve").count() == 0


CHECKS = {
    "/": check_today,
    "/supply": check_supply,
    "/plans": check_plans,
    "/events": check_events,
    "/map": check_map,
    "/outage": check_outage,
    "/facility/centre": check_facility,
}


@pytest.mark.parametrize("user", ["op", "disaster", "mgr"])
def test_every_page_as_each_role(chromium_browser, tiny, user):
    url, _ids = tiny
    context, page = open_as(chromium_browser, url, user)
    for path, roles in PAGES.items():
        response = page.goto(url + path)
        assert response is not None
        if user not in roles:
            if path == "/":
                assert page.url.endswith("/facility/centre")  # a manager lands on their facility
            else:
                assert response.status == 403, (user, path)
            continue
        assert response.status == 200, (user, path)
        drawn = charts_drawn(page)
        if path in ("/", "/supply", "/facility/centre"):
            assert drawn >= 1, path
        CHECKS[path](page, user)
        shot(page, f"{user}_{path.strip('/').replace('/', '_') or 'today'}")
    if user == "mgr":
        assert page.goto(url + "/facility/office").status == 403  # not their facility
    assert script_errors(page, (403,)) == []  # no CSP violation, no script error (403: the pages refused)
    context.close()


def test_numbers_shown_equal_the_api(chromium_browser, tiny):
    url, _ids = tiny
    context, page = open_as(chromium_browser, url, "op")
    api = page.request.get(url + "/api/v1/city/summary").json()
    page.goto(url + "/")
    charts_drawn(page)
    assert float(page.inner_text("#flow-grid")) == api["grid_kw"] == EXPECT["grid_kw"]
    assert float(page.inner_text("#flow-pv")) == api["pv_kw"]
    assert page.inner_text("#money-so-far").replace(",", "").startswith(f"{EXPECT['so_far']:.0f}")
    latest = page.request.get(url + "/api/v1/plans/latest").json()
    page.goto(url + "/supply")
    charts_drawn(page)
    option = page.evaluate(
        "() => { const o = echarts.getInstanceByDom(document.getElementById('supply-chart')).getOption();"
        " return {x: o.xAxis[0].data, series: o.series.map(s => ({name: s.name, data: s.data}))}; }"
    )
    plant = option["series"][0]["data"]
    first = option["x"].index("06/10 12:00")
    assert plant[first : first + len(latest["slots"])] == [s["plant_kw"] for s in latest["slots"]]
    recent = page.request.get(url + "/api/v1/plans/imbalances/recent?hours=24").json()
    rows = page.locator("#imbalances tr.imbalance-row")
    assert rows.count() == len(recent) == 3
    shown = [float(v) for v in rows.locator("td.imb").all_inner_texts()]
    assert shown == [r["imbalance_kwh"] for r in recent]
    # the market day: intraday trades and the submitted 需要調達計画 as /api/v1/market/days/{day} has them
    market = page.request.get(url + "/api/v1/market/days/2024-06-10").json()
    assert numbers(page, "#intraday-trades td.trade") == [t["trade_kwh"] for t in market["intraday"]]
    assert numbers(page, "#intraday-trades td.price") == [t["price_jpy_per_kwh"] for t in market["intraday"]]
    for column in ("demand_kwh", "plant_kwh", "spot_purchase_kwh", "intraday_purchase_kwh", "open_kwh"):
        assert numbers(page, f"#plan-values td.{column}") == [p[column] for p in market["plan"]], column
    with page.expect_download() as download:
        page.click("#plan-file")
    saved = download.value
    assert saved.suggested_filename.startswith("demand_procurement_")
    assert Path(saved.path()).read_bytes().startswith(b"\xef\xbb\xbf")  # the file as written (UTF-8, BOM)
    # interaction: a tooltip on hover, a legend toggle hides a series
    box = page.locator("#supply-chart").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5)
    page.wait_for_function("() => document.querySelector('#supply-chart').innerText.includes('kW')")
    # zoom the time axis; the zoom survives the page's own refresh (a reload)
    page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('supply-chart'))"
        ".dispatchAction({type: 'dataZoom', start: 40, end: 60})"
    )
    page.reload()
    charts_drawn(page)
    zoom = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('supply-chart')).getOption().dataZoom[0]"
    )
    assert (zoom["start"], zoom["end"]) == (40, 60)
    page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('supply-chart'))"
        ".dispatchAction({type: 'legendToggleSelect', name: document.getElementById('supply-chart') && "
        "echarts.getInstanceByDom(document.getElementById('supply-chart')).getOption().series[0].name})"
    )
    selected = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('supply-chart')).getOption().legend[0].selected"
    )
    assert False in selected.values()
    context.close()


def test_controls_change_state(chromium_browser, tiny):
    url, ids = tiny
    context, page = open_as(chromium_browser, url, "op")
    # acknowledge the alarm
    page.goto(url + "/events")
    row = page.locator(f'tr.event-row[data-event="{ids["alarm"]}"]')
    before = int(page.inner_text("#open-alarm-count"))
    row.locator("button.ack-button").click()
    page.wait_for_selector(f'tr.event-row[data-event="{ids["alarm"]}"][data-acked="yes"]')
    assert int(page.inner_text("#open-alarm-count")) == before - 1
    events = page.request.get(url + "/api/v1/events?kind=plan_fallback_safe").json()
    assert events[0]["acknowledged_by"] == "op"
    # approve the manager's override request, then send one
    page.goto(url + "/facility/centre")
    page.locator(f'tr.override-row[data-override="{ids["override"]}"] button.approve').click()
    page.wait_for_selector(f'tr.override-row[data-override="{ids["override"]}"][data-status="approved"]')
    page.fill("#override-kw", "-3.5")
    page.fill("#override-reason", "browser test")
    page.click("#override-send")
    page.wait_for_function("() => document.querySelectorAll('tr.override-row').length === 2")
    sent = [o for o in page.request.get(url + "/api/v1/overrides").json() if o["reason"] == "browser test"]
    assert len(sent) == 1
    assert sent[0]["value"] == -3.5
    assert sent[0]["status"] == "approved"
    page.fill("#override-kw", "99")  # outside the battery's limits: the API's message is shown
    page.click("#override-send")
    page.wait_for_selector("#action-error:not([hidden])")
    assert "value_kw" in page.inner_text("#action-error")
    # approve v2, then reject v1
    page.goto(url + "/plans")
    page.click("#approve")
    page.wait_for_function("() => !document.getElementById('approve')")
    assert page.request.get(url + f"/api/v1/plans/{ids['v2']}").json()["status"] == "approved"
    assert page.inner_text("#plan-decided-by") == "op"
    page.goto(url + f"/plans?id={ids['v1']}")
    page.click("#reject")
    page.wait_for_function("() => !document.getElementById('reject')")
    assert page.request.get(url + f"/api/v1/plans/{ids['v1']}").json()["status"] == "rejected"
    shot(page, "op_plans_after_decisions")
    assert script_errors(page, (422,)) == []  # only the refused override
    context.close()
    # a facility manager requests (an operator must approve)
    context, page = open_as(chromium_browser, url, "mgr")
    page.fill("#override-kw", "1.0")
    page.click("#override-send")
    page.wait_for_selector('tr.override-row[data-status="requested"]')
    assert page.locator("button.approve").count() == 0
    context.close()


def test_language_switch(chromium_browser, tiny):
    url, _ids = tiny
    context, page = open_as(chromium_browser, url, "op")
    page.goto(url + "/supply")
    assert page.get_attribute("html", "lang") == "ja"
    assert "需給計画と実績" in page.inner_text("h1")
    click_to(page, "#lang-en")
    assert page.get_attribute("html", "lang") == "en"
    charts_drawn(page)
    assert "Supply plan and actuals" in page.inner_text("h1")
    assert "需給" not in page.inner_text("header nav")
    names = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('supply-chart')).getOption().series.map(s => s.name)"
    )
    assert "Plant" in names
    assert "ごみ発電" not in names
    page.goto(url + "/events")  # the choice is kept
    assert page.get_attribute("html", "lang") == "en"
    assert "Alarms and events" in page.inner_text("h1")
    shot(page, "op_events_en")
    click_to(page, "#lang-ja")
    assert page.get_attribute("html", "lang") == "ja"
    assert "アラーム・イベント" in page.inner_text("h1")
    context.close()


def test_outage_run_colours_the_map_and_draws_ev_routes(chromium_browser, tiny):
    url, _ids = tiny
    context, page = open_as(chromium_browser, url, "disaster")
    page.goto(url + "/outage")
    page.fill("#start", "2024-09-01T14:00")
    page.fill("#hours", "24")
    page.fill("#pv_factor", "0.5")
    page.select_option("#method", "greedy")
    click_to(page, "#outage-run", timeout_ms=180_000)  # the plan is solved before the page answers
    page.wait_for_selector("#outage-timeline svg")
    moves = page.locator("#outage-itinerary tr.move-row").count()
    assert moves >= 1
    run_id = page.get_attribute("#outage-downloads a", "href").split("/")[4]  # /api/v1/outage-plans/<id>/...
    click_to(page, "#outage-map")
    page.wait_for_selector("#city-map")
    assert page.get_attribute("#outage-run", "data-run") == run_id  # exactly this run, read from the store
    assert page.locator("line.ev-route").count() == moves
    states = page.locator("g.marker.shelter").evaluate_all("gs => gs.map(g => g.dataset.state)")
    assert states
    assert all(s in ("full", "day", "short") for s in states)
    shot(page, "disaster_map_autonomy")
    context.close()


@pytest.fixture(scope="module")
def yamaguchi(tmp_path_factory):
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('yama') / 'ems.db'}")
    svc = make_service(store, "yamaguchi")
    add_users(store)
    rows = [
        ReadingIn(TEST_NOW, f.id, m.id, "power_kw", 20.0 + k)
        for k, f in enumerate(svc.scenario.facilities)
        for m in f.meters
    ]
    readings.write_readings(store, rows)
    with serving(with_csp(create_app(svc))) as url:
        yield url, svc.scenario
    store.dispose()


def test_yamaguchi_map_and_today_show_every_facility(chromium_browser, yamaguchi):
    from PIL import Image

    url, scenario = yamaguchi
    context, page = open_as(chromium_browser, url, "op")
    page.wait_for_selector("#facilities")
    shown = set(page.locator("tr.facility-row").evaluate_all("rs => rs.map(r => r.dataset.facility)"))
    assert shown == {f.id for f in scenario.facilities}
    assert page.locator("#no-plan").is_visible()
    page.goto(url + "/map")
    markers = page.locator("#city-map g.marker")
    assert markers.count() == len(scenario.facilities)
    assert set(markers.evaluate_all("gs => gs.map(g => g.dataset.facility)")) == {f.id for f in scenario.facilities}
    assert page.locator("#city-map g.marker.shelter").count() == len(scenario.shelters)
    outline = page.locator("#city-outline").bounding_box()  # the offline base map: the city's outline
    assert outline is not None
    assert "気象庁" in page.inner_text("#map-attribution")
    boxes = markers.evaluate_all(
        "gs => gs.map(g => { const b = g.firstElementChild.getBoundingClientRect(); "
        "return [Math.round(b.x), Math.round(b.y)]; })"
    )
    svg = page.locator("#city-map").bounding_box()
    assert all(svg["x"] <= x <= svg["x"] + svg["width"] and svg["y"] <= y <= svg["y"] + svg["height"] for x, y in boxes)
    within = [
        outline["x"] <= x <= outline["x"] + outline["width"] and outline["y"] <= y <= outline["y"] + outline["height"]
        for x, y in boxes
    ]
    assert all(within)  # every marker within the outline's box (one lies just over the line: base_map test)
    SHOTS.mkdir(parents=True, exist_ok=True)
    image = page.locator("#city-map").screenshot(path=str(SHOTS / "op_map_yamaguchi.png"))
    pixels = np.asarray(Image.open(io.BytesIO(image)).convert("RGB"), dtype=float)
    green = (pixels[..., 1] > 120) & (pixels[..., 0] < 80) & (pixels[..., 2] < 110)
    assert green.sum() > 50 * len(scenario.facilities) * 0.5  # the live markers are drawn in green
    assert script_errors(page) == []
    context.close()


@pytest.fixture(scope="module")
def invest_site(tmp_path_factory):
    """The app with a hand-written investment run (invest_seed.PLAN, with a curve) in its Settings.invest_dir."""
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('dash-invest') / 'ems.db'}")
    add_users(store)
    svc = make_service(store)
    svc.settings = svc.settings.model_copy(update={"invest_dir": invest_seed.write(tmp_path_factory.mktemp("invest"))})
    with serving(with_csp(create_app(svc))) as url:
        yield url
    store.dispose()


def test_investment_page_is_not_for_facility_managers(chromium_browser, invest_site):
    context, page = open_as(chromium_browser, invest_site, "mgr")
    response = page.goto(invest_site + "/invest")
    assert response is not None
    assert response.status == 403
    context.close()


@pytest.mark.parametrize("user", ["op", "disaster"])
def test_investment_page_draws_the_curve_without_errors(chromium_browser, invest_site, user):
    url = invest_site
    context, page = open_as(chromium_browser, url, user, lang="en")
    api = page.request.get(url + "/api/v1/invest").json()
    response = page.goto(url + "/invest")
    assert response is not None
    assert response.status == 200
    assert charts_drawn(page) == 1
    option = page.evaluate(
        "() => { const o = echarts.getInstanceByDom(document.getElementById('invest-curve')).getOption();"
        " return {x: o.xAxis[0].data, series: o.series.map(s => s.data)}; }"
    )
    curve = sorted(api["curve"], key=lambda p: p["target"])
    assert option["x"] == [f"{p['target']:.2f}" for p in curve]
    assert option["series"][0] == [p["annual_cost_jpy"] / 1e6 for p in curve]
    assert option["series"][2] == [100 * p["worst_p72"] for p in curve]
    for row in api["shelters"]:
        shown = page.locator(f'tr.invest-row[data-shelter="{row["shelter"]}"] td.battery_kwh').inner_text()
        assert shown == f"{row['battery_kwh']:,.1f}"
    assert page.inner_text("#invest-capex") == f"{api['finance']['capex_jpy']:,.0f}"
    shot(page, f"{user}_invest")
    assert script_errors(page) == []
    context.close()


def test_page_refresh_reloads_but_not_while_editing(chromium_browser, tiny):
    """The today page reloads itself after 30 s (Playwright's clock fast-forwarded, no waiting); a page with a
    focused form field waits another period."""
    url, _ids = tiny
    context, page = open_as(chromium_browser, url, "op", refresh=True)
    context.clock.install()
    page.goto(url + "/")
    charts_drawn(page)
    assert page.get_attribute('meta[name="ems-refresh"]', "content") == "30"
    page.evaluate("() => { window.notReloaded = true; }")
    page.clock.fast_forward(20_000)
    assert page.evaluate("() => window.notReloaded === true")  # not yet
    with page.expect_navigation(wait_until="load"):
        page.clock.fast_forward(11_000)
    charts_drawn(page)
    assert page.evaluate("() => window.notReloaded === undefined")  # a new document
    # an operator typing: a focused field holds the refresh (the field is added here: the today page has none)
    page.evaluate(
        "() => { const i = document.createElement('input'); i.id = 'typing'; document.body.append(i); i.focus();"
        " window.notReloaded = true; }"
    )
    page.clock.fast_forward(65_000)
    assert page.evaluate("() => window.notReloaded === true")
    assert script_errors(page) == []
    context.close()


def slow_second_half(app, path: str, pause_s: float):
    """The app with the HTML of `path` sent in two halves, `pause_s` apart (what a busy server or machine does to
    a page): the browser parses the first half, <html lang> included, before the rest arrives."""
    import asyncio

    async def wrapped(scope, receive, send):
        if scope["type"] != "http" or scope["path"] != path:
            await app(scope, receive, send)
            return

        async def split(message):
            if message["type"] == "http.response.body" and message.get("body"):
                body = message["body"]
                await send({"type": "http.response.body", "body": body[: len(body) // 4], "more_body": True})
                await asyncio.sleep(pause_s)
                await send({**message, "body": body[len(body) // 4 :]})
                return
            await send(message)

        await app(scope, receive, split)

    return wrapped


@pytest.fixture(scope="module")
def slow_supply(tmp_path_factory):
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('dash-slow') / 'ems.db'}")
    dash_seed.seed(store)
    add_users(store)
    svc = make_service(store)
    with serving(with_csp(slow_second_half(create_app(svc), "/supply", 0.8))) as url:
        yield url
    store.dispose()


def test_waits_hold_when_the_page_arrives_in_pieces(chromium_browser, slow_supply):
    """The language switch on a supply page whose second part arrives 0.8 s after its first (the test that failed
    under load): click_to and charts_drawn wait for the whole page and its charts, so the chart's series names
    are read from the drawn chart, not from a page without echarts yet."""
    url = slow_supply
    context, page = open_as(chromium_browser, url, "op")
    page.goto(url + "/supply")
    charts_drawn(page)
    click_to(page, "#lang-en")
    assert charts_drawn(page) == 2
    names = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('supply-chart')).getOption().series.map(s => s.name)"
    )
    assert "Plant" in names
    assert script_errors(page) == []
    context.close()
