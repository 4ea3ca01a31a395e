"""Readiness before a forecast event feeding the outage plan: the SoC the readiness targets set (city cars
pre-charged to their target, shelter batteries holding their raised reserve) and the fleet at the event (the
pre-charged cars recalled from official use and car-sharing, leaving after their mobilisation delay; dealer
cars by the calendar) become the plan's inputs, in one call or through the readiness.json the CLI writes.

Times tz-aware (Asia/Tokyo shown); SoC as fractions 0..1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from runtime.facades.outage_planning import OutagePlan, availability, plan, readiness
from scenarios.model import ElectricVehicle, Scenario


def readiness_soc(targets: dict[str, Any]) -> tuple[dict[str, float], dict[str, float]]:
    """(car id → target SoC, shelter id → reserve SoC) from ReadinessTargets.to_dict() (or readiness.json):
    what the day-ahead plan under readiness holds at the event, so what the outage plan starts from."""
    try:
        cars = {str(e["car"]): float(e["target_soc"]) for e in targets["evs"]}
        batteries = {str(s["shelter"]): float(s["reserve_soc"]) for s in targets["shelters"]}
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(
            f"readiness: {exc!s} missing or malformed; give the JSON written by `ems outage readiness --out`"
        ) from None
    for name, value in {**cars, **batteries}.items():
        if not 0 <= value <= 1:
            raise ValueError(f"readiness: SoC {value} of {name} must be a fraction in 0..1")
    return cars, batteries


def readiness_availability(scenario: Scenario, event_time: pd.Timestamp, recalled: set[str]) -> list[dict[str, Any]]:
    """The fleet at the event, JSON-ready: cars being pre-charged (`recalled`: readiness cancels their
    official use and car-sharing) stand at their base and leave after their mobilisation delay; the others
    (dealer cars) as the fleet calendar says."""
    event = pd.Timestamp(event_time)
    rows = []
    for a in availability(scenario, event):
        back, free, state, reason = a.back_at, a.free_from, a.state, a.reason
        if a.car in recalled:
            delay = scenario_car(scenario, a.car).mobilisation_delay_h
            back, free, state = event, event + pd.Timedelta(hours=delay), "base"
            reason = f"recalled and pre-charged for the event; a driver in {delay:g} h"
        rows.append(
            {
                "car": a.car,
                "state": state,
                "reason": reason,
                "back_at": None if back is None else back.isoformat(),
                "free_from": None if free is None else free.isoformat(),
            }
        )
    return rows


def scenario_car(scenario: Scenario, car: str) -> ElectricVehicle:
    """The scenario's car by id (KeyError naming it)."""
    for e in scenario.evs:
        if e.id == car:
            return e
    raise KeyError(f"car {car}: not in the scenario")


def readiness_document(
    scenario: Scenario, event_time: pd.Timestamp, hours: float, ev_target_soc: float
) -> dict[str, Any]:
    """The readiness targets at `event_time` and the fleet there (`readiness_availability`), JSON-ready."""
    targets, _ = readiness(scenario, event_time, hours, ev_target_soc)
    cars = readiness_availability(scenario, event_time, {e.car for e in targets.evs})
    return {**targets.to_dict(), "availability": cars}


def availability_from(document: dict[str, Any]) -> tuple[tuple[str, ...], dict[str, pd.Timestamp]]:
    """(cars not available, {car: free from}) from a readiness document's 'availability' rows."""
    off, free = [], {}
    for row in document.get("availability", []):
        if row.get("free_from") is None:
            off.append(str(row["car"]))
        else:
            free[str(row["car"])] = pd.Timestamp(row["free_from"])
    return tuple(off), free


def write_readiness(document: dict[str, Any], path: Path) -> Path:
    """Write the readiness document as JSON (readiness.json)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


def read_readiness(path: Path) -> tuple[dict[str, float], dict[str, float], tuple[str, ...], dict[str, pd.Timestamp]]:
    """What a readiness.json sets for the plan: car SoC, battery SoC (see `readiness_soc`), cars not
    available and {car: free from} (see `availability_from`); ValueError naming the file."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"--readiness: cannot read {path}: {exc}") from None
    cars, batteries = readiness_soc(document)
    off, free = availability_from(document)
    return cars, batteries, off, free


def plan_after_readiness(
    scenario: Scenario,
    event_time: pd.Timestamp,
    hours: float = 72.0,
    ev_target_soc: float = 0.95,
    *,
    method: str = "greedy",
    time_limit_s: float = 60.0,
    **options: Any,
) -> OutagePlan:
    """The outage plan from the event time with readiness's SoC (cars at their target, batteries at their
    raised reserve) and readiness's fleet (pre-charged cars recalled to their base, dealer cars by the
    calendar); `options` as runtime.facades.outage_planning.plan (explicit entries override readiness's)."""
    document = readiness_document(scenario, event_time, hours, ev_target_soc)
    cars, batteries = readiness_soc(document)
    off, free = availability_from(document)
    ev_soc = cars | dict(options.pop("ev_soc", None) or {})
    battery_soc = batteries | dict(options.pop("battery_soc", None) or {})
    explicit = dict(options.pop("available_from", None) or {})
    return plan(
        scenario,
        pd.Timestamp(event_time),
        min(hours, 72.0),
        time_limit_s,
        method,
        ev_soc=ev_soc,
        battery_soc=battery_soc,
        unavailable_evs=tuple(options.pop("unavailable_evs", ())) + off,
        available_from=free | explicit,
        **options,
    )
