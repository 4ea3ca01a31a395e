"""The command line starts without the heavy libraries: `ems --help` and the scenario commands must not import
pandas, pvlib, Pyomo, the web stack or the database layer (each costs hundreds of ms and MB at start-up).

Checked without timing: the command runs in a fresh interpreter, which then reports the top-level packages it
holds in `sys.modules`. A module-level `import pandas` (or a runtime import) in any command module fails it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from typing import Any

import pytest

# Libraries only some commands need; `ems --help` and `ems scenario ...` must import none of them.
HEAVY = (
    "pandas",
    "numpy",
    "scipy",
    "pvlib",
    "pyomo",
    "highspy",
    "matplotlib",
    "sqlalchemy",
    "alembic",
    "apscheduler",
    "fastapi",
    "starlette",
    "uvicorn",
    "pymodbus",
    "prometheus_client",
    "runtime",
    "forecasts",
    "optimizer",
    "devices",
)

PROBE = """
import json, sys
from api.cli import app
sys.argv = ["ems", *json.loads(sys.argv[1])]
try:
    app()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""


def _run(args: list[str]) -> tuple[str, dict[str, Any]]:
    """Run `ems ARGS` in a fresh interpreter; its stdout and what it had imported when it finished."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True, text=True, timeout=60, check=False
    )
    report: dict[str, Any] = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] in (0, None), done.stderr
    return done.stdout, report


@pytest.mark.parametrize(
    "args", [["--help"], ["--version"], ["scenario", "list"], ["scenario", "show", "tiny"], ["plan", "--help"]]
)
def test_light_commands_import_no_heavy_library(args: list[str]) -> None:
    _, report = _run(args)
    loaded = set(report["loaded"])
    assert "typer" in loaded  # the probe did run the app
    assert sorted(loaded.intersection(HEAVY)) == []


def test_help_still_lists_every_command() -> None:
    out, _ = _run(["--help"])
    for command in ("up", "serve", "simulate", "plan", "scenario", "users", "outage", "devices", "forecast"):
        assert f"│ {command} " in out, out


def test_version_is_the_installed_package_version() -> None:
    out, _ = _run(["--version"])
    assert out.strip() == f"ems (yamaguchi-ems) {metadata.version('yamaguchi-ems')}"
