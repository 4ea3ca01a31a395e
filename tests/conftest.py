"""Shared pytest fixtures for the whole suite."""

from __future__ import annotations

import os

import matplotlib
import pytest

from devices.modbus_client import quiet_pymodbus

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")
quiet_pymodbus()  # the suite injects dead and faulty devices on purpose; pymodbus would log every request


@pytest.fixture(scope="module")
def chromium_browser():
    """One headless Debian Chromium (Playwright) per test module; tests open their own contexts.

    Module, not session: Playwright's sync API keeps an event loop running in this thread while it is open, and
    the asyncio tests of later modules (asyncio.run) would then fail with "cannot be called from a running event
    loop"."""
    from playwright.sync_api import sync_playwright
    from service_fixtures import CHROMIUM, CHROMIUM_ARGS

    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium not at /usr/bin/chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
