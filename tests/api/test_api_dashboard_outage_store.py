# mypy: allow-untyped-defs, allow-incomplete-defs
"""Outage runs kept in the database (runtime.store.outage_runs), on SQLite and PostgreSQL: a greedy 24 h plan on
'tiny' stored through the API's run store reads back with every shelter's hours until dark and every EV move; a
new app on the same database (a restart: the in-memory runs are gone) colours the map's shelters by that run and
draws its EV routes; `?run=` picks an older run, an unknown one shows the no-run banner."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
import service_fixtures
from fastapi.testclient import TestClient
from service_fixtures import add_users, login, make_service

from api.app import create_app
from api.dashboard.map_data import autonomy_state
from api.routers.outage_runs import OutageRuns
from runtime.facades import outage_planning as outage
from runtime.store.models import OutageRun
from runtime.store.outage_runs import get_run, latest_run
from scenarios.loader import load_scenario

any_store = service_fixtures.any_store
START = pd.Timestamp("2024-09-01T14:00", tz="Asia/Tokyo")


@pytest.fixture(scope="module")
def plans():
    """Two greedy plans on tiny: 24 h at half PV (EV moves) and 12 h at full PV."""
    scenario = load_scenario("tiny")
    return (
        outage.plan(scenario, START, 24, method="greedy", pv_factor=0.5),
        outage.plan(scenario, START, 12, method="greedy", pv_factor=1.0),
    )


def test_runs_read_back_and_survive_a_restart(any_store, plans):
    first, second = plans
    runs = OutageRuns(store=any_store)
    old_id = runs.add(second, "disaster")
    with any_store.session() as session:  # the older run: made earlier
        session.get(OutageRun, old_id).created_at = dt.datetime(2024, 9, 1, 4, 0, tzinfo=dt.UTC)
    run_id = runs.add(first, "op")
    stored = latest_run(any_store)
    assert stored is not None
    assert stored.run_id == run_id
    assert stored.owner == "op"
    assert stored.hours == 24.0
    assert stored.start == START.tz_convert("UTC").to_pydatetime()
    table = first.shelter_table()
    assert {k: s.hours_until_dark for k, s in stored.shelters.items()} == table["hours_until_dark"].to_dict()
    assert [(m.car, m.from_site, m.to_shelter) for m in stored.moves] == [
        (m.car, m.from_site, m.to_shelter) for m in first.moves
    ]
    assert len(stored.moves) >= 1
    assert [m.delivered_kwh for m in stored.moves] == [m.delivered_kwh for m in first.moves]
    assert get_run(any_store, "nope") is None

    add_users(any_store)
    svc = make_service(any_store)  # a new service and app on the same database: nothing in memory
    with TestClient(create_app(svc)) as client:
        headers = login(client, "disaster")
        client.cookies.clear()
        html = client.get("/map?mode=autonomy&lang=en", headers=headers).text
        assert f'data-run="{run_id}"' in html
        assert len(re.findall(r'<line class="ev-route"', html)) == len(first.moves)
        states = dict(re.findall(r'<g class="marker shelter" data-facility="([^"]+)" data-state="([^"]+)"', html))
        assert states == {k: autonomy_state(h, 24.0) for k, h in table["hours_until_dark"].items()}
        older = client.get(f"/map?mode=autonomy&run={old_id}&lang=en", headers=headers).text
        assert f'data-run="{old_id}"' in older
        assert "12 h from" in older
        form = client.get("/outage?lang=en", headers=headers).text  # the outage page names the stored run
        assert f'id="last-outage-run" data-run="{run_id}"' in form
        assert f"/map?mode=autonomy&run={run_id}&lang=en" in form
        unknown = client.get("/map?mode=autonomy&run=unknown1", headers=headers).text
        assert 'id="no-outage-run"' in unknown
        assert client.get("/map?mode=autonomy&run=bad%20id", headers=headers).status_code == 422
