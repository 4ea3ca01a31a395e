"""Hybrid inverters: PV and battery (and a Huawei/Sigenergy grid sensor) as one device with several capabilities.

tests/devices/data/hybrids.yaml has one hybrid per driver family: SunSpec (Fronius-style 103 + 160 + 124, no
701/713/802), Huawei SUN2000 and a Sigenergy plant. The scenario check accepts the shared endpoints; the simulators
run one server per unit; each capability is read and written through its own driver on the shared connection.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from dev_helpers import ANSWER_TIMEOUT

from devices.capabilities import ListSink, Quality
from devices.inventory import scenario_devices, with_ports
from devices.poller import Poller
from devices.simulators.fleet import start_fleet
from devices.simulators.physics import load_kw
from devices.writes import SetpointWriter
from scenarios.checks import ScenarioError, scenario_problems
from scenarios.device_identity import DeviceKey, DeviceKind
from scenarios.loader import load_scenario_file

HYBRIDS = Path(__file__).parent / "data" / "hybrids.yaml"


def test_scenario_check_accepts_one_device_with_several_capabilities() -> None:
    assert scenario_problems(load_scenario_file(HYBRIDS)) == []


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"group": "pv_arrays", "facility": "huawei", "copy_to": "sigen"}, "only assets of one facility"),
        ({"group": "batteries", "facility": "huawei", "second": True}, "two battery assets cannot be one device"),
        ({"group": "meters", "facility": "sunspec-hybrid", "map": "huawei_sun2000"}, "one device has one map"),
    ],
)
def test_sharing_that_is_no_hybrid_is_still_refused(edit: dict[str, Any], message: str, tmp_path: Path) -> None:
    data = yaml.safe_load(HYBRIDS.read_text(encoding="utf-8"))
    facilities = {f["id"]: f for f in data["facilities"]}
    source = facilities[edit["facility"]]
    if "copy_to" in edit:  # another facility's PV array on the Huawei's unit
        facilities[edit["copy_to"]]["pv_arrays"][0]["modbus"] = dict(source["pv_arrays"][0]["modbus"])
    if edit.get("second"):
        source["batteries"].append({**source["batteries"][0], "id": "bat2"})
    if "map" in edit:  # the SunSpec hybrid's meter on the hybrid's unit, with another map
        source["meters"][0]["modbus"] = {**source["pv_arrays"][0]["modbus"], "register_map": edit["map"]}
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario_file(path)
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 1, problems
    assert "is also used by" in problems[0]
    assert message in problems[0]


class _Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 5, 1, 3, 0, tzinfo=dt.UTC)  # 12:00 JST: the sun is up

    def __call__(self) -> dt.datetime:
        return self.now


async def test_each_hybrid_is_one_unit_read_and_written_per_capability() -> None:
    """At noon the PV produces; a -2 kW (charge) set-point on each battery is followed by its physics and read back;
    the grid meter of each facility equals load - PV - battery (+ = import)."""
    scenario = load_scenario_file(HYBRIDS)
    specs = [s.with_endpoint(timeout_s=ANSWER_TIMEOUT) for s in scenario_devices(scenario)]
    clock = _Clock()
    fleet = await start_fleet(scenario, port_base=0, clock=clock)
    try:
        assert len({id(s) for s in fleet.servers.values()}) == 4  # three hybrids + the SunSpec facility's meter
        assert fleet.port_map[DeviceKey("huawei", "pv1")] == fleet.port_map[DeviceKey("huawei", "m1")]
        poller = Poller(with_ports(specs, fleet.port_map))
        writer = SetpointWriter(poller, ListSink())
        for facility in ("sunspec-hybrid", "huawei", "sigen"):
            entry = await writer.write(DeviceKey(facility, "bat1"), "setpoint_kw", -2.0)
            assert (entry.result, entry.applied) == ("ok", -2.0), (facility, entry.detail)
        clock.now += dt.timedelta(seconds=1)
        readings = {(r.key.facility_id, r.kind): r for r in await poller.cycle(full=True)}
        poller.close()
    finally:
        await fleet.stop()
    assert all(r.quality is Quality.GOOD for r in readings.values()), [r.error for r in readings.values()]
    for facility in ("sunspec-hybrid", "huawei", "sigen"):
        sim = fleet.facilities[facility]
        pv, battery = readings[(facility, DeviceKind.PV)].values, readings[(facility, DeviceKind.BATTERY)].values
        meter = readings[(facility, DeviceKind.METER)].values
        pv_kw, battery_kw = pv["power_kw"], battery["power_kw"]
        assert pv_kw is not None
        assert battery_kw is not None
        assert pv["power_kw"] == pytest.approx(sim.pv[0].power_kw(clock.now), abs=0.01), facility
        assert pv_kw > 1.0, facility
        assert battery["power_kw"] == pytest.approx(-2.0, abs=0.01), facility
        assert battery["setpoint_kw"] == pytest.approx(-2.0, abs=0.01), facility
        assert battery["soc"] == pytest.approx(sim.batteries[0].soc, abs=0.01), facility
        expected = load_kw(sim.facility, clock.now) - pv_kw - battery_kw
        assert meter["power_kw"] == pytest.approx(expected, abs=0.05), facility


async def test_the_sunspec_hybrids_124_setpoint_reverts_without_refresh() -> None:
    """The 124 set-point carries InOutWRte_RvrtTms = the endpoint's watchdog (60 s): after 61 s without a re-send the
    simulated hybrid drops it (StorCtl_Mod 0) and the battery idles."""
    scenario = load_scenario_file(HYBRIDS)
    specs = [
        s.with_endpoint(timeout_s=ANSWER_TIMEOUT)
        for s in scenario_devices(scenario)
        if s.key.facility_id == "sunspec-hybrid"
    ]
    clock = _Clock()
    fleet = await start_fleet(scenario, port_base=0, clock=clock)
    try:
        poller = Poller(with_ports(specs, fleet.port_map))
        key = DeviceKey("sunspec-hybrid", "bat1")
        assert (await SetpointWriter(poller, ListSink()).write(key, "setpoint_kw", 3.0)).result == "ok"
        clock.now += dt.timedelta(seconds=61)
        reading = next(r for r in await poller.cycle(full=True) if r.key == key)
        poller.close()
    finally:
        await fleet.stop()
    assert reading.values["setpoint_kw"] is None
    assert reading.values["power_kw"] == pytest.approx(0.0)
