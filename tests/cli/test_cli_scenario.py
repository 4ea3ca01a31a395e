"""`ems scenario list|show|check` through the installed console entry point and Typer's runner."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml
from typer.testing import CliRunner

from api.cli import app
from scenarios.loader import builtin_data

runner = CliRunner()


def test_show_prints_every_yamaguchi_facility() -> None:
    result = runner.invoke(app, ["scenario", "show", "yamaguchi"])
    assert result.exit_code == 0, result.output
    for facility_id in ("city-hall", "ogori-branch", "hirakawa-cc", "ato-cc", "cleaning-plant"):
        assert facility_id in result.output
    assert "37 supplied facilities, 21 shelters" in result.output
    assert "72.2" in result.output
    assert "9.8/5" in result.output


def test_list_names_the_builtins() -> None:
    result = runner.invoke(app, ["scenario", "list"])
    assert result.exit_code == 0
    assert "yamaguchi" in result.output
    assert "tiny" in result.output


def test_check_valid_file_exits_zero(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(yaml.safe_dump(builtin_data("tiny"), allow_unicode=True), encoding="utf-8")
    result = runner.invoke(app, ["scenario", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_check_broken_file_lists_every_error_and_exits_nonzero(tmp_path: Path) -> None:
    data = builtin_data("yamaguchi")
    data["facilities"][3]["batteries"] = [dict(data["facilities"][2]["batteries"][0], capacity_kwh=0)]
    data["evs"][0]["home_facility"] = "atlantis"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(app, ["scenario", "check", str(path)])
    assert result.exit_code == 2
    assert "facilities[3].batteries[0].capacity_kwh: must be > 0" in result.output
    # Consistency checks need a schema-valid file, so fix the first error and check the second.
    data["facilities"][3]["batteries"][0]["capacity_kwh"] = 10
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(app, ["scenario", "check", str(path)])
    assert result.exit_code == 2
    assert "evs[0].home_facility: EV 'bz4x-1': unknown facility 'atlantis'" in result.output


def test_check_reports_yaml_syntax_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: [unclosed\n", encoding="utf-8")
    result = runner.invoke(app, ["scenario", "check", str(path)])
    assert result.exit_code == 2
    assert "not valid YAML" in result.output
    result = runner.invoke(app, ["scenario", "check", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_console_script_is_installed() -> None:
    ems = shutil.which("ems") or str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "ems")
    done = subprocess.run([ems, "scenario", "show", "tiny"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "centre" in done.stdout
