# mypy: allow-untyped-defs, allow-incomplete-defs
"""Outage runs keep the whole plan, on SQLite and PostgreSQL: the per-shelter tier figures stored with a run equal
OutagePlan.shelter_table's (and the kWh each tier needs, worked out by hand) for a hand-made plan; the downloads
(shelters, itinerary, cars per slot, plan JSON) of a greedy plan answer byte for byte the same from a new app and
store on the same database (a restart) as from the app that made the plan; the stored run's page shows its tiers
and links its downloads, the map adds each shelter's tier-1 kWh; a done job polled again stores its run once; a run
stored before migration 0703 still loads, its page says it predates stored plans and its downloads answer 404
saying so."""

from __future__ import annotations

import datetime as dt
import io
import re
import time

import numpy as np
import pandas as pd
import pytest
import service_fixtures
from fastapi.testclient import TestClient
from service_fixtures import add_users, login, make_service
from sqlalchemy import text

from api.app import create_app
from optimizer.outage import OutageInput, OutageShelter
from optimizer.outage.result import OutagePlan
from runtime.store.db import Store, open_store
from runtime.store.migrate import upgrade
from runtime.store.models import OutageRun, OutageRunFile
from runtime.store.outage_files import PLAN_FILES
from runtime.store.outage_runs import TIER_FIELDS, get_run, save_run

any_store = service_fixtures.any_store
sqlite_store = service_fixtures.sqlite_store
START = pd.Timestamp("2024-09-01T14:00", tz="Asia/Tokyo")
PLAN = {"start": "2024-09-01T14:00:00+09:00", "hours": 24, "method": "greedy", "pv_factor": 0.5}


def hand_made_plan() -> OutagePlan:
    """Two shelters, 4 slots of 0.5 h, no cars. A: critical 2 kW of which tier 1 is 1 kW, comfort 1 kW in the first
    two slots; served 2, 1.5, 1, 0.5 kW and comfort 1, 0, 0, 0 kW. B: critical 1 kW, all tier 1 (no tier1_kw), no
    comfort; served 1, 1, 0, 0 kW."""
    n = 4
    shelters = (
        OutageShelter(
            "A",
            np.full(n, 2.0),
            np.zeros(n),
            tier1_kw=np.full(n, 1.0),
            comfort_kw=np.array([1.0, 1.0, 0.0, 0.0]),
        ),
        OutageShelter("B", np.full(n, 1.0), np.zeros(n)),
    )
    data = OutageInput(
        start=START,
        shelters=shelters,
        evs=(),
        site_ids=("A", "B"),
        distance_km=np.array([[0.0, 5.0], [5.0, 0.0]]),
        travel_slots=np.array([[0, 1], [1, 0]]),
        n_slots=n,
        block_slots=4,
        early_weight=0.0,
    )
    zeros = np.zeros((n, 2))
    return OutagePlan(
        data=data,
        method="hand",
        status="optimal",
        assignment=np.zeros((0, 1), dtype=int),
        served_kw=np.array([[2.0, 1.0], [1.5, 1.0], [1.0, 0.0], [0.5, 0.0]]),
        pv_used_kw=zeros,
        battery_charge_kw=zeros,
        battery_discharge_kw=zeros,
        battery_kwh=np.zeros((n + 1, 2)),
        ev_kw=np.zeros((0, n, 2)),
        ev_kwh=np.zeros((0, n + 1)),
        objective=0.0,
        comfort_kw=np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]),
    )


# Per shelter by hand (kWh = kW x 0.5 h): served tier 1 = min(served, tier 1), tier 2 the rest; hours count slots
# with the tier (and those before it) fully served.
BY_HAND = {
    "A": {
        "tier1_kwh": 1.75,
        "tier1_demand_kwh": 2.0,
        "tier1_hours": 1.5,
        "tier2_kwh": 0.75,
        "tier2_demand_kwh": 2.0,
        "tier2_hours": 0.5,
        "comfort_kwh": 0.5,
        "comfort_demand_kwh": 1.0,
        "comfort_hours": 0.5,
    },
    "B": {
        "tier1_kwh": 1.0,
        "tier1_demand_kwh": 2.0,
        "tier1_hours": 1.0,
        "tier2_kwh": 0.0,
        "tier2_demand_kwh": 0.0,
        "tier2_hours": 1.0,
        "comfort_kwh": 0.0,
        "comfort_demand_kwh": 0.0,
        "comfort_hours": 0.0,
    },
}


