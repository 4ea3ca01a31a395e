"""runtime.telemetry (the loop's Telemetry, port maps, scan) and the `ems devices` / `ems simulate` CLI."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from runtime.telemetry import DeviceTelemetry, Fleet, read_port_map, running_simulators, scan, write_port_map
from scenarios.loader import load_builtin


async def test_device_telemetry_polls_samples_and_writes_guarded() -> None:
    scenario = load_builtin("tiny")
    async with running_simulators(scenario, port_base=0) as fleet:
        tel = DeviceTelemetry(scenario, fleet.port_map)
        samples = await tel.poll(dt.datetime.now(dt.UTC))
        assert {s.kind for s in samples} <= {"pv", "battery", "ev", "meter"}
        assert samples
        assert all(s.quality == "good" and "/" not in s.device_id for s in samples)
        battery = next(s for s in samples if s.kind == "battery")  # tiny has centre/bat1
        outcome = await tel.write(battery.facility_id, battery.device_id, "battery", -1e6, "test", False)
        assert outcome.ok
        assert outcome.applied == -scenario.facility("centre").batteries[0].charge_kw
        dry = await tel.write(battery.facility_id, battery.device_id, "battery", 1.0, "test", True)
        assert dry.ok
        assert dry.applied is None
        assert dry.message.startswith("dry-run")
        assert [e.result for e in tel.audit] == ["ok", "dry-run"]
        tel.close()


async def test_scan_reads_models_and_values() -> None:
    scenario = load_builtin("yamaguchi")
    async with running_simulators(scenario, port_base=0) as fleet:
        device_id = next(d for d in fleet.port_map if d.endswith("/pv1"))
        result = await scan("127.0.0.1", fleet.port_map[device_id], 1, timeout_s=0.5)
    assert result.base_address == 40000
    assert [m[0] for m in result.models] == [1, 103, 120, 121, 123]
    common = result.models[0][3]
    assert common["Mn"] == "YGE-Sim"
    assert common["SN"] == device_id
    assert result.models[1][3]["Hz"] == pytest.approx(60.0)


def test_port_map_round_trip_and_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "ports.json"
    write_port_map({"a/m1": 30001}, path, "127.0.0.1")
    assert read_port_map(path) == ("127.0.0.1", {"a/m1": 30001})
    path.write_text(json.dumps({"nope": 1}))
    with pytest.raises(ValueError, match="ports"):
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
    port = background_fleet.port_map["city-hall/bat1"]
    result = runner.invoke(app, ["devices", "scan", f"127.0.0.1:{port}"])
    assert result.exit_code == 0, result.output
    assert "model 704" in result.output
    assert "Battery PCS" in result.output
    result = runner.invoke(app, ["devices", "poll", "--scenario", "yamaguchi", "--once", "--port-map", str(path)])
    assert result.exit_code == 0, result.output
    n = len(background_fleet.port_map)
    assert f"{n} devices, {n} good" in result.output
    assert "city-hall/bat1" in result.output
    bad = runner.invoke(app, ["devices", "scan", "no-port-here"])
    assert bad.exit_code == 2
    assert "HOST:PORT" in bad.output
