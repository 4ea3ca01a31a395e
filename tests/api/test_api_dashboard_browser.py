# mypy: allow-untyped-defs, allow-incomplete-defs
"""The dashboard in a real headless Chromium: log in, see every facility, open the supply chart, screenshot."""

from __future__ import annotations

import io
import os

import numpy as np
import pandas as pd
import pytest
import service_fixtures
from service_fixtures import CHROMIUM, CHROMIUM_ARGS, PASSWORD, TEST_NOW, add_users, make_service, serving

from api.app import create_app
from runtime.loop.fallback_plans import safe_plan
from runtime.loop.prices import price_series
from runtime.store import journal, plans, readings
from runtime.store.readings import ReadingIn

sqlite_store = service_fixtures.sqlite_store
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium not at /usr/bin/chromium"),
]


def _seed(store, scenario) -> None:
    now = TEST_NOW  # the service's clock
    rows = []
    for k, f in enumerate(scenario.facilities):
        rows += [ReadingIn(now, f.id, a.id, "power_kw", 5.0 + k) for a in f.pv_arrays]
        rows += [ReadingIn(now, f.id, b.id, "soc", 0.6) for b in f.batteries]
        rows += [ReadingIn(now, f.id, m.id, "power_kw", 20.0 + k) for m in f.meters]
    readings.write_readings(store, rows)
    index = pd.date_range(pd.Timestamp(now).tz_convert("Asia/Tokyo").floor("30min"), periods=48, freq="30min")
    shape = 1 + np.sin(np.linspace(0, np.pi, 48))
    pv = {f.id: pd.Series(30.0 * shape, index=index) for f in scenario.supplied}
    load = {f.id: pd.Series(60.0 + 10 * shape, index=index) for f in scenario.supplied}
    price, _ = price_series(scenario, index)
    plan = plans.save_plan(store, safe_plan(scenario, index, pv, load, price))
    journal.save_imbalance(store, index[0].to_pydatetime(), plan.id, 100.0, 112.0, 12.0, 204.0)
    journal.raise_event(store, "plan_fallback_safe", "browser test event", severity="alarm")


@pytest.fixture
def server(sqlite_store):
    svc = make_service(sqlite_store, "yamaguchi")
    add_users(sqlite_store)
    _seed(sqlite_store, svc.scenario)
    with serving(create_app(svc)) as url:
        yield url, svc.scenario


def test_login_overview_supply_chart_screenshot(server, tmp_path):
    from PIL import Image
    from playwright.sync_api import sync_playwright

    url, scenario = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url + "/")
        assert "/login" in page.url
        page.fill("#username", "op")
        page.fill("#password", "wrong")
        page.click("#login-button")
        assert page.locator("#login-error").is_visible()
        page.fill("#username", "op")
        page.fill("#password", PASSWORD)
        page.click("#login-button")
        page.wait_for_selector("#facilities")
        rows = page.locator("tr.facility-row")
        assert rows.count() == len(scenario.facilities)
        shown = set(rows.evaluate_all("rs => rs.map(r => r.dataset.facility)"))
        assert shown == {f.id for f in scenario.facilities}
        assert page.locator("tr.shelter").count() == len(scenario.shelters)
        page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
        page.click("text=需給 Supply")
        page.wait_for_selector("#supply-chart svg")
        assert page.locator("#supply-chart svg rect").count() > 48
        assert "インバランス Imbalance: +12.0 kWh" in page.content()
        shot = page.locator("#supply-chart").screenshot(path=str(tmp_path / "supply.png"))
        page.click("text=イベント Events")
        page.wait_for_selector("#events")
        assert "browser test event" in page.locator("#events").inner_text()
        page.goto(url + "/facility/city-hall")
        assert "Yamaguchi City Hall" in page.locator("h1").inner_text()
        assert page.locator("table tbody tr").count() >= 2  # its PV and meter points
        page.click("text=ログアウト Log out")
        page.goto(url + "/supply")
        assert "/login" in page.url  # the session is gone
        browser.close()
    image = np.asarray(Image.open(io.BytesIO(shot)).convert("L"), dtype=float)
    assert image.std() > 10, "the supply chart screenshot is blank"
    assert (image < 128).mean() > 0.02  # a real chart has a fair share of dark pixels (bars, axes, text)
    os.makedirs("var", exist_ok=True)
    (tmp_path / "supply.png").replace("var/test_svc_dashboard_supply.png")
    (tmp_path / "overview.png").replace("var/test_svc_dashboard_overview.png")
