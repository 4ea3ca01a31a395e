# mypy: allow-untyped-defs, allow-incomplete-defs
"""Fixtures of the service tests: a migrated store on SQLite (tmp file) and, when EMS_TEST_POSTGRES_URL is set,
on a real PostgreSQL in a unique schema dropped afterwards (parallel runs do not collide)."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from sqlalchemy import JSON, column, insert, table

from runtime.loop.service import Sample, WriteOutcome
from runtime.store.db import Store, drop_schema, open_store
from runtime.store.migrate import upgrade
from scenarios.device_identity import DeviceKind

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


def store_at_revision(backend: str, tmp_path, revision: str) -> Iterator[Store]:
    """A store on `backend` ("sqlite" or "postgresql") migrated to `revision` only, for tests of rows written
    before a later migration (the test upgrades it); disposed (and its PostgreSQL schema dropped) after."""
    if backend == "sqlite":
        store = open_store(f"sqlite:///{tmp_path / 'old.db'}", migrate=False)
        upgrade(store.engine, revision)
        yield store
        store.dispose()
        return
    if not PG_URL:
        pytest.skip("EMS_TEST_POSTGRES_URL is not set; PostgreSQL storage tests skipped")
    schema = f"ems_test_{uuid.uuid4().hex[:12]}"
    store = open_store(PG_URL, schema=schema, migrate=False)
    try:
        upgrade(store.engine, revision)
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


TEST_NOW = dt.datetime(2024, 6, 10, 3, 10, tzinfo=dt.UTC)
GENEROUS_TIMEOUT_S = 10.0
"""Per-request device time-out (s) for tests whose simulators answer: they share the test's event loop, and a loaded
2-core machine can hold that loop past the scenarios' 1 s (a request that is answered never waits it out)."""


def with_generous_timeouts(data: Any, timeout_s: float = GENEROUS_TIMEOUT_S) -> Any:
    """Scenario data (as from ``builtin_data``) with every device endpoint's ``timeout_s`` set to ``timeout_s``."""
    data = copy.deepcopy(data)
    for facility in data["facilities"]:
        for assets in facility.values():
            for asset in assets if isinstance(assets, list) else []:
                for protocol in ("modbus", "echonet", "ocpp"):
                    if isinstance(asset, dict) and isinstance(asset.get(protocol), dict):
                        asset[protocol]["timeout_s"] = timeout_s
    return data


"""The service tests' clock: 2024-06-10 12:10 JST, a Monday inside the shipped JEPX data (no test reads the wall
clock, so none depends on today's date)."""


def make_service(store: Store, scenario: str = "tiny", telemetry=None, planner=None, clock=None):
    """A Service on `store` for a built-in scenario with the service's forecaster (load learned from the store),
    the default planner and a fixed clock (`clock`, default TEST_NOW) for the routes and the scheduler."""
    from runtime.loop.build import default_planner
    from runtime.loop.service import Service
    from runtime.loop.store_forecaster import store_forecaster
    from runtime.settings import Settings
    from scenarios.loader import load_scenario

    settings = Settings(poll_interval_s=10, stale_after_s=60, safe_after_s=300)
    return Service(
        settings,
        load_scenario(scenario),
        store,
        telemetry,
        store_forecaster(store),
        planner or default_planner(),
        clock=clock or (lambda: TEST_NOW),
    )