def test_stored_tiers_equal_the_shelter_table(any_store):
    plan = hand_made_plan()
    save_run(any_store, "hand1", plan, "disaster")
    stored = get_run(any_store, "hand1")
    assert stored is not None
    assert stored.files_kept
    table = plan.shelter_table().to_dict(orient="index")
    for sid, expected in BY_HAND.items():
        shelter = stored.shelters[sid]
        for name in TIER_FIELDS:
            if name in table[sid]:
                assert getattr(shelter, name) == pytest.approx(float(table[sid][name]), abs=1e-12), (sid, name)
        for name, value in expected.items():
            assert getattr(shelter, name) == pytest.approx(value, abs=1e-12), (sid, name)
    assert stored.shelters["A"].critical_kwh == pytest.approx(4.0)
    assert stored.shelters["A"].tier1_full is False
    assert stored.shelters["B"].hours_until_dark == pytest.approx(1.0)


def _reopen(store: Store) -> Store:
    """A second store instance on the same database (and PostgreSQL schema): what a restarted service opens."""
    return open_store(store.engine.url.render_as_string(hide_password=False), schema=store.schema)


def _downloads(client: TestClient, run_id: str, headers: dict[str, str]) -> dict[str, tuple[int, bytes, str, str]]:
    out = {}
    for name in PLAN_FILES:
        answer = client.get(f"/api/v1/outage-plans/{run_id}/{name}", headers=headers)
        out[name] = (
            answer.status_code,
            answer.content,
            answer.headers["content-type"],
            answer.headers["content-disposition"],
        )
    return out


def _check_stored_page(page, run_id: str, before: dict[str, tuple[int, bytes, str, str]]) -> None:
    """The stored run's page: its id, the links of every download, centre's tier-1 kWh and hours as in the CSV."""
    assert page.status_code == 200
    html = page.text
    assert f'id="stored-run" data-run="{run_id}"' in html
    for name in PLAN_FILES:
        assert f'href="/api/v1/outage-plans/{run_id}/{name}"' in html
    assert 'id="outage-predates"' not in html
    shelters = pd.read_csv(io.BytesIO(before["shelters.csv"][1]), index_col="shelter").to_dict(orient="index")
    row = re.search(r'data-shelter="centre">(.*?)</tr>', html)
    assert row is not None
    tier1 = re.search(r'<td class="tier1">([^<]*)</td>', row.group(1))
    assert tier1 is not None
    assert tier1.group(1).split(" / ")[0] == f"{shelters['centre']['tier1_kwh']:,.1f}"
    hours = re.search(r'<td class="tier1-hours">([^<]*)</td>', row.group(1))
    assert hours is not None
    assert hours.group(1) == f"{shelters['centre']['tier1_hours']:g}"
    first = pd.read_csv(io.BytesIO(before["itinerary.csv"][1])).iloc[0]
    soc = re.search(r'<td class="arrival-soc">([^<]*)</td><td class="outlet">([^<]*)</td>', html)
    assert soc is not None
    assert soc.groups() == (f"{100 * first['arrival_soc']:.0f} %", first["outlet"])


def test_downloads_are_the_same_after_a_restart(any_store):
    add_users(any_store)
    with TestClient(create_app(make_service(any_store))) as client:
        headers = login(client, "disaster")
        client.cookies.clear()
        run = client.post("/api/v1/outage-plans", json=PLAN, headers=headers)
        assert run.status_code == 200, run.text
        run_id = run.json()["run_id"]
        before = _downloads(client, run_id, headers)
    assert {name: answer[0] for name, answer in before.items()} == dict.fromkeys(PLAN_FILES, 200)
    cars = pd.read_csv(io.BytesIO(before["cars.csv"][1]))
    assert list(cars.columns) == ["car", "slot", "where", "kwh", "soc", "delivered_kw"]
    assert len(cars) == 48  # tiny's one car over 24 h of 30-min slots
    assert before["shelters.csv"][2].startswith("text/csv")
    assert before["plan.json"][2].startswith("application/json")
    assert before["plan.json"][3] == f'attachment; filename="outage-{run_id}-plan.json"'
    stored = get_run(any_store, run_id)
    assert stored is not None
    assert stored.owner == "disaster"
    itinerary = pd.read_csv(io.BytesIO(before["itinerary.csv"][1]))
    assert len(itinerary) == len(stored.moves) >= 1
    assert [m.arrival_soc for m in stored.moves] == pytest.approx(list(itinerary["arrival_soc"]), abs=5e-5)  # CSV: 4 dp
    assert [m.outlet for m in stored.moves] == list(itinerary["outlet"])
    assert [None if m.until is None else pd.Timestamp(m.until) for m in stored.moves] == [
        pd.Timestamp(u) for u in itinerary["until"]
    ]

    again = _reopen(any_store)  # a restart: a new store and app, nothing in memory
    try:
        with TestClient(create_app(make_service(again))) as client:
            headers = login(client, "disaster")
            client.cookies.clear()
            assert _downloads(client, run_id, headers) == before
            _check_stored_page(client.get(f"/outage/runs/{run_id}?lang=en", headers=headers), run_id, before)
            form = client.get("/outage?lang=en", headers=headers).text
            assert f'href="/outage/runs/{run_id}?lang=en"' in form
            centre = stored.shelters["centre"]
            assert centre.tier1_kwh is not None
            assert centre.tier1_demand_kwh is not None
            shown = client.get("/map?mode=autonomy&lang=en", headers=headers).text
            assert f"T1 {centre.tier1_kwh:,.1f}/{centre.tier1_demand_kwh:,.1f} kWh</title>" in shown
            assert f'href="/outage/runs/{run_id}?lang=en" id="outage-run-open"' in shown
            missing = client.get("/api/v1/outage-plans/nosuchrun/cars.csv", headers=headers)
            assert missing.status_code == 404
            assert "no outage plan 'nosuchrun'" in missing.json()["detail"]
            assert client.get("/outage/runs/nosuchrun?lang=en", headers=headers).status_code == 404
    finally:
        again.dispose()
    with any_store.session() as session:  # bounded: kept compressed
        sizes = {r.name: (r.size_bytes, len(r.body_gz)) for r in session.query(OutageRunFile).filter_by(run_id=run_id)}
    assert {name: size for name, (size, _) in sizes.items()} == {n: len(a[1]) for n, a in before.items()}
    assert all(packed < size for size, packed in sizes.values())


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_at_0202(request: pytest.FixtureRequest, tmp_path):
    """A store migrated to 0202 only (before the outage runs kept their files); the test upgrades it."""
    yield from service_fixtures.store_at_revision(request.param, tmp_path, "0202")


