# mypy: allow-untyped-defs, allow-incomplete-defs
"""`ems up` in a subprocess: prints the URL and development login, serves the API, stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

EMS = str(Path(sys.executable).with_name("ems"))


def test_ems_up_serves_and_stops_on_ctrl_c(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "EMS_SCENARIO": "tiny", "EMS_DATABASE_URL": f"sqlite:///{tmp_path / 'ems.db'}"}
    proc = subprocess.Popen(
        [EMS, "up", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        health = None
        for _ in range(600):  # up to 60 s on a loaded machine
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).json()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert health is not None
        assert health["scenario"] == "tiny"
        login = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/login",
            json={"username": "operator", "password": "ems-dev-password"},
            timeout=5,
        )
        assert login.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert f"http://127.0.0.1:{port}/" in out
    assert "Development login: operator / ems-dev-password" in out
    assert out.rstrip().endswith("stopped")


def test_users_add_and_key(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from api.cli import app
    from runtime import security
    from runtime.store.db import open_store

    url = f"sqlite:///{tmp_path / 'ems.db'}"
    monkeypatch.setenv("EMS_DATABASE_URL", url)
    monkeypatch.setenv("EMS_SCENARIO", "tiny")
    runner = CliRunner()
    ok = runner.invoke(
        app, ["users", "add", "m", "--role", "facility_manager", "--facility", "centre", "--password", "pw-123456789"]
    )
    assert ok.exit_code == 0, ok.output
    assert (
        runner.invoke(
            app, ["users", "add", "x", "--role", "facility_manager", "--facility", "nowhere", "--password", "pw"]
        ).exit_code
        == 2
    )
    key = runner.invoke(app, ["users", "key", "m"]).output.strip()
    store = open_store(url)
    assert security.principal_for_api_key(store, key) == security.Principal("m", "facility_manager", "centre")
    assert security.authenticate(store, "m", "pw-123456789") is not None
    store.dispose()
