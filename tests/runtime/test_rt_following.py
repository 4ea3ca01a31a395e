# mypy: allow-untyped-defs, allow-incomplete-defs
"""Plan following aims at the slot's ENERGY (what is settled), not at the instantaneous kW: hand-computed cases."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import service_fixtures
from service_fixtures import flat_planner, make_service

from runtime.loop import following as follow
from runtime.loop.dispatch import dispatch
from runtime.loop.optimise import optimise
from runtime.loop.service import WriteOutcome
from runtime.store import readings
from runtime.store.readings import ReadingIn

sqlite_store = service_fixtures.sqlite_store
SLOT = pd.Timestamp("2024-06-10 12:00", tz="Asia/Tokyo").to_pydatetime()  # JEPX data exists for this day
MIN = dt.timedelta(minutes=1)


class Writes:
    """Records the set-points the dispatch sends."""

    def __init__(self) -> None:
        self.writes: dict[tuple[str, str], float] = {}

    async def poll(self, now):
        return []

    async def write(self, facility_id, device_id, kind, value_kw, actor, dry_run):
        self.writes[(facility_id, device_id)] = value_kw
        return WriteOutcome(value_kw, True, "ok")


# Procurement 20 kW plant + 10 kW JEPX = 30 kW (15 kWh per slot); battery planned idle (0 kW).
planner = flat_planner(0.0)


@pytest.fixture
def svc(sqlite_store):
    s = make_service(sqlite_store, "tiny", telemetry=Writes(), planner=planner)
    s.forecaster = lambda scenario, index: {
        f.id: pd.DataFrame({"pv": 0.0, "load": 5.0}, index=index) for f in scenario.supplied
    }
    optimise(s, SLOT - dt.timedelta(hours=2))  # before gate closure: binding for the 12:00 slot
    return s


def _measure(svc, when, office_kw, soc=0.8):
    """Meters centre 10 + office `office_kw` + school 0 kW; battery idle at `soc`."""
    rows = [
        ReadingIn(when, f, "m1", "power_kw", kw) for f, kw in (("centre", 10.0), ("office", office_kw), ("school", 0.0))
    ]
    rows += [ReadingIn(when, "centre", "bat1", "power_kw", 0.0), ReadingIn(when, "centre", "bat1", "soc", soc)]
    readings.write_readings(svc.store, rows)


async def test_slot_start_aims_at_the_planned_kw(svc):
    _measure(svc, SLOT, 22.0)  # 32 kW against 30 planned
    await dispatch(svc, SLOT)
    assert svc.telemetry.writes[("centre", "bat1")] == pytest.approx(2.0)


async def test_correction_makes_up_the_energy_already_over_plan(svc):
    # 32 kW for the first 10 min: 32/6 = 5.333 kWh of the planned 15 kWh; the remaining 9.667 kWh over the
    # 20 min left is a mean of 29 kW, so the battery must cover 32 - 29 = 3 kW (not the 2 kW of 32 - 30)
    _measure(svc, SLOT, 22.0)
    _measure(svc, SLOT + 5 * MIN, 22.0)
    _measure(svc, SLOT + 10 * MIN, 22.0)
    audit = await dispatch(svc, SLOT + 10 * MIN)
    assert svc.telemetry.writes[("centre", "bat1")] == pytest.approx(3.0)
    assert "following +3.0 kW" in audit[0].message


async def test_energy_under_plan_lets_the_battery_charge(svc):
    # 24 kW for 15 min = 6 kWh; 9 kWh left in 15 min -> 36 kW; now 30 kW -> the battery charges 6 kW,
    # limited to its 5 kW charge rating
    _measure(svc, SLOT, 14.0)
    _measure(svc, SLOT + 15 * MIN, 20.0)
    await dispatch(svc, SLOT + 15 * MIN)
    assert svc.telemetry.writes[("centre", "bat1")] == pytest.approx(-5.0)


async def test_reserve_limits_the_discharge_over_the_time_left(svc):
    # same 3 kW need, but SoC 0.52 over a 0.5 reserve: 0.02 x 16.4 kWh = 0.328 kWh for the 1/3 h left
    _measure(svc, SLOT, 22.0, soc=0.52)
    _measure(svc, SLOT + 10 * MIN, 22.0, soc=0.52)
    await dispatch(svc, SLOT + 10 * MIN)
    assert svc.telemetry.writes[("centre", "bat1")] == pytest.approx(0.328 * 3)


def test_metered_energy_holds_each_sample_until_the_next():
    # meter a: 10 kW from the start (read late at +6 min: counted from the start), 40 kW from +12 min;
    # meter b: -6 kW from the start. Now +18 min: a = 10*0.2 + 40*0.1 = 6 kWh, b = -6*0.3 = -1.8 kWh
    series = {"a": [(SLOT + 12 * MIN, 40.0), (SLOT + 6 * MIN, 10.0)], "b": [(SLOT, -6.0)]}
    assert follow.metered_energy_kwh(series, SLOT, SLOT + 18 * MIN) == pytest.approx(4.2)


def test_remaining_target_by_hand():
    assert follow.remaining_target_kw(30.0, 99.0, SLOT, SLOT) == 30.0  # at the start: the plan itself
    assert follow.remaining_target_kw(30.0, 6.0, SLOT, SLOT + 12 * MIN) == pytest.approx(9.0 / 0.3)
    # the last seconds spread the gap over at least a minute (no division by ~0)
    late = SLOT + dt.timedelta(minutes=29, seconds=50)
    assert follow.remaining_target_kw(30.0, 14.0, SLOT, late) == pytest.approx(1.0 / follow.MIN_LEFT_H)
