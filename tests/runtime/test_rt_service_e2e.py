# mypy: allow-untyped-defs, allow-incomplete-defs
"""End to end in one process: device simulators + loop steps (called directly) + the API; then a restart."""

from __future__ import annotations

import datetime as dt

import service_fixtures
from fastapi.testclient import TestClient
from service_fixtures import add_users, login, make_service, with_generous_timeouts

from api.app import create_app
from runtime.facades.telemetry import DeviceTelemetry, running_simulators
from runtime.loop.dispatch import dispatch
from runtime.loop.forecast import forecast
from runtime.loop.optimise import optimise
from runtime.loop.poll import poll
from runtime.loop.scheduler import LoopScheduler
from runtime.store import journal, plans, readings
from runtime.store.db import open_store
from scenarios.device_identity import DeviceKey
from scenarios.loader import builtin_data, parse_scenario

sqlite_store = service_fixtures.sqlite_store


def wset_kw(fleet, device_id: str) -> float:
    """The battery's active power set-point register (SunSpec 704 WSet, W) in kW."""
    return float(fleet.devices[DeviceKey.parse(device_id)].handler.image.get(704, "WSet")) / 1000


async def test_simulators_loop_api_and_restart(tmp_path):  # noqa: PLR0915 - one end-to-end story
    url = f"sqlite:///{tmp_path / 'ems.db'}"
    store = open_store(url)
    scenario = parse_scenario(with_generous_timeouts(builtin_data("tiny")), "tiny")  # answering simulators
    async with running_simulators(scenario, port_base=0) as fleet:
        telemetry = DeviceTelemetry(scenario, fleet.port_map)
        svc = make_service(store, "tiny", telemetry=telemetry)
        add_users(store)
        now = svc.clock()  # the fixed test clock
        for i in range(3):  # bounded number of iterations, the clock advanced by hand
            assert await poll(svc, now + dt.timedelta(seconds=10 * i)) > 0
        assert readings.count_readings(store) > 0
        assert forecast(svc, now) > 0
        plan = optimise(svc, now)
        assert plan.kind == "optimal", journal.list_events(store)[0].message
        audit = await dispatch(svc, now)
        sent = {(a.facility_id, a.device_id): a for a in audit}
        assert sent[("centre", "bat1")].ok, sent[("centre", "bat1")].message
        assert wset_kw(fleet, "centre/bat1") == sent[("centre", "bat1")].applied

        with TestClient(create_app(svc)) as client:
            op = login(client, "op")
            status = client.get("/api/v1/facilities/centre/status", headers=op).json()
            assert status["battery_soc"] is not None
            assert status["quality"] == "good"
            assert status["pv_kw"] is not None
            assert client.get("/api/v1/plans/latest", headers=op).json()["id"] == plan.id
            # an operator override reaches the device at the next dispatch
            r = client.post(
                "/api/v1/overrides", json={"facility_id": "centre", "device_id": "bat1", "value_kw": -3.0}, headers=op
            )
            assert r.status_code == 201
            await dispatch(svc, now + dt.timedelta(seconds=30))
            assert wset_kw(fleet, "centre/bat1") == -3.0
            rows = client.get("/api/v1/audit?facility_id=centre", headers=op).json()
            assert rows[0]["source"] == "override"
            assert rows[0]["applied"] == -3.0
        telemetry.close()
    counts = (readings.count_readings(store), len(plans.list_plans(store)), len(journal.list_audit(store)))
    store.dispose()

    again = open_store(url)  # restart: nothing lost, schedule resumes from recorded job runs
    assert (readings.count_readings(again), len(plans.list_plans(again)), len(journal.list_audit(again))) == counts
    svc2 = make_service(again, "tiny")
    scheduler = LoopScheduler(svc2)
    wall = svc2.clock()
    for job in ("poll", "forecast", "optimise"):
        journal.mark_job(again, job, wall, True)  # just ran: they wait their interval
    journal.mark_job(again, "dispatch", wall - dt.timedelta(minutes=10), True)  # overdue: runs at once
    scheduler.start()
    try:
        jobs = {j.id: j for j in scheduler.scheduler.get_jobs()}
        assert set(jobs) >= {"poll", "forecast", "optimise", "dispatch", "dispatch_slot", "settle", "retention"}
        assert all(
            j.coalesce and j.max_instances == 1 and j.misfire_grace_time == 30
            for name, j in jobs.items()
            if name != "resume"
        )
        assert scheduler.overdue() == ["dispatch"]
        assert scheduler.resend_s() == 30.0  # tiny's shortest watchdog is 60 s: re-sent at half of it
        assert "resume" in jobs
        assert jobs["resume"].name == "resume dispatch"
    finally:
        scheduler.shutdown()
        again.dispose()
