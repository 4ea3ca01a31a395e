"""The driver registry: every device's driver, simulator and set-point come from its (kind, family) entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from api.cli import app
from devices.capabilities import ListSink, Quality
from devices.catalog import builtin_registry
from devices.inventory import DeviceSpec, DriverFamily, scenario_devices
from devices.poller import Poller
from devices.registry import DeviceConfigError, DeviceType, DriverRegistry, Transports
from devices.simulators.fleet import build_fleet
from devices.writes import SetpointWriter
from scenarios.device_identity import DeviceKey, DeviceKind
from scenarios.loader import builtin_data, load_builtin, load_scenario_file
from scenarios.model import Scenario


def path_key(path: str, scenario: Scenario) -> DeviceKey:
    """The device at a located problem path like ``facilities[0].batteries[0].modbus.register_map``."""
    facility_part, group_part = path.split(".")[:2]
    facility = scenario.facilities[int(facility_part[len("facilities[") : -1])]
    group, index = group_part.rstrip("]").split("[")
    return DeviceKey(facility.id, str(getattr(facility, group)[int(index)].id))


def _tiny_with(edit: dict[str, Any], tmp_path: Path) -> tuple[Scenario, Path]:
    """'tiny' with one asset's modbus endpoint updated; ``edit`` = {"facility", "group", "changes"}."""
    data = builtin_data("tiny")  # a fresh parse each call
    facility = next(f for f in data["facilities"] if f["id"] == edit["facility"])
    facility[edit["group"]][0]["modbus"].update(edit["changes"])
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_scenario_file(path), path


def test_builtin_types_cover_every_device_of_the_shipped_scenarios() -> None:
    registry = builtin_registry()
    assert set(registry.keys()) == {
        (DeviceKind.PV, DriverFamily.SUNSPEC),
        (DeviceKind.BATTERY, DriverFamily.SUNSPEC),
        (DeviceKind.METER, DriverFamily.SUNSPEC),
        (DeviceKind.EV, DriverFamily.VENDOR_MAP),
        (DeviceKind.PV, DriverFamily.VENDOR_MAP),
        (DeviceKind.BATTERY, DriverFamily.VENDOR_MAP),
        (DeviceKind.METER, DriverFamily.VENDOR_MAP),
        (DeviceKind.PV, DriverFamily.ECHONET_LITE),
        (DeviceKind.BATTERY, DriverFamily.ECHONET_LITE),
        (DeviceKind.METER, DriverFamily.ECHONET_LITE),
        (DeviceKind.EV, DriverFamily.ECHONET_LITE),
        (DeviceKind.EV, DriverFamily.OCPP16),
    }
    setpoints = {(t.kind, t.family): t.setpoint for t in registry}
    expected = {DeviceKind.PV: "limit_pct", DeviceKind.BATTERY: "setpoint_kw", DeviceKind.METER: None}
    expected |= {DeviceKind.EV: "setpoint_kw"}
    assert setpoints == {key: expected[key[0]] for key in registry.keys()}  # noqa: SIM118 - DriverRegistry is not a dict
    for name in ("tiny", "yamaguchi"):
        assert registry.problems(load_builtin(name)) == [], name


class _ConstantMeter:
    """A driver that never touches the network: 7 kW import."""

    async def connect(self) -> None:
        return None

    async def read(self, full: bool) -> tuple[dict[str, float | None], list[str]]:
        return {"power_kw": 7.0}, []


def _constant_meter(spec: DeviceSpec, transports: Transports) -> _ConstantMeter:
    return _ConstantMeter()


async def test_poller_and_writer_take_drivers_and_allow_list_from_the_registry() -> None:
    meter = next(s for s in scenario_devices(load_builtin("tiny")) if s.kind is DeviceKind.METER)
    registry = DriverRegistry([DeviceType(DeviceKind.METER, DriverFamily.SUNSPEC, driver=_constant_meter)])
    poller = Poller([meter], registry=registry)
    assert isinstance(poller.driver(meter.key), _ConstantMeter)
    reading = (await poller.cycle())[0]
    assert (reading.key, reading.values["power_kw"]) == (meter.key, 7.0)  # read by the registered driver
    assert poller.connections == {}  # it asked for no connection
    entry = await SetpointWriter(poller, ListSink()).write(meter.key, "setpoint_kw", 1.0)
    assert entry.result == "refused"
    assert "meter over sunspec (allowed: nothing)" in entry.detail


