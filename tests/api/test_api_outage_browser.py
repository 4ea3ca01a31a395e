# mypy: allow-untyped-defs, allow-incomplete-defs
"""The /outage page in a real headless Chromium: the disaster office logs in, runs a 24-h outage on 'tiny', sees
the shelter timeline and the EV itinerary, downloads the itinerary CSV; the timeline screenshot is not blank."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
import service_fixtures
from service_fixtures import CHROMIUM, PASSWORD, add_users, make_service, serving

from api.app import create_app

sqlite_store = service_fixtures.sqlite_store
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium not at /usr/bin/chromium"),
]


@pytest.fixture
def server(sqlite_store):
    svc = make_service(sqlite_store, "tiny")
    add_users(sqlite_store)
    with serving(create_app(svc)) as url:
        yield url, svc.scenario


def test_disaster_office_runs_an_outage_plan(server, tmp_path, chromium_browser):
    from PIL import Image

    url, scenario = server
    page = chromium_browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url + "/login")
    page.fill("#username", "disaster")
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_selector("#facilities")
    page.click("header nav a[href='/outage']")
    page.wait_for_selector("#outage-form")
    page.fill("#start", "2024-09-01T14:00")
    page.fill("#hours", "24")
    page.select_option("#method", "milp")
    page.click("#outage-run")
    page.wait_for_selector("#outage-timeline svg", timeout=180_000)  # the MILP is solved before the page answers
    rows = page.locator("#outage-timeline g.timeline-row")
    assert rows.count() == len(scenario.shelters)
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.shelter)")) == {s.id for s in scenario.shelters}
    assert page.locator("#outage-timeline rect.slot-served").count() >= 1
    moves = page.locator("#outage-itinerary tr.move-row")
    assert moves.count() >= 1
    assert "ev1" in moves.first.inner_text()
    assert page.locator("#outage-shelters tr.shelter-row").count() == len(scenario.shelters)
    with page.expect_download() as info:
        page.click("#outage-downloads a[href$='itinerary.csv']")
    csv = info.value.path().read_text(encoding="utf-8")
    assert csv.startswith("car,from,to,depart,arrive")
    assert "ev1" in csv
    shot = page.locator("#outage-timeline").screenshot(path=str(tmp_path / "timeline.png"))
    page.screenshot(path=str(tmp_path / "outage.png"), full_page=True)
    page.close()
    image = np.asarray(Image.open(io.BytesIO(shot)).convert("L"), dtype=float)
    assert image.std() > 10, "the outage timeline screenshot is blank"
    assert (image < 128).mean() > 0.02  # bars, labels and the axis make a fair share of dark pixels
    os.makedirs("var", exist_ok=True)
    (tmp_path / "timeline.png").replace("var/test_svc_outage_timeline.png")
    (tmp_path / "outage.png").replace("var/test_svc_outage_page.png")