OLD_SHELTERS = (
    '[{"shelter": "centre", "hours_until_dark": 6.5, "dark_at": "2024-09-01T11:30:00+00:00", '
    '"served_kwh": 20.0, "shed_kwh": 5.0, "tier1_full": false}]'
)
OLD_MOVES = (
    '[{"car": "ev1", "from": "school", "to": "centre", "depart": "2024-09-01T05:00:00+00:00", '
    '"arrive": "2024-09-01T05:30:00+00:00", "delivered_kwh": 8.0, "travel_kwh": 0.5}]'
)


def test_a_run_stored_before_0703_still_loads(store_at_0202):
    store = store_at_0202
    made = dt.datetime(2024, 9, 1, 6, 0, tzinfo=dt.UTC)
    with store.engine.begin() as conn:  # the row as the code before 0703 wrote it
        conn.execute(
            text(
                "INSERT INTO outage_runs (run_id, created_at, owner, start, hours, method, status, shelters, itinerary)"
                " VALUES ('old1', :made, 'disaster', :start, 24.0, 'greedy', 'greedy', :shelters, :moves)"
            ),
            {"made": made, "start": START.to_pydatetime(), "shelters": OLD_SHELTERS, "moves": OLD_MOVES},
        )
    upgrade(store.engine)
    run = get_run(store, "old1")
    assert run is not None
    assert not run.files_kept
    centre = run.shelters["centre"]
    assert (centre.hours_until_dark, centre.served_kwh, centre.shed_kwh) == (6.5, 20.0, 5.0)
    assert all(getattr(centre, name) is None for name in TIER_FIELDS)
    assert [(m.car, m.to_shelter, m.delivered_kwh, m.arrival_soc, m.until) for m in run.moves] == [
        ("ev1", "centre", 8.0, None, None)
    ]

    add_users(store)
    with TestClient(create_app(make_service(store))) as client:
        headers = login(client, "disaster")
        client.cookies.clear()
        for name in PLAN_FILES:
            answer = client.get(f"/api/v1/outage-plans/old1/{name}", headers=headers)
            assert answer.status_code == 404
            assert "predates stored plans" in answer.json()["detail"]
        html = client.get("/outage/runs/old1?lang=en", headers=headers).text
        assert 'id="outage-predates"' in html
        assert 'id="outage-downloads"' not in html
        assert '<td class="tier1">– / –</td>' in html
        assert '<td class="tier1-hours">–</td>' in html
        assert '<td class="arrival-soc">–</td><td class="outlet">–</td>' in html
        shown = client.get("/map?mode=autonomy&run=old1&lang=en", headers=headers).text
        assert 'data-run="old1"' in shown
        assert "6.5 h</title>" in shown  # hours until dark as before, no tier figures


def test_a_job_polled_again_stores_its_run_once(sqlite_store):
    add_users(sqlite_store)
    with TestClient(create_app(make_service(sqlite_store))) as client:
        client.headers.update(login(client, "disaster"))
        job = client.post("/api/v1/outage-plans/jobs", json=PLAN).json()
        for _ in range(600):
            job = client.get(job["status_url"]).json()
            if job["status"] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert job["status"] == "done", job
        for _ in range(3):
            assert client.get(job["status_url"]).json()["result"]["run_id"] == job["result"]["run_id"]
    with sqlite_store.session() as session:
        runs = session.query(OutageRun).all()
        files = session.query(OutageRunFile).count()
    assert [(r.run_id, r.owner) for r in runs] == [(job["result"]["run_id"], "disaster")]
    assert files == len(PLAN_FILES)
