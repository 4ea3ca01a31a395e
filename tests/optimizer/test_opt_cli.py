"""`ems plan` writes the schedule, the procurement plan, the slack report and a chart, and prints the summary."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from api.cli import app


def test_plan_command_writes_files(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    result = CliRunner().invoke(
        app, ["plan", "--scenario", "tiny", "--date", "2024-08-01", "--horizon", "12", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    # the headline shows money apart from penalties (issue 12; before it printed one "cost" per plan)
    assert "money saved vs baseline (JPY)" in result.output
    assert "penalties (not money)" in result.output
    for name in ("schedule.csv", "procurement.csv", "slack.csv", "interchange.csv", "summary.json", "plan.png"):
        assert (out / name).stat().st_size > 0, name
    procurement = pd.read_csv(out / "procurement.csv")
    assert len(procurement) == 12
    assert {"purchase_kwh", "sale_kwh", "interchange_kwh"} <= set(procurement.columns)
    # one row per device with one unit per column (issue 12; before: a tidy 'value' column mixing kW and kWh)
    schedule = pd.read_csv(out / "schedule.csv")
    assert {"slot_start", "facility", "kind", "device", "peer", "soc_end_kwh", "import_kw"} <= set(schedule.columns)
    assert (out / "plan.png").read_bytes()[:4] == b"\x89PNG"


def test_plan_command_rejects_bad_date(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["plan", "--date", "2024-13-01", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "--date" in result.output


def test_plan_command_takes_a_forced_plant_outage(tmp_path: Path) -> None:
    # tiny's plant (typical 60 kW = 30 kWh a slot, no ramp limit) tripped 02:00-03:00 JST: 0 kWh in slots 5 and
    # 6 (02:00, 02:30), 30 kWh before and after; the purchase covers the difference.
    out = tmp_path / "trip"
    args = ["plan", "--scenario", "tiny", "--date", "2024-08-01", "--horizon", "8", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--plant-outage", "2024-08-01T02:00/2024-08-01T03:00"])
    assert result.exit_code == 0, result.output
    procurement = pd.read_csv(out / "procurement.csv")
    assert procurement["plant_kwh"].tolist() == [30.0, 30.0, 30.0, 30.0, 0.0, 0.0, 30.0, 30.0]
    bad = CliRunner().invoke(app, [*args, "--plant-outage", "2024-08-01T02:00"])
    assert bad.exit_code == 2
    assert "--plant-outage" in bad.output