async def test_a_kind_without_a_registered_family_is_skipped_with_the_registered_ones() -> None:
    meter = next(s for s in scenario_devices(load_builtin("tiny")) if s.kind is DeviceKind.METER)
    only_pv = DriverRegistry([t for t in builtin_registry() if t.kind is DeviceKind.PV])
    with pytest.raises(DeviceConfigError, match=r"centre/m1: no driver for meter over sunspec \(registered: pv_inv"):
        only_pv.for_spec(meter)
    poller = Poller([meter], registry=only_pv)  # issue 14: flagged and skipped, not a crash of the poller
    assert meter.key in poller.skipped
    (reading,) = await poller.cycle()
    assert reading.quality is Quality.ERROR
    assert reading.error is not None
    assert reading.error.startswith("not polled: centre/m1: no driver for meter over sunspec")


def test_registry_refuses_duplicates_and_setpoints_the_kind_does_not_have() -> None:
    entry = DeviceType(DeviceKind.METER, DriverFamily.SUNSPEC, driver=_constant_meter)
    with pytest.raises(ValueError, match="two device types registered for meter over sunspec"):
        DriverRegistry([entry, entry])
    with pytest.raises(ValueError, match="setpoint 'setpoint_kw' is not a meter field"):
        DeviceType(DeviceKind.METER, DriverFamily.SUNSPEC, driver=_constant_meter, setpoint="setpoint_kw")


@pytest.mark.parametrize(
    ("edit", "path", "message"),
    [
        (  # the poller used to drive any non-SunSpec device as an EV charger
            {"facility": "centre", "group": "batteries", "changes": {"register_map": "ev_charger_generic"}},
            "facilities[0].batteries[0].modbus.register_map",
            "is a map for kind ev_charger, not battery",
        ),
        (
            {"facility": "office", "group": "ev_chargers", "changes": {"register_map": "sunspec"}},
            "facilities[1].ev_chargers[0].modbus.register_map",
            "no driver for ev_charger over sunspec (registered: ",
        ),
        (
            {"facility": "centre", "group": "meters", "changes": {"register_map": "sunpsec"}},
            "facilities[0].meters[0].modbus.register_map",
            "'sunpsec' is neither 'sunspec' nor a vendor map (known: ['ev_charger_generic', 'huawei_sun2000', 'sig",
        ),
    ],
)
def test_misconfigured_devices_are_located_problems_of_the_scenario_check(
    edit: dict[str, Any], path: str, message: str, tmp_path: Path
) -> None:
    scenario, file = _tiny_with(edit, tmp_path)
    problems = builtin_registry().problems(scenario)
    assert [p.path for p in problems] == [path]
    assert message in problems[0].message
    specs = scenario_devices(scenario)
    bad = path_key(path, scenario)
    poller = Poller(specs)  # issue 14: the bad device is flagged and skipped, the poller is built for the others
    assert set(poller.skipped) == {bad}
    assert set(poller.states) == {s.key for s in specs} - {bad}
    built = build_fleet(scenario)
    assert set(built.skipped) == {bad}
    assert set(built.devices) == {s.key for s in specs} - {bad}
    result = CliRunner().invoke(app, ["scenario", "check", str(file)])
    assert result.exit_code == 2
    assert f"{path}: " in result.output


def test_a_type_without_simulator_cannot_be_simulated() -> None:
    no_sim = DriverRegistry(
        [DeviceType(t.kind, t.family, driver=t.driver, setpoint=t.setpoint) for t in builtin_registry()]
    )
    built = build_fleet(load_builtin("tiny"), registry=no_sim)
    assert built.devices == {}
    assert len(built.skipped) == len(scenario_devices(load_builtin("tiny")))
    assert all("has no simulator" in reason for reason in built.skipped.values())
