"""runtime.facades.telemetry (the loop's Telemetry, port maps, scan) and the `ems devices` / `ems simulate` CLI."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from dev_helpers import ANSWER_TIMEOUT
from echonet_helpers import free_hosts
from service_fixtures import with_generous_timeouts
from typer.testing import CliRunner

from api.cli import app
from devices.inventory import scenario_devices
from runtime.facades.telemetry import DeviceTelemetry, Fleet, read_port_map, running_simulators, scan, write_port_map
from scenarios.device_identity import DeviceKey, DeviceKind
from scenarios.loader import builtin_data, load_builtin, parse_scenario
from scenarios.model import Scenario

ECHONET_TIMEOUT_S = 0.5
"""Time-out (s) of the ECHONET Lite devices in the CLI poll: nothing answers on their free node address."""


def tiny_with_generous_timeouts() -> Scenario:
    """``tiny`` with every device's time-out generous: its simulators share the test's event loop."""
    return parse_scenario(with_generous_timeouts(builtin_data("tiny")), "tiny")


def yamaguchi_file(path: Path) -> Path:
    """Yamaguchi as a YAML file for the CLI: every Modbus device with a generous time-out (the simulators run in a
    thread of the test process, which a loaded machine can starve past the scenario's 1 s), Shiraishi's ECHONET
    Lite node moved from the fixed 127.0.1.1:3610 (which answers whenever another run on the machine simulates
    Yamaguchi) to a free loopback address where nothing answers, with a short time-out (silence is the outcome)."""
    data = with_generous_timeouts(builtin_data("yamaguchi"))
    (host,) = free_hosts(1)
    for facility in data["facilities"]:
        for assets in facility.values():
            for asset in assets if isinstance(assets, list) else []:
                if isinstance(asset, dict) and isinstance(asset.get("echonet"), dict):
                    asset["echonet"].update(host=host, timeout_s=ECHONET_TIMEOUT_S)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


async def test_device_telemetry_polls_samples_and_writes_guarded() -> None:
    scenario = tiny_with_generous_timeouts()
    async with running_simulators(scenario, port_base=0) as fleet:
        tel = DeviceTelemetry(scenario, fleet.port_map)
        samples = await tel.poll(dt.datetime.now(dt.UTC))
        # one kind vocabulary (issue 10): samples carry the devices' kinds, tiny has one device of each
        assert {s.kind for s in samples} == set(DeviceKind)
        assert samples
        assert all(s.quality == "good" and "/" not in s.device_id for s in samples)
        battery = next(s for s in samples if s.kind == "battery")  # tiny has centre/bat1
        outcome = await tel.write(battery.facility_id, battery.device_id, DeviceKind.BATTERY, -1e6, "test", False)
        assert outcome.ok
        assert outcome.applied == -scenario.facility("centre").batteries[0].charge_kw
        dry = await tel.write(battery.facility_id, battery.device_id, DeviceKind.BATTERY, 1.0, "test", True)
        assert dry.ok
        assert dry.applied is None
        assert dry.message.startswith("dry-run")
        assert [e.result for e in tel.audit] == ["ok", "dry-run"]
        tel.close()


async def test_write_refuses_a_kind_the_device_is_not_without_touching_it() -> None:
    scenario = load_builtin("tiny")
    async with running_simulators(scenario, port_base=0) as fleet:
        tel = DeviceTelemetry(scenario, fleet.port_map)
        device = fleet.devices[DeviceKey("centre", "bat1")]
        before = device.requests
        # + = charging for an EV charger, + = discharge for a battery: a kind mix-up would invert the power
        outcome = await tel.write("centre", "bat1", DeviceKind.EV, 3.0, "test", False)
        assert (outcome.ok, outcome.applied) == (False, None)
        assert outcome.message == "refused: centre/bat1 is kind battery, not ev_charger"
        assert device.requests == before
        assert tel.audit == []
        tel.close()


async def test_scan_reads_models_and_values() -> None:
    scenario = load_builtin("yamaguchi")
    async with running_simulators(scenario, port_base=0) as fleet:
        key = next(k for k in fleet.port_map if k.device_id == "pv1")
        result = await scan("127.0.0.1", fleet.port_map[key], 1, timeout_s=ANSWER_TIMEOUT)
    assert result.base_address == 40000
    assert [m[0] for m in result.models] == [1, 103, 120, 121, 123]
    common = result.models[0][3]
    assert common["Mn"] == "YGE-Sim"
    assert common["SN"] == str(key)
    assert result.models[1][3]["Hz"] == pytest.approx(60.0)


def test_port_map_round_trip_and_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "ports.json"
    write_port_map({DeviceKey("a", "m1"): 30001}, path, "127.0.0.1")
    assert json.loads(path.read_text())["ports"] == {"a/m1": 30001}
    assert read_port_map(path) == ("127.0.0.1", {DeviceKey("a", "m1"): 30001})
    path.write_text(json.dumps({"nope": 1}))
    with pytest.raises(ValueError, match="ports"):
        read_port_map(path)
    path.write_text(json.dumps({"ports": {"m1": 30001}}))  # a key without its facility
    with pytest.raises(ValueError, match=r"ports key: 'm1' is not 'facility/device'"):
        read_port_map(path)


@pytest.fixture
def background_fleet() -> Iterator[Fleet]:
    """Simulators of 'yamaguchi' running in a thread's own event loop (the CLI runs its own loop)."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, Fleet] = {}
    stop = asyncio.Event()

    async def main() -> None:
        async with running_simulators(load_builtin("yamaguchi"), port_base=0) as fleet:
            holder["fleet"] = fleet
            started.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert started.wait(20)
    yield holder["fleet"]
    loop.call_soon_threadsafe(stop.set)
    thread.join(10)


def test_cli_scan_and_poll(background_fleet: Fleet, tmp_path: Path) -> None:
    runner = CliRunner()
    path = tmp_path / "ports.json"
    write_port_map(background_fleet.port_map, path)
    port = background_fleet.port_map[DeviceKey("city-hall", "bat1")]
    result = runner.invoke(app, ["devices", "scan", f"127.0.0.1:{port}", "--timeout", str(ANSWER_TIMEOUT)])
    assert result.exit_code == 0, result.output
    assert "model 704" in result.output
    assert "Battery PCS" in result.output
    scenario = yamaguchi_file(tmp_path / "yamaguchi.yaml")
    result = runner.invoke(app, ["devices", "poll", "--scenario", str(scenario), "--once", "--port-map", str(path)])
    assert result.exit_code == 0, result.output
    n = len(background_fleet.port_map)  # the Modbus devices; Shiraishi's ECHONET Lite node and City Hall's OCPP
    total = len(scenario_devices(load_builtin("yamaguchi")))  # charger are not simulated by this fixture
    assert total == n + 5
    # the 4 ECHONET Lite devices on a free node address and the OCPP charger without its central system: not good
    assert f"{total} devices, {n} good" in result.output, [
        line for line in result.output.splitlines() if "error" in line or "stale" in line
    ][:8]
    assert "city-hall/bat1" in result.output
    bad = runner.invoke(app, ["devices", "scan", "no-port-here"])
    assert bad.exit_code == 2
    assert "HOST:PORT" in bad.output
