"""Readiness before a forecast event feeding the outage plan: the SoC the readiness targets set (city cars
pre-charged to their target, shelter batteries holding their raised reserve) and the fleet calendar at the
event become the plan's inputs, in one call or through the readiness.json file the CLI writes.

Times tz-aware (Asia/Tokyo shown); SoC as fractions 0..1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from runtime.facades.outage_planning import OutagePlan, availability, plan, readiness
from scenarios.model import Scenario


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


def readiness_document(
    scenario: Scenario, event_time: pd.Timestamp, hours: float, ev_target_soc: float
) -> dict[str, Any]:
    """The readiness targets at `event_time` and the fleet calendar there, JSON-ready (ISO timestamps)."""
    targets, _ = readiness(scenario, event_time, hours, ev_target_soc)
    cars = [
        {
            "car": a.car,
            "state": a.state,
            "reason": a.reason,
            "back_at": None if a.back_at is None else a.back_at.isoformat(),
            "free_from": None if a.free_from is None else a.free_from.isoformat(),
        }
        for a in availability(scenario, pd.Timestamp(event_time))
    ]
    return {**targets.to_dict(), "availability": cars}


def write_readiness(document: dict[str, Any], path: Path) -> Path:
    """Write the readiness document as JSON (readiness.json)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


def read_readiness_soc(path: Path) -> tuple[dict[str, float], dict[str, float]]:
    """The SoC a readiness.json sets for the plan (see `readiness_soc`); ValueError naming the file."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"--readiness: cannot read {path}: {exc}") from None
    return readiness_soc(document)


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
    raised reserve) and the fleet calendar at the event; `options` as runtime.facades.outage_planning.plan
    (explicit ev_soc / battery_soc entries override readiness's)."""
    targets, _ = readiness(scenario, event_time, hours, ev_target_soc)
    cars, batteries = readiness_soc(targets.to_dict())
    ev_soc = cars | dict(options.pop("ev_soc", None) or {})
    battery_soc = batteries | dict(options.pop("battery_soc", None) or {})
    return plan(
        scenario,
        pd.Timestamp(event_time),
        min(hours, 72.0),
        time_limit_s,
        method,
        ev_soc=ev_soc,
        battery_soc=battery_soc,
        **options,
    )
