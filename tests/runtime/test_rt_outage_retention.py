# mypy: allow-untyped-defs, allow-incomplete-defs
"""The retention of stored outage runs, on SQLite and PostgreSQL: keeping 2 of 3 runs deletes the oldest (by
created_at) with every one of its files (the foreign key's ON DELETE CASCADE, which SQLite enforces only with
PRAGMA foreign_keys on), the two newest answer byte for byte as before; a tie in created_at drops the smaller run
id, and latest_run answers the one kept; a run a job recorded and the store no longer holds counts as pruned, an
id nobody recorded does not; a prune says how many it deleted in the log."""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd
import pytest
import service_fixtures
from sqlalchemy import func, select

from optimizer.outage import OutageInput, OutageShelter
from optimizer.outage.result import OutagePlan
from runtime.store.db import Store
from runtime.store.models import HeavyJobRow, OutageRun, OutageRunFile
from runtime.store.outage_files import PLAN_FILES, load_file
from runtime.store.outage_retention import prune_runs, run_pruned, run_stored
from runtime.store.outage_runs import get_run, latest_run, save_run

any_store = service_fixtures.any_store
START = pd.Timestamp("2024-09-01T14:00", tz="Asia/Tokyo")
MADE = dt.datetime(2024, 9, 1, 6, 0, tzinfo=dt.UTC)


def one_shelter_plan(served_kw: float) -> OutagePlan:
    """One shelter 'A', 2 slots of 0.5 h, critical 1 kW, no cars; `served_kw` in both slots (so each plan's files
    differ by what it served)."""
    n = 2
    data = OutageInput(
        start=START,
        shelters=(OutageShelter("A", np.full(n, 1.0), np.zeros(n)),),
        evs=(),
        site_ids=("A",),
        distance_km=np.zeros((1, 1)),
        travel_slots=np.zeros((1, 1), dtype=int),
        n_slots=n,
        block_slots=2,
        early_weight=0.0,
    )
    zeros = np.zeros((n, 1))
    return OutagePlan(
        data=data,
        method="hand",
        status="optimal",
        assignment=np.zeros((0, 1), dtype=int),
        served_kw=np.full((n, 1), served_kw),
        pv_used_kw=zeros,
        battery_charge_kw=zeros,
        battery_discharge_kw=zeros,
        battery_kwh=np.zeros((n + 1, 1)),
        ev_kw=np.zeros((0, n, 1)),
        ev_kwh=np.zeros((0, n + 1)),
        objective=0.0,
    )


def _files(store: Store, run_id: str) -> dict[str, bytes]:
    out = {}
    for name in PLAN_FILES:
        found = load_file(store, run_id, name)
        assert found is not None, (run_id, name)
        out[name] = found.body
    return out


def _file_rows(store: Store, run_id: str) -> int:
    with store.session() as session:
        count = session.scalar(select(func.count()).select_from(OutageRunFile).where(OutageRunFile.run_id == run_id))
    return int(count or 0)


def test_keeping_two_of_three_deletes_the_oldest_with_its_files(any_store, caplog):
    for i, run_id in enumerate(("r1", "r2", "r3")):  # r1 the oldest, though not first by id order alone
        save_run(any_store, run_id, one_shelter_plan(0.25 * (i + 1)), "disaster", MADE + dt.timedelta(minutes=i))
    before = {run_id: _files(any_store, run_id) for run_id in ("r1", "r2", "r3")}
    assert before["r2"]["shelters.csv"] != before["r3"]["shelters.csv"]
    assert _file_rows(any_store, "r1") == len(PLAN_FILES)

    with caplog.at_level(logging.INFO, logger="runtime.store.outage_retention"):
        assert prune_runs(any_store, 2) == ["r1"]
    assert "1 pruned beyond the 2 most recent kept (EMS_OUTAGE_RUNS_KEPT)" in caplog.text

    assert get_run(any_store, "r1") is None
    assert not run_stored(any_store, "r1")
    assert _file_rows(any_store, "r1") == 0
    assert all(load_file(any_store, "r1", name) is None for name in PLAN_FILES)
    for run_id in ("r2", "r3"):
        assert _files(any_store, run_id) == before[run_id]
        assert _file_rows(any_store, run_id) == len(PLAN_FILES)
    with any_store.session() as session:
        assert session.scalar(select(func.count()).select_from(OutageRunFile)) == 2 * len(PLAN_FILES)
    assert prune_runs(any_store, 2) == []  # nothing beyond 2 left
    latest = latest_run(any_store)
    assert latest is not None
    assert latest.run_id == "r3"


def test_a_tie_in_created_at_drops_the_smaller_run_id(any_store):
    for run_id in ("b", "a", "c"):
        save_run(any_store, run_id, one_shelter_plan(0.5), "disaster", MADE)
    latest = latest_run(any_store)
    assert latest is not None
    assert latest.run_id == "c"
    assert prune_runs(any_store, 1) == ["a", "b"]  # oldest first
    with any_store.session() as session:
        assert list(session.scalars(select(OutageRun.run_id))) == ["c"]
    with pytest.raises(ValueError, match="EMS_OUTAGE_RUNS_KEPT"):
        prune_runs(any_store, 0)


def test_a_recorded_run_no_longer_held_counts_as_pruned(any_store):
    save_run(any_store, "old", one_shelter_plan(0.5), "disaster", MADE)
    save_run(any_store, "new", one_shelter_plan(1.0), "disaster", MADE + dt.timedelta(hours=1))
    with any_store.session() as session:
        for job, run_id in (("j1", "old"), ("j2", "new")):
            session.add(
                HeavyJobRow(id=job, kind="outage", owner="disaster", status="done", submitted_at=MADE, run_id=run_id)
            )
    assert not run_pruned(any_store, "old")  # still held
    assert prune_runs(any_store, 1) == ["old"]
    assert run_pruned(any_store, "old")
    assert not run_pruned(any_store, "new")
    assert not run_pruned(any_store, "never")  # no job recorded it: unknown, not pruned
