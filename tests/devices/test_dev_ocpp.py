"""OCPP 1.6J end to end: the central system (ocpp + websockets) and a charge point built on the ocpp package's
ChargePoint on the other side of the wire, on loopback; the charger is polled and written exactly like a Modbus
one (registry kind ev_charger, family ocpp16, the same guarded write path)."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from ocpp.v16.enums import ChargePointStatus

from devices.capabilities import FIELDS, ListSink, Quality
from devices.inventory import DriverFamily, scenario_devices
from devices.ocpp_central import CentralSystem, wait_booted
from devices.poller import Poller
from devices.simulators.ocpp_charge_point import RunningChargePoint, start_charge_point
from devices.simulators.physics import EVSim, facility_sim
from devices.writes import SetpointWriter
from scenarios.assets import OcppEndpoint
from scenarios.device_identity import DeviceKey
from scenarios.loader import builtin_data, parse_scenario
from scenarios.model import Scenario

EVENING = dt.datetime(2035, 6, 4, 10, 0, tzinfo=dt.UTC)  # 19:00 JST Monday: the office's car is plugged in
NOON = dt.datetime(2035, 6, 4, 3, 0, tzinfo=dt.UTC)  # 12:00 JST Monday: the car is away
CHARGER = DeviceKey("office", "v2h1")


def tiny_ocpp(**endpoint: object) -> Scenario:
    """``tiny`` with the office's charger as a one-way OCPP 1.6J charge point 'CP-OFFICE-1'."""
    data = copy.deepcopy(builtin_data("tiny"))
    charger = data["facilities"][1]["ev_chargers"][0]
    del charger["modbus"]
    charger |= {"bidirectional": False, "discharge_kw": 0, "min_power_kw": 1.4}
    charger["ocpp"] = {"charge_point_id": "CP-OFFICE-1", "timeout_s": 2, **endpoint}
    data["evs"][0]["v2h_kw"] = 0
    return parse_scenario(data, "tiny-ocpp")


@dataclass
class Rig:
    central: CentralSystem
    cp: RunningChargePoint
    sim: EVSim
    poller: Poller
    sink: ListSink

    @property
    def writer(self) -> SetpointWriter:
        return SetpointWriter(self.poller, self.sink)


async def rig(when: dt.datetime, **endpoint: object) -> Rig:
    scenario = tiny_ocpp(**endpoint)
    central = CentralSystem(timeout_s=2)
    await central.start()
    office = scenario.facilities[1]
    sim = facility_sim(office, scenario.evs_at(office.id)).chargers[0]
    spec = next(s for s in scenario_devices(scenario) if s.key == CHARGER)
    assert isinstance(spec.endpoint, OcppEndpoint)
    cp = await start_charge_point(central.url, spec.endpoint, sim, clock=lambda: when)
    await wait_booted(central, "CP-OFFICE-1")
    sink = ListSink()
    return Rig(central, cp, sim, Poller([spec], sink, central=central), sink)


@pytest.fixture
async def evening() -> AsyncIterator[Rig]:
    r = await rig(EVENING)
    yield r
    await r.cp.stop()
    await r.central.stop()


def test_the_charger_speaks_ocpp16() -> None:
    spec = next(s for s in scenario_devices(tiny_ocpp()) if s.key == CHARGER)
    assert spec.family is DriverFamily.OCPP16


async def test_boot_status_and_meter_values_reach_the_poller(evening: Rig) -> None:
    session = evening.central.sessions["CP-OFFICE-1"]
    assert session.booted == {"vendor": "YGE", "model": "YGE-Sim AC"}
    [reading] = await evening.poller.cycle(full=True)
    assert reading.quality is Quality.GOOD, reading.error
    assert set(reading.values) == set(FIELDS[reading.kind])
    values = reading.values
    assert values["connected"] == 1.0  # Charging since the transaction started at boot
    assert values["power_kw"] == 6.0  # uncontrolled: the charger's full 6 kW
    assert values["vehicle_soc"] == 0.5
    assert values["setpoint_kw"] is None
    assert values["bidirectional"] == 0.0


