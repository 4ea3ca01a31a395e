"""`ems outage` options on the tiny scenario: car availability and start SoC reach the plan, bad values are
refused naming the option, and `ems outage readiness` runs without --event (the README's command)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from api.cli import app

runner = CliRunner()
BASE = [  # no PV: the centre needs the car after its battery
    "outage",
    "--scenario",
    "tiny",
    "--start",
    "2024-09-01T14:00+09:00",
    "--hours",
    "8",
    "--method",
    "greedy",
    "--pv-factor",
    "0",
    "--no-calendar",  # these tests set availability by flags; the calendar's own tests are below
]


def _itinerary(out: Path) -> list[dict[str, Any]]:
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    return list(plan["itinerary"])


def test_a_car_busy_until_1800_departs_at_1800(tmp_path: Path) -> None:
    free = runner.invoke(app, [*BASE, "--out", str(tmp_path / "free")])
    assert free.exit_code == 0, free.output
    assert _itinerary(tmp_path / "free")[0]["depart"] == "2024-09-01T14:00:00+09:00"
    busy = runner.invoke(app, [*BASE, "--unavailable", "ev1@18:00", "--out", str(tmp_path / "busy")])
    assert busy.exit_code == 0, busy.output
    assert _itinerary(tmp_path / "busy")[0]["depart"] == "2024-09-01T18:00:00+09:00"
    off = runner.invoke(app, [*BASE, "--unavailable", "ev1", "--out", str(tmp_path / "off")])
    assert off.exit_code == 0, off.output
    assert _itinerary(tmp_path / "off") == []


def test_the_fleet_calendar_keeps_a_car_on_official_use_until_1800_and_flags_override_it(tmp_path: Path) -> None:
    """tiny's ev1 plugs in 18:00-08:30 on weekdays, 20:00-09:00 on weekends: at 14:00 it is away."""
    calendar = [a for a in BASE if a != "--no-calendar"]
    monday = [*calendar[:4], "2024-09-02T14:00+09:00", *calendar[5:]]
    weekday = runner.invoke(app, [*monday, "--out", str(tmp_path / "monday")])
    assert weekday.exit_code == 0, weekday.output
    assert _itinerary(tmp_path / "monday")[0]["depart"] == "2024-09-02T18:00:00+09:00"
    assert "car ev1: leaves its base from Mon 09-02 18:00" in weekday.output
    sunday = runner.invoke(app, [*calendar, "--out", str(tmp_path / "sunday")])
    assert sunday.exit_code == 0, sunday.output
    assert _itinerary(tmp_path / "sunday")[0]["depart"] == "2024-09-01T20:00:00+09:00"  # car-sharing
    now = runner.invoke(app, [*calendar, "--unavailable", "ev1@14:00", "--out", str(tmp_path / "now")])
    assert now.exit_code == 0, now.output
    assert _itinerary(tmp_path / "now")[0]["depart"] == "2024-09-01T14:00:00+09:00"


def test_ev_soc_changes_the_energy_the_car_delivers(tmp_path: Path) -> None:
    delivered = []
    for soc in ("0.3", "0.9"):
        result = runner.invoke(app, [*BASE, "--ev-soc", f"ev1={soc}", "--out", str(tmp_path / soc)])
        assert result.exit_code == 0, result.output
        delivered.append(sum(float(m["energy_delivered_kwh"]) for m in _itinerary(tmp_path / soc)))
    assert delivered[0] < delivered[1]


def test_bad_options_name_the_option() -> None:
    bad_soc = runner.invoke(app, [*BASE, "--ev-soc", "ev1=1.7"])
    assert bad_soc.exit_code == 2
    assert "--ev-soc" in bad_soc.output
    unknown = runner.invoke(app, [*BASE, "--unavailable", "nocar"])
    assert unknown.exit_code == 2
    assert "unavailable_evs: no car nocar" in unknown.output


def test_readiness_runs_without_event() -> None:
    result = runner.invoke(app, ["outage", "readiness", "--scenario", "tiny"])
    assert result.exit_code == 0, result.output
    assert "no --event given" in result.output
    assert "EV pre-charge targets" in result.output


def test_charge_point_option_adds_a_recharge_stop(tmp_path: Path) -> None:
    args = [*BASE[:-7], "--hours", "24", "--pv-factor", "0", "--no-calendar", "--time-limit", "20"]
    result = runner.invoke(app, [*args, "--charge-point", "school:1:6", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "charge" in [m["outlet"] for m in _itinerary(tmp_path)]
    bad = runner.invoke(app, [*args, "--charge-point", "school:x"])
    assert bad.exit_code == 2
    assert "--charge-point" in bad.output
    shelter = runner.invoke(app, [*args, "--charge-point", "centre"])
    assert shelter.exit_code == 2
    assert "centre is a shelter" in shelter.output
