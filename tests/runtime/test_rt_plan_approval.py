# mypy: allow-untyped-defs, allow-incomplete-defs
"""Approval means something: with auto_approve off only an approved plan is dispatched, the last approved one
stays in force, a rejection is final and never leaves dispatch on 0 kW safe set-points while an approved plan
is in force; decisions record who and when; with auto_approve on the loop's plans are approved by 'auto'."""

from __future__ import annotations

import asyncio
import datetime as dt

import pandas as pd
import pytest
import service_fixtures
from service_fixtures import TEST_NOW, FakeTelemetry, make_service

from runtime.loop.dispatch import dispatch
from runtime.loop.optimise import optimise
from runtime.store import plans
from runtime.store.records import PlanSlotIn

any_store = service_fixtures.any_store
LATER = TEST_NOW + dt.timedelta(minutes=5)


def _plan(store, bat_kw: float, status: str = "proposed") -> int:
    idx = pd.date_range(pd.Timestamp(TEST_NOW).floor("30min"), periods=2, freq="30min")
    row = plans.save_plan(
        store,
        plans.PlanIn(
            idx[0].to_pydatetime(),
            (idx[-1] + pd.Timedelta("30min")).to_pydatetime(),
            "optimal",
            [PlanSlotIn(t.to_pydatetime(), plant_kw=50.0, price_jpy_per_kwh=11.0) for t in idx],
            setpoints={"centre": {"bat1": [bat_kw, bat_kw]}},
            status=status,
            created_at=TEST_NOW - dt.timedelta(hours=1),
        ),
    )
    return row.id


def _sent_kw(svc) -> tuple[float, str]:
    audit = asyncio.run(dispatch(svc, LATER))
    (bat,) = [a for a in audit if (a.facility_id, a.device_id) == ("centre", "bat1")]
    return bat.requested, bat.source


@pytest.fixture
def manual(any_store):
    svc = make_service(any_store, telemetry=FakeTelemetry())
    svc.settings = svc.settings.model_copy(update={"auto_approve": False})
    return svc


def test_only_an_approved_plan_is_dispatched_and_the_last_approved_stays_in_force(manual):
    store = manual.store
    v1 = _plan(store, 1.0)
    assert plans.plan_in_force(store, auto_approve=False) is None
    assert _sent_kw(manual) == (0.0, "safe")  # a proposal nobody approved is not dispatched
    plans.decide_plan(store, v1, "approved", "op", TEST_NOW)
    assert _sent_kw(manual) == (1.0, "optimal")
    v2 = _plan(store, 3.0)
    assert _sent_kw(manual) == (1.0, "optimal")  # the newer proposal waits for its approval
    assert [p.id for p in plans.pending_plans(store)] == [v2]
    plans.decide_plan(store, v2, "approved", "op", LATER)
    assert _sent_kw(manual) == (3.0, "optimal")
    first = plans.get_plan(store, v1)
    assert first is not None
    assert first.status == "superseded"


def test_rejecting_the_approved_plan_hands_back_to_the_previous_approved_one_never_to_safe(manual):
    store = manual.store
    v1, v2 = _plan(store, 1.0), _plan(store, 3.0)
    plans.decide_plan(store, v1, "approved", "op", TEST_NOW)
    plans.decide_plan(store, v2, "approved", "op", TEST_NOW)
    rejected = plans.decide_plan(store, v2, "rejected", "boss", LATER)
    assert rejected is not None
    assert (rejected.status, rejected.decided_by, rejected.decided_at) == ("rejected", "boss", LATER)
    assert _sent_kw(manual) == (1.0, "optimal")  # v1 again, not 0 kW
    with pytest.raises(plans.DecisionRefusedError, match="final"):
        plans.decide_plan(store, v2, "approved", "op", LATER)
    with pytest.raises(plans.DecisionRefusedError, match="final"):
        plans.decide_plan(store, v2, "rejected", "op", LATER)


def test_rejecting_a_proposal_leaves_the_approved_plan_in_force(manual):
    store = manual.store
    v1, v2 = _plan(store, 1.0), _plan(store, 3.0)
    plans.decide_plan(store, v1, "approved", "op", TEST_NOW)
    row = plans.decide_plan(store, v2, "rejected", "op", LATER)
    assert row is not None
    assert row.approved_by is None
    assert row.decided_by == "op"
    in_force = plans.plan_in_force(store, auto_approve=False)
    assert in_force is not None
    assert in_force.id == v1
    assert _sent_kw(manual) == (1.0, "optimal")


def test_approving_a_plan_whose_horizon_is_over_is_refused(manual):
    v1 = _plan(manual.store, 1.0)
    with pytest.raises(plans.DecisionRefusedError, match="before now"):
        plans.decide_plan(manual.store, v1, "approved", "op", TEST_NOW + dt.timedelta(days=1))


def test_auto_approve_stores_loop_plans_approved_by_auto(any_store):
    svc = make_service(any_store)
    assert svc.settings.auto_approve
    first = optimise(svc, TEST_NOW)
    assert (first.status, first.decided_by, first.approved_by) == ("approved", "auto", "auto")
    second = optimise(svc, LATER)
    again = plans.get_plan(any_store, first.id)
    assert again is not None
    assert again.status == "superseded"
    in_force = plans.plan_in_force(any_store, auto_approve=True)
    assert in_force is not None
    assert in_force.id == second.id


def test_manual_mode_loop_plans_are_proposals(any_store):
    svc = make_service(any_store)
    svc.settings = svc.settings.model_copy(update={"auto_approve": False})
    row = optimise(svc, TEST_NOW)
    assert (row.status, row.decided_by) == ("proposed", None)
    assert plans.plan_in_force(any_store, auto_approve=False) is None