class FakeTelemetry:
    """Devices of 'tiny' answering with a chosen quality; writes are recorded (clamped to nothing)."""

    def __init__(self) -> None:
        self.quality = "good"
        self.meter_kw = {"centre": 10.0, "office": 20.0, "school": 0.0}
        self.writes: dict[tuple[str, str], float] = {}

    async def poll(self, now):
        battery_kw = self.writes.get(("centre", "bat1"), 0.0)  # the battery follows its set-point
        return [
            Sample(
                "centre",
                "bat1",
                DeviceKind.BATTERY,
                {"soc": 0.8, "power_kw": battery_kw},
                self.quality,
                now if self.quality == "good" else None,
            ),
            *[Sample(f, "m1", DeviceKind.METER, {"power_kw": kw}, "good", now) for f, kw in self.meter_kw.items()],
        ]

    async def write(self, facility_id, device_id, kind, value_kw, actor, dry_run):
        self.writes[(facility_id, device_id)] = value_kw
        return WriteOutcome(value_kw, True, "ok")


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
    deadline = time.monotonic() + 30.0  # generous: a loaded machine can take seconds to start the thread's server
    while not srv.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not srv.started:
        srv.should_exit = True
        thread.join(10)
        raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port} within 30 s")
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
    from runtime.store.records import PlanSlotIn

    def planner(request):
        n = len(request.index)
        rows = [
            PlanSlotIn(t.to_pydatetime(), plant_kw=20.0, jepx_buy_kw=10.0, jepx_sell_kw=0.0, price_jpy_per_kwh=10.0)
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


# Rows as the code before issue 10 stored them (plain dicts in JSON columns): the typed records must still load them.
# The tables are declared with plain JSON columns, so the rows go in exactly as they were (no TypedJSON on the way).
OLD_T0 = dt.datetime(2024, 6, 10, 3, 0, tzinfo=dt.UTC)  # 12:00 JST
OLD_PLANS = table(
    "plans",
    *(column(c) for c in ("id", "version", "created_at", "horizon_start", "horizon_end", "kind", "status")),
    column("solver_status"),
    column("objective_jpy"),
    column("inputs_summary", JSON),
    column("cost_breakdown", JSON),
    column("slack_report", JSON),
    column("setpoints", JSON),
)
OLD_EVENTS = table("events", *(column(c) for c in ("ts", "severity", "kind", "message")), column("details", JSON))
OLD_RUNS = table("forecast_runs", *(column(c) for c in ("created_at", "source")), column("summary", JSON))

OLD_OPTIMAL = {  # runtime/loop_planner.to_plan_in + runtime/fallback._record before issue 10
    "facilities": 3,
    "batteries": 1,
    "evs": 1,
    "slots": 96,
    "termination": "optimal",
    "mip_gap": 0.0,
    "solve_s": 0.123,
    "build_s": 0.456,
    "notes": ["JEPX chugoku"],
    "rung": "solve",
    "battery_soc": {"centre/bat1": 0.8},
}
OLD_SHIFTED = {  # runtime/loop_plans.shifted_plan after a failed solve, plus a key no record knows
    "reason": "HiGHS found no solution (TimeLimit); lp_relaxation: no binaries",
    "base_plan_id": 1,  # (an id; no row needs to exist)
    "base_version": 1,
    "notes": [],
    "rung": "last_plan_shifted",
    "fallback_reasons": [
        {"rung": "solve", "reason": "HiGHS found no solution (TimeLimit)"},
        {"rung": "lp_relaxation", "reason": "no binaries"},
    ],
    "legacy_key": "kept as stored",
}
OLD_SLACK = [  # dataclasses.asdict(MissedTarget) with the slot written as str(pd.Timestamp)
    {
        "kind": "shelter_reserve",
        "subject": "centre",
        "slot": "2024-06-10 12:00:00+09:00",
        "shortfall": 1.5,
        "unit": "kWh",
        "penalty_jpy": 1050.0,
        "reason": "battery at its floor",
    },
    {"kind": "contract_peak", "subject": "office", "slot": None, "shortfall": 2.0, "unit": "kW", "penalty_jpy": 0.0},
]


def insert_old_rows(store) -> None:
    """Two plans (optimal v1, shifted v2), two events and a forecast run, stored as plain JSON as before issue 10."""
    t0 = OLD_T0
    common = {"created_at": t0, "horizon_start": t0, "horizon_end": t0 + dt.timedelta(hours=1), "status": "proposed"}
    with store.session() as session:
        session.execute(
            insert(OLD_PLANS),
            [
                {
                    **common,
                    "version": 1,
                    "kind": "optimal",
                    "solver_status": "optimal",
                    "objective_jpy": 123.0,
                    "inputs_summary": OLD_OPTIMAL,
                    "cost_breakdown": {"energy": 100.0, "penalty_reserve": 23.0},
                    "slack_report": OLD_SLACK,
                    "setpoints": {"centre": {"bat1": [1.0, -2.0]}},
                },
                {
                    **common,
                    "version": 2,
                    "kind": "shifted",
                    "solver_status": "shifted from v1",
                    "objective_jpy": None,
                    "inputs_summary": OLD_SHIFTED,
                    "cost_breakdown": {},
                    "slack_report": [],
                    "setpoints": {},
                },
            ],
        )
        session.execute(
            insert(OLD_EVENTS),
            [
                {"ts": t0, "severity": "warning", "kind": "stale_readings", "message": "m", "details": {}},
                {
                    "ts": t0,
                    "severity": "warning",
                    "kind": "stale_readings",
                    "message": "centre/bat1: error",
                    "details": {"device": "bat1", "quality": "error"},
                },
            ],
        )
        session.execute(
            insert(OLD_RUNS),
            [
                {
                    "created_at": t0,
                    "source": "store_forecaster",
                    "summary": {
                        "start": "2024-06-10T12:00:00+09:00",
                        "slots": 96,
                        "facilities": 3,
                        "pv_inputs": {"clear_sky": 2, "none": 1},
                        "weather_missing": [],
                    },
                }
            ],
        )
