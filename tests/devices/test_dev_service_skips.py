"""One bad device never stops the rest, through the runtime and the CLI: the service polls the others and records an
event for it; `ems devices poll` prints it as not polled; user map folders come from EMS_DEVICE_MAPS."""

from __future__ import annotations

from pathlib import Path

import pytest
import service_fixtures
import yaml
from service_fixtures import make_service, with_generous_timeouts
from typer.testing import CliRunner

from api.cli import app
from runtime.facades.telemetry import DeviceTelemetry, raise_skipped_events, running_simulators
from runtime.loop.poll import poll
from runtime.settings import Settings
from runtime.store import journal, readings
from runtime.store.db import Store
from scenarios.device_identity import DeviceKey
from scenarios.loader import builtin_data, load_scenario_file

sqlite_store = service_fixtures.sqlite_store
MY_MAP = """
name: my_meter
source: test vendor manual, section 3
points:
  - {name: p, address: 10, type: int32, units: W, sign: -1}
capabilities:
  meter:
    read: {power_kw: p}
"""


def _tiny_with_meter_map(tmp_path: Path, register_map: str) -> Path:
    """'tiny' whose centre meter names ``register_map``."""
    data = with_generous_timeouts(builtin_data("tiny"))  # the simulators answer: a loaded machine may be slow
    centre = next(f for f in data["facilities"] if f["id"] == "centre")
    centre["meters"][0]["modbus"]["register_map"] = register_map
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


async def test_the_service_polls_the_others_and_records_an_event_for_the_bad_device(
    sqlite_store: Store, tmp_path: Path
) -> None:
    scenario = load_scenario_file(_tiny_with_meter_map(tmp_path, "my_metre"))
    bad = DeviceKey("centre", "m1")
    async with running_simulators(scenario, port_base=0) as fleet:
        assert set(fleet.skipped) == {bad}
        telemetry = DeviceTelemetry(scenario, fleet.port_map)
        svc = make_service(sqlite_store, "tiny", telemetry=telemetry)
        assert raise_skipped_events(telemetry, sqlite_store) == 1
        now = svc.clock()
        rows = await poll(svc, now)
        telemetry.close()
    assert rows > 0
    stored = {(r.facility_id, r.device_id) for r in readings.latest_values(sqlite_store)}
    assert ("centre", "bat1") in stored
    assert ("centre", "m1") not in stored
    events = [e for e in journal.list_events(sqlite_store) if e.kind == "device_not_polled"]
    assert len(events) == 1
    assert events[0].message.startswith("centre/m1: not polled: centre/m1: register_map 'my_metre' is neither")
    assert events[0].facility_id == "centre"


def test_device_maps_setting_is_a_folder_list(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    one, two = tmp_path / "a", tmp_path / "b"
    one.mkdir()
    two.mkdir()
    monkeypatch.setenv("EMS_DEVICE_MAPS", f"{one}:{two}")
    assert Settings().device_maps == [one, two]
    monkeypatch.setenv("EMS_DEVICE_MAPS", f"{one}:{tmp_path / 'typo'}")
    with pytest.raises(ValueError, match=r"EMS_DEVICE_MAPS: .*typo.* is not a folder"):
        Settings()


def test_scenario_check_and_poll_find_maps_in_the_user_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = _tiny_with_meter_map(tmp_path, "my_meter")
    runner = CliRunner()
    missing = runner.invoke(app, ["scenario", "check", str(path)])
    assert missing.exit_code == 2
    assert "facilities[0].meters[0].modbus.register_map: " in missing.output
    maps = tmp_path / "maps"
    maps.mkdir()
    (maps / "my_meter.yaml").write_text(MY_MAP, encoding="utf-8")
    monkeypatch.setenv("EMS_DEVICE_MAPS", str(maps))
    found = runner.invoke(app, ["scenario", "check", str(path)])
    assert found.exit_code == 0, found.output


def test_devices_poll_warns_and_polls_the_rest(tmp_path: Path) -> None:
    """Nothing answers at the scenario's ports, so every polled device is an error, but the command runs and names
    the bad device as not polled (before issue 14 it exited 2 before polling anything)."""
    path = _tiny_with_meter_map(tmp_path, "my_metre")
    result = CliRunner().invoke(app, ["devices", "poll", "--scenario", str(path), "--once"])
    assert result.exit_code == 0, result.output
    assert "warning: not polled: facilities[0].meters[0].modbus.register_map" in result.output
    assert "7 devices, 0 good" in result.output
    assert "not polled: centre/m1" in result.output