async def test_setpoint_is_a_charging_profile_in_watts(evening: Rig) -> None:
    entry = await evening.writer.write(CHARGER, "setpoint_kw", 3.7)
    assert (entry.result, entry.applied) == ("ok", 3.7)
    [profile] = evening.cp.cp.profiles
    assert profile["charging_profile_purpose"] == "TxDefaultProfile"
    schedule = profile["charging_schedule"]
    assert schedule["charging_rate_unit"] == "W"
    assert schedule["charging_schedule_period"][0]["limit"] == 3700.0
    await evening.cp.cp.report()
    [reading] = await evening.poller.cycle(full=False)
    assert reading.values["power_kw"] == 3.7
    assert reading.values["setpoint_kw"] == 3.7
    entry = await evening.writer.write(CHARGER, "setpoint_kw", -2.0)  # one-way: clamped to 0
    assert (entry.result, entry.applied) == ("ok", 0.0)


async def test_amp_limits_and_tx_profile() -> None:
    r = await rig(EVENING, limit_unit="A", profile="TxProfile", voltage_v=200, phases=1)
    try:
        entry = await r.writer.write(CHARGER, "setpoint_kw", 4.0)
        assert entry.result == "ok", entry.detail
        [profile] = r.cp.cp.profiles
        assert profile["charging_schedule"]["charging_schedule_period"][0]["limit"] == 20.0  # 4000 W / 200 V
        assert profile["charging_profile_purpose"] == "TxProfile"
        assert profile["transaction_id"] == r.cp.cp.transaction_id
        assert r.sim.setpoint_kw == 4.0
    finally:
        await r.cp.stop()
        await r.central.stop()


async def test_refused_profile_and_lost_charge_point_fail_the_write(evening: Rig) -> None:
    evening.cp.cp.refuse = True
    entry = await evening.writer.write(CHARGER, "setpoint_kw", 2.0)
    assert entry.result == "failed"
    assert "SetChargingProfile Rejected" in entry.detail
    await evening.poller.cycle(full=True)
    await evening.cp.stop()
    await asyncio.sleep(0.05)
    entry = await evening.writer.write(CHARGER, "setpoint_kw", 2.0)
    assert entry.result == "failed"
    assert "not connected" in entry.detail
    [reading] = await evening.poller.cycle(full=False)
    assert reading.quality is Quality.STALE
    assert "not connected" in (reading.error or "")


async def test_remote_start_when_a_car_waits_without_transaction() -> None:
    r = await rig(NOON)  # no car: no transaction at boot
    try:
        r.cp.cp.clock = lambda: EVENING  # the car arrives
        await r.cp.cp.status(ChargePointStatus.preparing)
        entry = await r.writer.write(CHARGER, "setpoint_kw", 5.0)
        assert entry.result == "ok", entry.detail
        await asyncio.sleep(0.1)  # the charge point starts the transaction after accepting
        assert r.central.sessions["CP-OFFICE-1"].connector(1).transaction_id == r.cp.cp.transaction_id
        assert r.cp.cp.transaction_id is not None
    finally:
        await r.cp.stop()
        await r.central.stop()


def test_without_a_central_system_the_charger_is_skipped_naming_why() -> None:
    spec = next(s for s in scenario_devices(tiny_ocpp()) if s.key == CHARGER)
    poller = Poller([spec])
    assert "no OCPP central system runs" in poller.skipped[CHARGER].reason


def test_a_bidirectional_ocpp_charger_is_a_located_problem() -> None:
    from scenarios.checks import ScenarioError

    data = copy.deepcopy(builtin_data("tiny"))
    charger = data["facilities"][1]["ev_chargers"][0]  # bidirectional in tiny
    del charger["modbus"]
    charger["ocpp"] = {"charge_point_id": "CP-1"}
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    [problem] = caught.value.problems
    assert problem.path == "facilities[1].ev_chargers[0].ocpp"
    assert "cannot discharge" in problem.message
