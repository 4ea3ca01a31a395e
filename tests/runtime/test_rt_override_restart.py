# mypy: allow-untyped-defs, allow-incomplete-defs
"""An operator override holds from its first dispatch to the end of that slot, also across service restarts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import service_fixtures
from service_fixtures import flat_planner, make_service

from runtime.loop.dispatch import dispatch
from runtime.loop.optimise import optimise
from runtime.loop.poll import poll
from runtime.loop.service import Sample, WriteOutcome
from runtime.store import journal
from scenarios.device_identity import DeviceKind

sqlite_store = service_fixtures.sqlite_store
NOW = pd.Timestamp("2024-06-10 12:10", tz="Asia/Tokyo").to_pydatetime()  # slot 12:00-12:30 JST


class Devices:
    """The tiny scenario's battery and meters; set-points written are recorded (shared across restarts)."""

    def __init__(self) -> None:
        self.writes: dict[tuple[str, str], float] = {}

    async def poll(self, now):
        return [
            Sample("centre", "bat1", DeviceKind.BATTERY, {"soc": 0.8, "power_kw": 0.0}, "good", now),
            *[
                Sample(f, "m1", DeviceKind.METER, {"power_kw": 10.0}, "good", now)
                for f in ("centre", "office", "school")
            ],
        ]

    async def write(self, facility_id, device_id, kind, value_kw, actor, dry_run):
        self.writes[(facility_id, device_id)] = value_kw
        return WriteOutcome(value_kw, True, "ok")


# Battery set-point 1 kW in every slot; procurement made inside the slot, so no plan following.
planner = flat_planner(1.0)


def _service(store, devices):
    """A freshly started service on the same database and devices (nothing kept in memory)."""
    svc = make_service(store, "tiny", telemetry=devices, planner=planner)
    svc.forecaster = lambda scenario, index: {
        f.id: pd.DataFrame({"pv": 0.0, "load": 5.0}, index=index) for f in scenario.supplied
    }
    return svc


async def test_override_survives_a_restart_within_its_slot_and_ends_with_it(sqlite_store):
    devices = Devices()
    svc = _service(sqlite_store, devices)
    await poll(svc, NOW)
    optimise(svc, NOW)
    ov = journal.add_override(svc.store, "centre", "bat1", "setpoint_kw", -2.5, "op", "approved")
    await dispatch(svc, NOW)
    assert devices.writes[("centre", "bat1")] == pytest.approx(-2.5)
    assert journal.list_overrides(sqlite_store)[0].first_sent_at == NOW
    # restart within the slot: the override is still held (not dropped)
    svc = _service(sqlite_store, devices)
    await dispatch(svc, NOW + dt.timedelta(minutes=15))
    assert devices.writes[("centre", "bat1")] == pytest.approx(-2.5)
    # restart, first dispatch in the next slot: the plan again, the override retired (not held one more slot)
    svc = _service(sqlite_store, devices)
    await dispatch(svc, NOW + dt.timedelta(minutes=25))
    assert devices.writes[("centre", "bat1")] == pytest.approx(1.0)
    assert [(o.id, o.status) for o in journal.list_overrides(sqlite_store)] == [(ov.id, "applied")]


async def test_first_sent_time_is_kept_once_recorded(sqlite_store):
    ov = journal.add_override(sqlite_store, "centre", "bat1", "setpoint_kw", 1.0, "op", "approved")
    assert journal.mark_override_sent(sqlite_store, ov.id, NOW) == NOW
    assert journal.mark_override_sent(sqlite_store, ov.id, NOW + dt.timedelta(hours=1)) == NOW
    assert journal.mark_override_sent(sqlite_store, ov.id + 99, NOW) is None
    with pytest.raises(ValueError, match="tz-aware"):
        journal.mark_override_sent(sqlite_store, ov.id, dt.datetime(2024, 6, 10, 12))  # noqa: DTZ001 - the naive time is the input under test
