# mypy: allow-untyped-defs, allow-incomplete-defs
"""In a real headless Chromium with every request off loopback blocked (offline): /docs renders Swagger UI from
the package's own assets under the CSP, and the dashboard login works with no CSP violation reported."""

from __future__ import annotations

import os

import pytest
import service_fixtures
from service_fixtures import CHROMIUM, CHROMIUM_ARGS, PASSWORD, add_users, make_service, serving

from api.app import create_app

sqlite_store = service_fixtures.sqlite_store
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium not at /usr/bin/chromium"),
]


@pytest.fixture
def url(sqlite_store):
    add_users(sqlite_store)
    with serving(create_app(make_service(sqlite_store))) as base:
        yield base


def test_docs_offline_and_dashboard_under_csp(url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        outside: list[str] = []
        problems: list[str] = []

        def route(r):
            if r.request.url.startswith(url):
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(f"{url}/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=60_000)  # listed (Swagger UI's bundle is large)
        assert "/api/v1/auth/login" in page.locator("#swagger-ui").inner_text()
        assert page.locator(".information-container .title").inner_text().startswith("Yamaguchi EMS")
        page.goto(f"{url}/login")
        page.fill("#username", "op")
        page.fill("#password", PASSWORD)
        page.click("#login-button")
        page.wait_for_url(f"{url}/")
        assert "op (" in page.locator("header").inner_text()
        browser.close()
    assert outside == []
    assert [m for m in problems if "Content Security Policy" in m] == []
