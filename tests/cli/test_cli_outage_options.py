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


def test_readiness_feeds_the_plan(tmp_path: Path) -> None:
    """`ems outage readiness --out` writes the cars' target SoC, the shelters' reserve SoC and the fleet at the
    event (pre-charged cars recalled to base); `ems outage --readiness FILE` plans from them."""
    path = tmp_path / "readiness.json"
    event = "2024-09-01T14:00+09:00"  # a Sunday: without readiness ev1 is on car-sharing until 20:00
    made = runner.invoke(app, ["outage", "readiness", "--scenario", "tiny", "--event", event, "--out", str(path)])
    assert made.exit_code == 0, made.output
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["evs"][0]["target_soc"] == 0.95
    assert document["availability"][0]["free_from"] == "2024-09-01T14:00:00+09:00"
    calendar = [a for a in BASE if a != "--no-calendar"]
    ready = runner.invoke(app, [*calendar, "--readiness", str(path), "--out", str(tmp_path / "ready")])
    assert ready.exit_code == 0, ready.output
    plain = runner.invoke(app, [*calendar, "--out", str(tmp_path / "plain")])
    assert plain.exit_code == 0, plain.output
    first = _itinerary(tmp_path / "ready")[0]
    assert first["depart"] == "2024-09-01T14:00:00+09:00"
    assert _itinerary(tmp_path / "plain")[0]["depart"] == "2024-09-01T20:00:00+09:00"
    cars = (tmp_path / "ready" / "cars.csv").read_text(encoding="utf-8").splitlines()
    assert any("0.95" in line for line in cars[1:3]), cars[:3]  # the car starts at readiness's 95 %
    one_go = runner.invoke(app, ["outage", "readiness", "--scenario", "tiny", "--event", event, "--plan"])
    assert one_go.exit_code == 0, one_go.output
    assert "outage plan from 2024-09-01T14:00:00+09:00 with readiness SoC" in one_go.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"evs": [{"car": "ev1"}]}', encoding="utf-8")
    refused = runner.invoke(app, [*calendar, "--readiness", str(bad)])
    assert refused.exit_code == 2
    assert "readiness" in refused.output
