# mypy: allow-untyped-defs, allow-incomplete-defs
"""Fixtures of the service tests: a migrated store on SQLite (tmp file) and, when EMS_TEST_POSTGRES_URL is set,
on a real PostgreSQL in a unique schema dropped afterwards (parallel runs do not collide)."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import uvicorn

from runtime.store.db import Store, drop_schema, open_store

PG_URL = os.environ.get("EMS_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest, tmp_path) -> Iterator[Store]:
    """A freshly migrated store on each backend."""
    if request.param == "sqlite":
        store = open_store(f"sqlite:///{tmp_path / 'ems.db'}")
        yield store
        store.dispose()
        return
    if not PG_URL:
        pytest.skip("EMS_TEST_POSTGRES_URL is not set; PostgreSQL storage tests skipped")
    schema = f"ems_test_{uuid.uuid4().hex[:12]}"
    store = open_store(PG_URL, schema=schema)
    try:
        yield store
    finally:
        store.dispose()
        drop_schema(PG_URL, schema)


@pytest.fixture
def sqlite_store(tmp_path) -> Iterator[Store]:
    """A migrated SQLite store in a temporary folder."""
    store = open_store(f"sqlite:///{tmp_path / 'ems.db'}")
    yield store
    store.dispose()


USERS = {"op": ("operator", None), "mgr": ("facility_manager", "centre"), "disaster": ("disaster_office", None)}
PASSWORD = "test-password-123"


def make_service(store: Store, scenario: str = "tiny", telemetry=None, planner=None):
    """A Service on `store` for a built-in scenario with the service's forecaster (load learned from the store)
    and the default planner."""
    from runtime.loop.build import default_planner
    from runtime.loop.service import Service
    from runtime.loop.store_forecaster import store_forecaster
    from runtime.settings import Settings
    from scenarios.loader import load_scenario

    settings = Settings(poll_interval_s=10, stale_after_s=60, safe_after_s=300)
    return Service(
        settings, load_scenario(scenario), store, telemetry, store_forecaster(store), planner or default_planner()
    )


def add_users(store: Store) -> None:
    """One user per role (manager of 'centre')."""
    from runtime.security import create_user

    for name, (role, facility) in USERS.items():
        create_user(store, name, PASSWORD, role, facility)


def login(client, name: str) -> dict[str, str]:
    """Bearer header for a test user."""
    response = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port in a thread; yields its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


def seed_measured_pv(store: Store, scenario, facility_id: str, index, factor: float, days: int = 4) -> None:
    """Store `days` of 30-min PV aggregates before index[0] at `factor` x the clear-sky model of the facility's
    first array (a plant under-performing its nameplate)."""
    import pandas as pd

    from forecasts.pv import forecast_array_pv
    from runtime.store.models import Aggregate

    facility = scenario.facility(facility_id)
    array = facility.pv_arrays[0]
    past = pd.date_range(index[0] - pd.Timedelta(days=days), index[0], freq="30min", inclusive="left")
    measured = factor * forecast_array_pv(array, facility, past)
    with store.session() as session:
        for t, kw in zip(past, measured.to_numpy(), strict=True):
            session.add(
                Aggregate(
                    slot_start=t.to_pydatetime(),
                    facility_id=facility_id,
                    device_id=array.id,
                    point="power_kw",
                    mean=float(kw),
                    minimum=float(kw),
                    maximum=float(kw),
                    count=3,
                )
            )


def flat_planner(battery_kw: float):
    """A loop planner whose plan buys 20 kW plant + 10 kW JEPX in every slot and holds the 'centre' battery at
    battery_kw (+ = discharge)."""
    import pandas as pd

    from runtime.store import plans

    def planner(request):
        n = len(request.index)
        rows = [
            {
                "slot_start": t.to_pydatetime(),
                "plant_kw": 20.0,
                "jepx_buy_kw": 10.0,
                "jepx_sell_kw": 0.0,
                "price_jpy_per_kwh": 10.0,
            }
            for t in request.index
        ]
        return plans.PlanIn(
            request.index[0].to_pydatetime(),
            (request.index[-1] + pd.Timedelta("30min")).to_pydatetime(),
            "optimal",
            rows,
            setpoints={"centre": {"bat1": [battery_kw] * n}},
            solver_status="optimal",
        )

    return planner
