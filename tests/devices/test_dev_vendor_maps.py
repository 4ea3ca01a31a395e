"""Vendor maps (docs/device-maps.md): hand-computed decodes of the shipped real-device maps, input registers, the
read planner learning refused gaps, validation errors naming file and field, user folders."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from dev_helpers import ANSWER_TIMEOUT, serve
from typer.testing import CliRunner

from api.cli import app
from devices.capabilities import ListSink
from devices.catalog import builtin_registry
from devices.inventory import DeviceSpec, scenario_devices, with_ports
from devices.maplibrary import MapError, MapLibrary, load_map, packaged_maps
from devices.poller import Poller
from devices.simulators.fleet import build_fleet, start_fleet
from devices.simulators.server import SimulatedDevice
from devices.writes import SetpointWriter
from scenarios.device_identity import DeviceKey, DeviceKind
from scenarios.loader import load_scenario_file

HYBRIDS = Path(__file__).parent / "data" / "hybrids.yaml"


def _unit(facility: str) -> tuple[list[DeviceSpec], SimulatedDevice]:
    scenario = load_scenario_file(HYBRIDS)
    specs = [
        s.with_endpoint(timeout_s=ANSWER_TIMEOUT) for s in scenario_devices(scenario) if s.key.facility_id == facility
    ]
    return specs, build_fleet(scenario).devices[specs[0].key]


def _raw(dev: SimulatedDevice, address: int, words: list[int], table: str = "holding") -> None:
    """Put raw register words into the device's image and keep the physics from overwriting them."""
    dev.image.set_words(address, words, table)  # type: ignore[call-arg]


async def _poll(specs: list[DeviceSpec], dev: SimulatedDevice) -> dict[DeviceKind, dict[str, Any]]:
    dev.handler = None  # serve the raw image as set by the test
    async with serve(dev) as server:
        poller = Poller(with_ports(specs, {s.key: server.port for s in specs}))
        readings = await poller.cycle(full=True)
        poller.close()
    return {r.kind: {**r.values, "_quality": r.quality.value, "_error": r.error} for r in readings}


async def test_huawei_registers_decode_with_huaweis_signs_and_invalid_values() -> None:
    """37765 = 0xFFFFF830 = -2000 W (Huawei: < 0 discharging) → battery +2.0 kW; 37760 = 523 × 0.1 % → 0.523;
    37113 = 1500 W (Huawei: > 0 feed-in) → meter -1.5 kW (export); 32064 = 0x7FFFFFFF, Huawei's "invalid" for
    int32 (not SunSpec's 0x80000000) → PV power None → quality missing; 32106 = 123456 × 0.01 kWh = 1234.56."""
    specs, dev = _unit("huawei")
    _raw(dev, 37765, [0xFFFF, 0xF830])
    _raw(dev, 37760, [523])
    _raw(dev, 37113, [0, 1500])
    _raw(dev, 32064, [0x7FFF, 0xFFFF])
    _raw(dev, 32106, [1, 57920])  # 1 × 65536 + 57920 = 123456
    values = await _poll(specs, dev)
    assert values[DeviceKind.BATTERY]["power_kw"] == pytest.approx(2.0)
    assert values[DeviceKind.BATTERY]["soc"] == pytest.approx(0.523)
    assert values[DeviceKind.METER]["power_kw"] == pytest.approx(-1.5)
    assert values[DeviceKind.METER]["export_kw"] == pytest.approx(1.5)
    assert values[DeviceKind.PV]["power_kw"] is None
    assert values[DeviceKind.PV]["_quality"] == "missing"
    assert values[DeviceKind.PV]["energy_kwh"] == pytest.approx(1234.56)


async def test_sigenergy_running_information_is_read_from_input_registers() -> None:
    """30037 (input) = 1500 (kW × 1000; Sigenergy: > 0 charging) → battery -1.5 kW; 30014 = 800 × 0.1 % → 0.8;
    30005 = -2500 → grid -2.5 kW (export). The holding registers at the same addresses hold other values, so a
    driver reading function 3 would see 2.0 kW, 0.1 and +7 kW instead."""
    specs, dev = _unit("sigen")
    for address, words in ((30037, [0, 1500]), (30014, [800]), (30005, [0xFFFF, 0xF63C])):
        _raw(dev, address, words, "input")
    for address, words in ((30037, [0xFFFF, 0xF830]), (30014, [100]), (30005, [0, 7000])):
        _raw(dev, address, words, "holding")
    values = await _poll(specs, dev)
    assert values[DeviceKind.BATTERY]["power_kw"] == pytest.approx(-1.5)
    assert values[DeviceKind.BATTERY]["soc"] == pytest.approx(0.8)
    assert values[DeviceKind.METER]["power_kw"] == pytest.approx(-2.5)


