# mypy: allow-untyped-defs, allow-incomplete-defs
"""`ems up` without a reachable database: one clear line naming EMS_DATABASE_URL (password hidden), exit 1, no
traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

EMS = str(Path(sys.executable).with_name("ems"))


def test_ems_up_with_a_dead_database_port_is_one_line():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql+psycopg://ems:s3cret-pw@127.0.0.1:{port}/ems"
    env = {**os.environ, "EMS_SCENARIO": "tiny", "EMS_DATABASE_URL": url}
    done = subprocess.run(
        [EMS, "up", "--port", str(port)], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    out = (done.stdout + done.stderr).strip()
    assert done.returncode == 1, out
    assert "Traceback" not in out
    assert "s3cret-pw" not in out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    assert "EMS_DATABASE_URL" in lines[0]
    assert f"127.0.0.1:{port}" in lines[0]
