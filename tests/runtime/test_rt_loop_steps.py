# mypy: allow-untyped-defs, allow-incomplete-defs
"""Loop steps with a fake device layer and planners: fallbacks, events, plan following, imbalance settlement."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import service_fixtures
from service_fixtures import FakeTelemetry, make_service

from runtime.loop import following as follow
from runtime.loop.dispatch import dispatch
from runtime.loop.optimise import optimise
from runtime.loop.poll import poll
from runtime.loop.settle import imbalance_cost_jpy, settle
from runtime.store import journal, plans, readings, status
from runtime.store.readings import ReadingIn
from runtime.store.records import PlanSlotIn
from scenarios.loader import load_scenario

sqlite_store = service_fixtures.sqlite_store
NOW = pd.Timestamp("2024-06-10 12:10", tz="Asia/Tokyo").to_pydatetime()  # JEPX data exists for this day


def fixed_planner(value_kw: float):
    def plan(request):
        n = len(request.index)
        rows = [
            PlanSlotIn(
                t.to_pydatetime(),
                plant_kw=20.0,
                jepx_buy_kw=10.0,
                jepx_sell_kw=0.0,
                price_jpy_per_kwh=float(request.price.iloc[i]),
            )
            for i, t in enumerate(request.index)
        ]
        return plans.PlanIn(
            request.index[0].to_pydatetime(),
            (request.index[-1] + pd.Timedelta("30min")).to_pydatetime(),
            "optimal",
            rows,
            setpoints={"centre": {"bat1": [value_kw + i for i in range(n)]}, "office": {"v2h1": [0.0] * n}},
            solver_status="optimal",
        )

    return plan


def failing_planner(request):
    raise RuntimeError("HiGHS says no")


def _flat_forecaster(scenario, index):
    return {f.id: pd.DataFrame({"pv": 1.0, "load": 5.0}, index=index) for f in scenario.supplied}


@pytest.fixture
def svc(sqlite_store):
    s = make_service(sqlite_store, "tiny", telemetry=FakeTelemetry(), planner=fixed_planner(1.0))
    s.forecaster = _flat_forecaster
    return s


async def test_poll_stores_good_values_then_substitutes_with_an_event(svc):
    assert await poll(svc, NOW) == 5
    svc.telemetry.quality = "error"
    later = NOW + dt.timedelta(seconds=10)
    await poll(svc, later)
    rows = readings.readings_between(svc.store, later, later + dt.timedelta(seconds=1), device_id="bat1")
    expected = {("soc", 0.8, "substituted"), ("power_kw", 0.0, "substituted")}
    assert {(r.point, r.value, r.quality) for r in rows} == expected
    assert [e.kind for e in journal.list_events(svc.store)] == ["stale_readings"]
    # the live status flags the restated values and shows the age of the last measurement, not of the poll
    centre = status.city_status(svc.store, svc.scenario, later, "centre")[0]
    assert centre.quality == "substituted"
    assert {p.age_s for p in centre.points if p.device_id == "bat1"} == {10.0}
    await poll(svc, later + dt.timedelta(seconds=10))  # no second event while still stale
    assert len(journal.list_events(svc.store, kind="stale_readings")) == 1
    svc.telemetry.quality = "good"
    await poll(svc, later + dt.timedelta(seconds=20))
    assert journal.list_events(svc.store)[0].kind == "readings_recovered"


async def test_stale_beyond_limit_sends_safe_setpoints(svc):
    await poll(svc, NOW)
    optimise(svc, NOW)
    await dispatch(svc, NOW)
    assert svc.telemetry.writes[("centre", "bat1")] == 1.0  # slot 0 of the fixed plan
    svc.telemetry.quality = "error"
    late = NOW + dt.timedelta(seconds=svc.settings.safe_after_s + 30)
    await poll(svc, late)
    audit = await dispatch(svc, late)
    assert svc.telemetry.writes[("centre", "bat1")] == 0.0
    assert [a.source for a in audit if a.device_id == "bat1"] == ["safe"]
    await dispatch(svc, late + dt.timedelta(seconds=30))  # still stale: no second event
    assert len(journal.list_events(svc.store, kind="safe_setpoint")) == 1


async def test_failed_solve_falls_back_safe_then_shifted(svc):
    svc.planner = failing_planner
    first = optimise(svc, NOW)
    assert first.kind == "safe"
    assert all(v == 0 for v in first.setpoints["centre"]["bat1"])
    assert journal.list_events(svc.store, kind="plan_fallback_safe")[0].severity == "alarm"
    svc.planner = fixed_planner(1.0)
    good = optimise(svc, NOW)
    assert good.kind == "optimal"
    svc.planner = failing_planner
    later = NOW + dt.timedelta(hours=1)  # two slots later
    shifted = optimise(svc, later)
    assert shifted.kind == "shifted"
    assert shifted.inputs_summary.base_plan_id == good.id
    assert shifted.setpoints["centre"]["bat1"][:2] == good.setpoints["centre"]["bat1"][2:4]
    assert plans.plan_slots(svc.store, shifted.id)[0].slot_start == pd.Timestamp("2024-06-10 13:00", tz="Asia/Tokyo")
    assert journal.list_events(svc.store, kind="plan_fallback_shifted")
    assert svc.failures["optimise"] == 2


def test_distribute_correction_by_hand():
    b = load_scenario("tiny").facility("centre").batteries[0]  # 5 kW charge and discharge
    states = [follow.BatteryState("centre", b, 1.0, 0.7), follow.BatteryState("x", b, -1.0, 0.7)]  # reserve 0.5
    # 4 kW more discharge: headroom 4 and 6 kW -> shares 0.4 of each
    out = follow.distribute_correction(4.0, states)
    assert out[("centre", "bat1")] == pytest.approx(1.0 + 1.6)
    assert out[("x", "bat1")] == pytest.approx(-1.0 + 2.4)
    assert follow.distribute_correction(100.0, states) == {("centre", "bat1"): 5.0, ("x", "bat1"): 5.0}
    empty = follow.BatteryState("centre", b, 2.0, b.reserve_soc)  # at its reserve: cannot discharge
    assert follow.distribute_correction(3.0, [empty])[("centre", "bat1")] == 0.0


async def test_plan_following_corrects_toward_the_fixed_plan(svc):
    svc.telemetry.writes[("centre", "bat1")] = 4.0  # the battery already runs the plan's 4 kW (slot 4)
    await poll(svc, NOW)  # meters: 10 + 20 + 0 = 30 kW
    svc.planner = fixed_planner(0.0)
    plan = optimise(svc, NOW - dt.timedelta(hours=2))  # made before gate closure -> binding
    slot = pd.Timestamp("2024-06-10 12:00", tz="Asia/Tokyo").to_pydatetime()
    binding = follow.fixed_plan_for_slot(svc, slot)
    assert binding is not None
    assert binding[0].id == plan.id
    # planned demand 20 + 10 = 30 kW: no correction; set-point = plan (slot 4 of the plan -> 4.0 kW)
    await dispatch(svc, NOW)
    assert svc.telemetry.writes[("centre", "bat1")] == pytest.approx(4.0)
    svc.telemetry.meter_kw["office"] = 21.0  # 1 kW over plan -> battery discharges 1 kW more
    await poll(svc, NOW + dt.timedelta(seconds=10))
    audit = await dispatch(svc, NOW + dt.timedelta(seconds=10))
    assert svc.telemetry.writes[("centre", "bat1")] == pytest.approx(5.0)
    assert "following +1.0 kW" in audit[0].message
    # the extra 1 kW works: the meters show the plan again, and the correction must be held, not dropped
    svc.telemetry.meter_kw["office"] = 20.0
    await poll(svc, NOW + dt.timedelta(seconds=20))
    audit = await dispatch(svc, NOW + dt.timedelta(seconds=20))
    assert svc.telemetry.writes[("centre", "bat1")] == pytest.approx(5.0)
    assert "following +1.0 kW" in audit[0].message
    # a re-send with no new reading in between does not wind the correction up
    await dispatch(svc, NOW + dt.timedelta(seconds=25))
    assert svc.telemetry.writes[("centre", "bat1")] == pytest.approx(5.0)
    # a battery idling at 0 kW while the meters already show the plan must not be sent the plan's 4 kW
    svc.telemetry.writes[("centre", "bat1")] = 0.0
    await poll(svc, NOW + dt.timedelta(seconds=30))
    await dispatch(svc, NOW + dt.timedelta(seconds=30))
    # (only the slot's energy is settled: the 10 s at +1 kW are made up over the 1170 s left -> 10/1170 kW)
    assert svc.telemetry.writes[("centre", "bat1")] == pytest.approx(10 / 1170)


def test_imbalance_settlement_kwh_and_jpy(svc):
    slot = pd.Timestamp("2024-06-10 12:00", tz="Asia/Tokyo").to_pydatetime()
    svc.planner = fixed_planner(0.0)
    plan = optimise(svc, slot - dt.timedelta(hours=2))
    price = next(s.price_jpy_per_kwh for s in plans.plan_slots(svc.store, plan.id) if s.slot_start == slot)
    rows = [
        ReadingIn(slot + dt.timedelta(minutes=m), f, "m1", "power_kw", kw)
        for m in (0, 10, 20)
        for f, kw in (("centre", 15.0), ("office", 25.0))
    ]  # 40 kW vs 30 kW planned
    readings.write_readings(svc.store, rows)
    imb = settle(svc, slot)
    assert imb is not None
    assert imb.plan_id == plan.id
    assert (imb.planned_kwh, imb.actual_kwh, imb.imbalance_kwh) == (15.0, 20.0, 5.0)
    assert imb.cost_jpy == pytest.approx(5.0 * min(price + 5.0, 200.0))
    assert imbalance_cost_jpy(-2.0, 10.0, svc.scenario.market.imbalance, slot) == pytest.approx(-10.0)


async def test_operator_override_holds_to_the_end_of_its_slot(svc):
    await poll(svc, NOW)
    svc.planner = fixed_planner(0.0)
    optimise(svc, NOW)  # made inside the slot: not binding, no plan following
    ov = journal.add_override(svc.store, "centre", "bat1", "setpoint_kw", -2.5, "op", "approved")
    await dispatch(svc, NOW)
    assert svc.telemetry.writes[("centre", "bat1")] == pytest.approx(-2.5)
    # re-sends within the slot (12:00-12:30 JST) keep the override; it is still approved
    await dispatch(svc, NOW + dt.timedelta(minutes=15))
    assert svc.telemetry.writes[("centre", "bat1")] == pytest.approx(-2.5)
    assert [o.id for o in journal.list_overrides(svc.store, status="approved")] == [ov.id]
    # the next slot follows the plan again (its slot 1 -> 1 kW) and the override is retired as applied
    await dispatch(svc, NOW + dt.timedelta(minutes=25))
    assert svc.telemetry.writes[("centre", "bat1")] == pytest.approx(1.0)
    assert [o.status for o in journal.list_overrides(svc.store)] == ["applied"]


def test_store_forecaster_learns_facility_load_from_telemetry(sqlite_store):
    from runtime.loop.store_forecaster import (
        default_forecaster,
        device_history,
        facility_load_history,
        store_forecaster,
    )
    from runtime.store.models import Aggregate

    scenario = load_scenario("tiny")
    index = pd.date_range("2024-06-10 12:00", periods=8, freq="30min", tz="Asia/Tokyo")
    slots = pd.date_range(index[0] - pd.Timedelta(days=3), index[0], freq="30min", inclusive="left")
    # centre: grid 10 kW import, PV 2 kW, battery 1 kW discharge -> load 13 kW; one slot lacks the PV value
    device_kw = {"m1": 10.0, "pv1": 2.0, "bat1": 1.0}
    with sqlite_store.session() as session:
        for i, t in enumerate(slots):
            for device, kw in device_kw.items():
                if device == "pv1" and i == 5:
                    continue
                session.add(
                    Aggregate(
                        slot_start=t.to_pydatetime(),
                        facility_id="centre",
                        device_id=device,
                        point="power_kw",
                        mean=kw,
                        minimum=kw,
                        maximum=kw,
                        count=3,
                    )
                )
    end = index[0].to_pydatetime()
    centre, office = scenario.facility("centre"), scenario.facility("office")
    history = facility_load_history(centre, device_history(sqlite_store, centre, end))
    assert history is not None
    assert len(history) == len(slots) - 1
    assert (history == 13.0).all()
    assert device_history(sqlite_store, office, end).empty
    learned = store_forecaster(sqlite_store)(scenario, index)
    shape = default_forecaster(scenario, index)
    assert (learned["centre"]["load"] == 13.0).all()
    assert not (shape["centre"]["load"] == 13.0).all()  # without history: the scenario's load shape
    pd.testing.assert_frame_equal(learned["office"], shape["office"])  # no telemetry: shape kept


def test_store_forecaster_scales_pv_by_measured_yield(sqlite_store):
    from runtime.loop.store_forecaster import default_forecaster, store_forecaster

    scenario = load_scenario("tiny")
    index = pd.date_range("2024-06-10 00:00", periods=48, freq="30min", tz="Asia/Tokyo")
    service_fixtures.seed_measured_pv(sqlite_store, scenario, "centre", index, 0.6)  # a plant at 60 % of its model
    learned = store_forecaster(sqlite_store)(scenario, index)["centre"]["pv"]
    plain = default_forecaster(scenario, index)["centre"]["pv"]
    assert plain.max() > 1.0
    np.testing.assert_allclose(learned.to_numpy(), 0.6 * plain.to_numpy(), rtol=1e-6, atol=1e-9)


async def test_following_uses_the_plan_fixed_at_gate_closure_not_a_newer_one(svc):
    svc.telemetry.writes[("centre", "bat1")] = 0.0
    await poll(svc, NOW)
    svc.planner = fixed_planner(0.0)
    fixed = optimise(svc, NOW - dt.timedelta(hours=2))  # the procurement bid before gate closure
    newer = optimise(svc, NOW)  # the usual re-plan at the slot start: after gate closure
    slot = pd.Timestamp("2024-06-10 12:00", tz="Asia/Tokyo").to_pydatetime()
    found = follow.fixed_plan_for_slot(svc, slot)
    assert found is not None
    assert found[0].id == fixed.id != newer.id
    svc.telemetry.meter_kw["office"] = 21.0  # 1 kW over the fixed plan's 30 kW
    await poll(svc, NOW + dt.timedelta(seconds=10))
    audit = await dispatch(svc, NOW + dt.timedelta(seconds=10))
    # set-point of the newer plan (its slot 0 -> 0 kW) corrected by +1 kW toward the fixed procurement
    assert svc.telemetry.writes[("centre", "bat1")] == pytest.approx(1.0)
    assert "following +1.0 kW" in audit[0].message
    settled = follow.plan_for_slot(svc, slot)
    assert settled is not None
    assert settled[0].id == fixed.id
