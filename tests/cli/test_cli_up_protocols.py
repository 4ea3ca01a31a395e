"""`ems up` on a scenario whose devices speak three protocols: the service starts its OCPP central system, the demo
simulates the ECHONET Lite node and the OCPP charge point, and every device is polled without going stale."""

from __future__ import annotations

import copy
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import yaml
from service_fixtures import with_generous_timeouts

from scenarios.loader import builtin_data

EMS = str(Path(sys.executable).with_name("ems"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def free_node() -> str:
    for third in range(200, 255):
        host = f"127.0.{third}.7"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind((host, 3610))
            except OSError:
                continue
            return host
    raise RuntimeError("no free loopback address for an ECHONET Lite node")


def mixed_tiny(node: str) -> dict[str, Any]:
    """tiny: the centre's battery and meter over ECHONET Lite, the office's charger over OCPP (one-way); every device
    with a generous time-out, since `ems up` simulates them in its own event loop, which a loaded machine can hold
    past the scenario's 1 s (one unanswered poll counts the device stale)."""
    data = copy.deepcopy(builtin_data("tiny"))
    centre, office = data["facilities"][0], data["facilities"][1]
    for asset in (centre["batteries"][0], centre["meters"][0]):
        del asset["modbus"]
        asset["echonet"] = {"host": node}
    charger = office["ev_chargers"][0]
    del charger["modbus"]
    charger |= {"bidirectional": False, "discharge_kw": 0, "ocpp": {"charge_point_id": "CP-TINY-1"}}
    data["evs"][0]["v2h_kw"] = 0
    generous: dict[str, Any] = with_generous_timeouts(data)
    return generous


def health(port: int) -> dict[str, Any] | None:
    try:
        body: dict[str, Any] = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).json()
    except httpx.HTTPError:
        return None
    return body


def test_ems_up_runs_echonet_and_ocpp_devices(tmp_path: Path) -> None:
    scenario = tmp_path / "mixed.yaml"
    scenario.write_text(yaml.safe_dump(mixed_tiny(free_node()), allow_unicode=True), encoding="utf-8")
    port = free_port()
    env = {
        **os.environ,
        "EMS_SCENARIO": str(scenario),
        "EMS_DATABASE_URL": f"sqlite:///{tmp_path / 'ems.db'}",
        "EMS_OCPP_PORT": "0",
    }
    proc = subprocess.Popen(
        [EMS, "up", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        seen: dict[str, Any] | None = None
        for _ in range(900):  # up to 90 s on a loaded machine, until the loop has polled twice
            seen = health(port)
            if seen is not None and seen["loop_runs"].get("poll", 0) >= 2:
                break
            time.sleep(0.1)
        assert seen is not None
        assert seen["loop_runs"]["poll"] >= 2
        assert seen["stale_devices"] == 0
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "OCPP 1.6J central system: ws://127.0.0.1:" in out
    assert "Simulated over ECHONET Lite: 2 devices; over OCPP 1.6J: 1 charge points" in out