async def test_reads_across_gaps_the_device_refuses_are_split_once_and_remembered() -> None:
    """A Huawei that refuses reads touching unmapped registers (exception 2): the first cycle splits the merged
    blocks at their gaps and retries; the next cycles send only the learned reads, no refused ones."""
    specs, dev = _unit("huawei")
    dev.rejects_gaps = True
    dev.reindex()
    async with serve(dev) as server:
        poller = Poller(with_ports(specs, {s.key: server.port for s in specs}))
        first = await poller.cycle(full=True)
        sent_first = dev.requests
        second = await poller.cycle(full=True)
        sent_second = dev.requests - sent_first
        third = await poller.cycle(full=True)
        sent_third = dev.requests - sent_first - sent_second
        readers = [poller.states[s.key].driver._readers[True] for s in specs]  # type: ignore[attr-defined]
        poller.close()
    assert all(r.quality.value == "good" for r in first + second + third), [r.error for r in first]
    assert sum(r.splits for r in readers) >= 1
    assert all(r.unsupported == set() for r in readers)
    assert sent_second == sent_third < sent_first  # the refused reads are not sent again


def _write_map(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD_MAP = """
name: my_meter
source: test vendor manual, section 3
points:
  - {name: p, address: 10, type: float32, units: kW, table: input, word_order: little}
capabilities:
  meter:
    read: {power_kw: p}
"""


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"points": [{"name": "p", "address": 10, "type": "float23"}]}, "points[0].type: 'float23' unknown"),
        ({"source": ""}, "source: name the public register documentation"),
        ({"capabilities": {"meter": {"read": {"power_kw": "q"}}}}, "capabilities.meter.read.power_kw: point 'q'"),
        ({"capabilities": {"meter": {"read": {"soc": "p"}}}}, "capabilities.meter.read.soc: not a meter field"),
        ({"capabilities": {"batery": {"read": {}}}}, "capabilities.batery: unknown device kind"),
        (
            {"points": [{"name": "p", "address": 10, "type": "int16", "units": "A"}]},
            "capabilities.meter.read.power_kw: point 'p' has units 'A'; power_kw needs one of ['W', 'kW']",
        ),
        (
            {"capabilities": {"meter": {"read": {"power_kw": "p"}, "setpoint": {"point": "p"}}}},
            "capabilities.meter.setpoint.point: point 'p' is written here but has access R",
        ),
        ({"points": [{"name": "p", "address": 10, "type": "int16", "sign": 2}]}, "points[0].sign: 2 must be 1 or -1"),
        ({"extra": 1}, "extra: unknown key"),
    ],
)
def test_malformed_maps_are_errors_naming_the_file_and_the_field(
    edit: dict[str, Any], message: str, tmp_path: Path
) -> None:
    data = yaml.safe_load(GOOD_MAP) | edit
    path = _write_map(tmp_path, "my_meter", yaml.safe_dump(data))
    with pytest.raises(MapError) as caught:
        load_map(path)
    assert str(caught.value).startswith("my_meter.yaml: ")
    assert message in str(caught.value)


def test_a_user_folder_adds_maps_and_shadows_packaged_ones(tmp_path: Path) -> None:
    _write_map(tmp_path, "my_meter", GOOD_MAP)
    _write_map(tmp_path, "sigenergy", GOOD_MAP.replace("name: my_meter", "name: sigenergy"))
    library = MapLibrary([tmp_path])
    assert {"my_meter", "sigenergy", "huawei_sun2000"} <= set(library.names())
    point = library.get("my_meter").point("p")
    assert (point.table, point.word_order, point.type) == ("input", "little", "float32")
    assert library.get("sigenergy").kinds == [DeviceKind.METER]  # the user's file, not the packaged one
    assert packaged_maps().get("sigenergy").kinds == [DeviceKind.PV, DeviceKind.BATTERY, DeviceKind.METER]


def test_every_packaged_map_loads_and_names_its_source() -> None:
    library = packaged_maps()
    assert library.problems() == []
    for name in library.names():
        assert library.get(name).source.strip(), name


