"""ECHONET Lite end to end: pychonet (through the drivers) against the simulated nodes over UDP 3610 on loopback.

Battery and meter share one node (a HEMS controller's objects), the PV and the V2H unit have their own. The
simulated nodes speak their own frame codec, so what is tested is pychonet's wire format against ours.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from echonet_helpers import CONFIG, free_hosts, tiny_echonet

from devices.capabilities import FIELDS, ListSink, Quality, Reading
from devices.inventory import DriverFamily, scenario_devices
from devices.poller import Poller, PollerConfig
from devices.simulators.echonet_fleet import EchonetFleet, echonet_devices, start_echonet_fleet
from devices.simulators.echonet_node import EchonetFault
from devices.writes import SetpointWriter
from scenarios.device_identity import DeviceKey

NOON = dt.datetime(2035, 6, 1, 3, 0, tzinfo=dt.UTC)  # 12:00 JST: the sun is up
EVENING = dt.datetime(2035, 6, 4, 10, 0, tzinfo=dt.UTC)  # 19:00 JST Monday: the office's car is plugged in
BAT, METER = DeviceKey("centre", "bat1"), DeviceKey("centre", "m1")
PV, V2H = DeviceKey("centre", "pv1"), DeviceKey("office", "v2h1")


class Rig:
    """The simulated nodes, a poller of the ECHONET devices only, and the guarded writer."""

    def __init__(self, fleet: EchonetFleet, poller: Poller, sink: ListSink) -> None:
        self.fleet, self.poller, self.sink = fleet, poller, sink
        self.writer = SetpointWriter(poller, sink)

    async def read(self, full: bool = True) -> dict[DeviceKey, Reading]:
        return {r.key: r for r in await self.poller.cycle(full)}


async def rig_at(when: dt.datetime, config: PollerConfig = CONFIG) -> Rig:
    scenario = tiny_echonet(free_hosts(3))
    fleet = await start_echonet_fleet(scenario, clock=lambda: when)
    sink = ListSink()
    return Rig(fleet, Poller(echonet_devices(scenario), sink, config), sink)


@pytest.fixture
async def noon() -> AsyncIterator[Rig]:
    rig = await rig_at(NOON)
    yield rig
    rig.poller.close()
    rig.fleet.stop()


@pytest.fixture
async def evening() -> AsyncIterator[Rig]:
    rig = await rig_at(EVENING)
    yield rig
    rig.poller.close()
    rig.fleet.stop()


def test_the_scenario_names_the_protocol_of_each_device() -> None:
    specs = {s.key: s for s in scenario_devices(tiny_echonet(free_hosts(3)))}
    assert specs[BAT].family is DriverFamily.ECHONET_LITE
    assert specs[PV].family is DriverFamily.ECHONET_LITE
    assert specs[DeviceKey("school", "pv1")].family is DriverFamily.SUNSPEC


async def test_full_poll_fills_every_field_in_our_units_and_signs(noon: Rig) -> None:
    readings = await noon.read()
    for key in (BAT, METER, PV, V2H):
        r = readings[key]
        assert r.quality is Quality.GOOD, (key, r.error)
        assert set(r.values) == set(FIELDS[r.kind]), key
    bat, meter, pv = readings[BAT].values, readings[METER].values, readings[PV].values
    assert bat["soc"] == 0.5  # tiny's initial_soc, as 0xE4 = 50 %
    assert bat["charge_limit_kw"] == 5.0
    assert bat["discharge_limit_kw"] == 5.0  # 0xC8/0xC9 in W
    assert bat["power_kw"] == 0.0
    assert bat["setpoint_kw"] is None  # auto mode: no EMS set-point
    assert pv["rated_kw"] == 12.0
    assert pv["limit_pct"] == 100.0
    assert (pv["power_kw"] or 0) > 0
    sim = noon.fleet.facilities["centre"]
    assert meter["power_kw"] == pytest.approx(sim.meter_kw(NOON), abs=1e-3)
    assert meter["import_kwh"] == 0.0
    assert meter["export_kwh"] == 0.0
    v2h = readings[V2H].values
    assert v2h["max_charge_kw"] == 6.0
    assert v2h["max_discharge_kw"] == 6.0
    assert v2h["bidirectional"] == 1.0


async def test_battery_setpoint_goes_through_the_guarded_path_with_echonet_signs(noon: Rig) -> None:
    entry = await noon.writer.write(BAT, "setpoint_kw", 3.0)
    assert (entry.result, entry.applied) == ("ok", 3.0)
    obj = noon.fleet.nodes[noon.poller.states[BAT].spec.endpoint.host].objects[(0x02, 0x7D, 1)]  # type: ignore[union-attr]
    assert obj.get(0xDA) == b"\x43"
    assert obj.get(0xEC) == (3000).to_bytes(4, "big")  # discharging at 3000 W
    readings = await noon.read(full=False)
    assert readings[BAT].values["power_kw"] == 3.0  # 0xD3 = -3000 W (ECHONET: + = charging)
    assert readings[BAT].values["setpoint_kw"] == 3.0
    entry = await noon.writer.write(BAT, "setpoint_kw", -9.0)  # clamped to the 5 kW charge limit
    assert (entry.result, entry.applied, entry.detail) == ("ok", -5.0, "clamped from -9")
    assert obj.get(0xDA) == b"\x42"
    assert obj.get(0xEB) == (5000).to_bytes(4, "big")
    assert (await noon.read(full=False))[BAT].values["power_kw"] == -5.0
    entry = await noon.writer.write(BAT, "setpoint_kw", 0.0)
    assert (entry.result, obj.get(0xDA)) == ("ok", b"\x44")  # standby


async def test_dry_run_allow_list_and_read_only_meter(noon: Rig) -> None:
    noon.writer.dry_run = True
    entry = await noon.writer.write(BAT, "setpoint_kw", 2.0)
    assert entry.result == "dry-run"
    noon.writer.dry_run = False
    assert (await noon.read(full=False))[BAT].values["setpoint_kw"] is None  # nothing was sent
    assert (await noon.writer.write(METER, "setpoint_kw", 1.0)).result == "refused"
    assert (await noon.writer.write(BAT, "limit_pct", 50.0)).result == "refused"
    assert [e.result for e in noon.sink.audit] == ["dry-run", "refused", "refused"]


async def test_pv_curtailment_and_v2h_discharge(evening: Rig) -> None:
    entry = await evening.writer.write(PV, "limit_pct", 40.0)
    assert (entry.result, entry.applied) == ("ok", 40.0)
    assert evening.fleet.facilities["centre"].pv[0].limit_pct == 40.0
    entry = await evening.writer.write(V2H, "setpoint_kw", -4.0)  # V2H: discharge the car into the site
    assert (entry.result, entry.applied) == ("ok", -4.0)
    v2h = (await evening.read(full=False))[V2H].values
    assert v2h["connected"] == 1.0
    assert v2h["vehicle_soc"] == 0.5
    assert v2h["power_kw"] == -4.0
    assert v2h["setpoint_kw"] == -4.0


BACKOFF_S = 3.0
"""The silent-node test's back-off (s): long enough that the read right after the time-outs surely falls inside it
on a loaded machine (CONFIG's 0.05 s did not), short enough to wait out."""


@pytest.fixture
async def noon_slow_backoff() -> AsyncIterator[Rig]:
    rig = await rig_at(NOON, dataclasses.replace(CONFIG, backoff_base_s=BACKOFF_S, backoff_max_s=BACKOFF_S))
    yield rig
    rig.poller.close()
    rig.fleet.stop()


async def test_a_silent_node_goes_stale_then_backs_off_and_recovers(noon_slow_backoff: Rig) -> None:
    noon = noon_slow_backoff
    await noon.read()
    noon.fleet.set_fault(BAT, EchonetFault(no_answer=True))  # the battery and the meter share that node
    readings = await noon.read(full=False)
    assert readings[BAT].quality is Quality.STALE
    assert "no answer" in (readings[BAT].error or "")
    assert readings[METER].quality is Quality.STALE
    assert readings[PV].quality is Quality.GOOD
    assert readings[V2H].quality is Quality.GOOD
    again = await noon.read(full=False)  # backing off: fails at once, without a request
    assert "backing off" in (again[BAT].error or "")
    write = await noon.writer.write(BAT, "setpoint_kw", 1.0)
    assert write.result == "failed"
    noon.fleet.set_fault(BAT, EchonetFault())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BACKOFF_S + 30.0  # the back-off, then a generous bound for the node to answer again
    while True:
        recovered = (await noon.read(full=False))[BAT]
        if recovered.quality is Quality.GOOD or loop.time() > deadline:
            break
        await asyncio.sleep(0.1)
    assert recovered.quality is Quality.GOOD, recovered.error


async def test_sna_replies_are_errors_naming_the_property(noon: Rig) -> None:
    await noon.read()
    noon.fleet.set_fault(BAT, EchonetFault(refuse=frozenset({0xE4})))
    r = (await noon.read(full=False))[BAT]
    assert r.quality is Quality.STALE
    assert "0xE4" in (r.error or "")
    assert "Get_SNA" in (r.error or "")
    noon.fleet.set_fault(BAT, EchonetFault(refuse=frozenset({0xEC})))
    entry = await noon.writer.write(BAT, "setpoint_kw", 2.0)
    assert entry.result == "failed"
    assert "0xEC" in entry.detail
    assert "SetC_SNA" in entry.detail


async def test_stale_values_from_the_device_are_served_as_read(noon: Rig) -> None:
    """A node that answers with frozen values (a hung meter board) is still 'good' to the poller: what the device
    says is what is stored; the write path's read-back catches that it no longer follows."""
    noon.fleet.set_fault(BAT, EchonetFault(stale=True))
    entry = await noon.writer.write(BAT, "setpoint_kw", 2.0)
    assert entry.result == "mismatch"
    assert "read back None" in entry.detail


def test_scenario_check_locates_protocol_mistakes() -> None:
    from scenarios.checks import ScenarioError
    from scenarios.loader import builtin_data, parse_scenario

    hosts = free_hosts(1)
    data = builtin_data("tiny")
    centre = data["facilities"][0]
    del centre["batteries"][0]["modbus"]
    centre["batteries"][0]["echonet"] = {"host": hosts[0]}
    centre["batteries"].append({**centre["batteries"][0], "id": "bat2"})  # the same object twice
    del centre["meters"][0]["modbus"]
    centre["meters"][0] |= {"role": "pv", "echonet": {"host": hosts[0]}}
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    problems = caught.value.problems
    assert [p.path for p in problems] == ["facilities[0].batteries[1].echonet", "facilities[0].meters[0].echonet"]
    assert "instance 1 is also used by facilities[0].batteries[0].echonet" in problems[0].message
    assert "role is 'pv'" in problems[1].message


def test_two_protocols_on_one_device_are_refused_naming_both() -> None:
    from scenarios.checks import ScenarioError
    from scenarios.loader import builtin_data, parse_scenario

    data = builtin_data("tiny")
    data["facilities"][0]["batteries"][0]["echonet"] = {"host": "127.0.0.9"}
    with pytest.raises(ScenarioError, match="not modbus and echonet"):
        parse_scenario(data)