def _scenario_file(tmp_path: Path, register_map: str, **extra: object) -> Path:
    data = yaml.safe_load(HYBRIDS.read_text(encoding="utf-8"))
    huawei = next(f for f in data["facilities"] if f["id"] == "huawei")
    huawei["meters"][0]["modbus"] = {"port": 22009, "register_map": register_map, **extra}
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("register_map", "extra", "where", "message"),
    [
        ("huawei_sun200", {}, "register_map", "'huawei_sun200' is neither 'sunspec' nor a vendor map"),
        ("ev_charger_generic", {}, "register_map", "is a map for kind ev_charger, not meter"),
        ("huawei_sun2000", {"base_address": 40000}, "base_address", "base_address is a SunSpec setting"),
    ],
)
def test_scenario_check_locates_map_problems(
    register_map: str, extra: dict[str, object], where: str, message: str, tmp_path: Path
) -> None:
    path = _scenario_file(tmp_path, register_map, **extra)
    problems = builtin_registry().problems(load_scenario_file(path))
    assert [p.path for p in problems] == [f"facilities[1].meters[0].modbus.{where}"]
    assert message in problems[0].message
    result = CliRunner().invoke(app, ["scenario", "check", str(path)])
    assert result.exit_code == 2
    assert f"facilities[1].meters[0].modbus.{where}: " in result.output


def test_scenario_check_names_the_broken_field_of_a_user_map(tmp_path: Path) -> None:
    maps = tmp_path / "maps"
    maps.mkdir()
    _write_map(maps, "my_meter", GOOD_MAP.replace("type: float32", "type: float23"))
    scenario = load_scenario_file(_scenario_file(tmp_path, "my_meter"))
    problems = builtin_registry().problems(scenario, MapLibrary([maps]))
    assert [p.path for p in problems] == ["facilities[1].meters[0].modbus.register_map"]
    assert "my_meter.yaml: points[0].type: 'float23' unknown" in problems[0].message


async def test_a_broken_map_among_good_devices_is_skipped_and_the_rest_is_polled(tmp_path: Path) -> None:
    """One meter names a misspelt map: the poller flags it at every cycle and polls the 8 others; the simulator
    fleet starts the others too."""
    scenario = load_scenario_file(_scenario_file(tmp_path, "huawei_sun200"))
    specs = scenario_devices(scenario)
    bad = DeviceKey("huawei", "m1")
    built = build_fleet(scenario)
    assert set(built.skipped) == {bad}
    fleet = await start_fleet(scenario, port_base=0)
    try:
        poller = Poller([s.with_endpoint(timeout_s=ANSWER_TIMEOUT) for s in with_ports(specs, fleet.port_map)])
        for _ in range(2):
            readings = {r.key: r for r in await poller.cycle(full=True)}
            assert readings[bad].quality.value == "error"
            assert str(readings[bad].error).startswith("not polled: huawei/m1: register_map 'huawei_sun200'")
            assert {k for k, r in readings.items() if r.quality.value != "good"} == {bad}
            await asyncio.sleep(0)
        poller.close()
    finally:
        await fleet.stop()


async def test_the_howto_example_map_drives_a_simulated_pcs(tmp_path: Path) -> None:
    """docs/howto/add-a-device-type.md's example map, from a user folder: no code, a battery read and written."""
    howto = Path(__file__).parents[2] / "docs" / "howto" / "add-a-device-type.md"
    block = howto.read_text(encoding="utf-8").split("```yaml\n", 1)[1].split("```", 1)[0]
    _write_map(tmp_path, "battery_pcs_example", block)
    maps = MapLibrary([tmp_path])
    data = yaml.safe_load(HYBRIDS.read_text(encoding="utf-8"))
    facility = next(f for f in data["facilities"] if f["id"] == "sigen")
    facility["pv_arrays"], facility["meters"] = [], []
    facility["batteries"][0]["modbus"] = {"port": 22010, "register_map": "battery_pcs_example", "watchdog_s": 60}
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    scenario = load_scenario_file(path)
    assert builtin_registry().problems(scenario, maps) == []
    spec = next(s for s in scenario_devices(scenario, maps) if s.key == DeviceKey("sigen", "bat1"))
    fleet = await start_fleet(scenario, port_base=0, maps=maps)
    try:
        poller = Poller(with_ports([spec.with_endpoint(timeout_s=ANSWER_TIMEOUT)], fleet.port_map))
        entry = await SetpointWriter(poller, ListSink()).write(spec.key, "setpoint_kw", 4.0)
        reading = (await poller.cycle(full=True))[0]
        poller.close()
    finally:
        await fleet.stop()
    assert (entry.result, entry.applied) == ("ok", 4.0)
    assert reading.values["setpoint_kw"] == pytest.approx(4.0)
    assert reading.values["power_kw"] == pytest.approx(4.0)  # the PCS counts charging as positive: sign -1
    image = fleet.devices[spec.key].image
    assert image.serve("holding", 101, 2) == [0xFFFF, 0xF060]  # raw: -4000 W (int32) in the vendor's convention
