"""Readiness before a forecast event (typhoon warning): raised shelter reserves and fleet pre-charge targets.

Produces data for the day-ahead planner: the reserve each shelter battery should hold (kWh, hours of
critical load) and the SoC each car should reach by the event time, and a Scenario carrying them
(shelter.reserve_hours, battery.reserve_soc, EV plug-window departure_soc) via model_copy.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from scenarios.model import PlugWindow, Scenario


@dataclass(frozen=True)
class ShelterReserve:
    """Raised reserve of one shelter: hours of base critical load kept in its batteries and the kWh that is."""

    shelter: str
    reserve_hours: float
    reserve_kwh: float
    reserve_soc: float
    previous_reserve_hours: float


@dataclass(frozen=True)
class EVTarget:
    """State of charge (fraction) a car should have by `by` (tz-aware)."""

    car: str
    target_soc: float
    by: pd.Timestamp
    previous_soc: float


@dataclass(frozen=True)
class ReadinessTargets:
    """Reserves and pre-charge targets for an event at `event_time`, aiming at `hours` of autonomy."""

    event_time: pd.Timestamp
    hours: float
    shelters: tuple[ShelterReserve, ...]
    evs: tuple[EVTarget, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (ISO timestamps)."""
        return {
            "event_time": self.event_time.isoformat(),
            "hours": self.hours,
            "shelters": [asdict(s) for s in self.shelters],
            "evs": [{**asdict(e), "by": e.by.isoformat()} for e in self.evs],
        }

    def shelter_frame(self) -> pd.DataFrame:
        """Shelter reserves as a table indexed by shelter id."""
        return pd.DataFrame([asdict(s) for s in self.shelters]).set_index("shelter")


def readiness_targets(
    scenario: Scenario, event_time: pd.Timestamp, hours: float = 72.0, ev_target_soc: float = 0.95
) -> ReadinessTargets:
    """Reserve = min(hours × base critical kW, the battery's usable kWh) per shelter with batteries; every car
    (dealer cars excluded: not the city's to charge) to at least ev_target_soc by event_time."""
    if pd.Timestamp(event_time).tzinfo is None:
        raise ValueError("event_time: give a timezone, e.g. '2024-09-01T14:00+09:00'")
    if not 0 < ev_target_soc <= 1:
        raise ValueError(f"ev_target_soc: {ev_target_soc} must be in (0, 1]")
    shelters = []
    for f in scenario.shelters:
        if not f.batteries or f.shelter is None:
            continue
        usable = sum((b.soc_max - b.soc_min) * b.capacity_kwh for b in f.batteries)
        kwh = min(hours * f.shelter.critical_load_kw, usable)
        soc_min = sum(b.soc_min * b.capacity_kwh for b in f.batteries) / f.battery_kwh
        shelters.append(
            ShelterReserve(
                shelter=f.id,
                reserve_hours=max(kwh / f.shelter.critical_load_kw, f.shelter.reserve_hours),
                reserve_kwh=kwh,
                reserve_soc=min(soc_min + kwh / f.battery_kwh, 1.0),
                previous_reserve_hours=f.shelter.reserve_hours,
            )
        )
    evs = tuple(
        EVTarget(
            car=e.id,
            target_soc=max(ev_target_soc, e.initial_soc),
            by=pd.Timestamp(event_time),
            previous_soc=max((w.departure_soc for w in [*e.weekday, *e.weekend]), default=e.initial_soc),
        )
        for e in scenario.evs
        if e.owner == "city"
    )
    return ReadinessTargets(pd.Timestamp(event_time), hours, tuple(shelters), evs)


def readiness_scenario(scenario: Scenario, targets: ReadinessTargets) -> Scenario:
    """A copy of the scenario with the raised reserves (shelter.reserve_hours, battery.reserve_soc at least the
    reserve SoC) and every plug window's departure_soc raised to the car's target."""
    reserves = {r.shelter: r for r in targets.shelters}
    soc = {e.car: e.target_soc for e in targets.evs}
    facilities = []
    for f in scenario.facilities:
        r = reserves.get(f.id)
        if r is None or f.shelter is None:
            facilities.append(f)
            continue
        batteries = [
            b.model_copy(update={"reserve_soc": min(max(b.reserve_soc, r.reserve_soc), b.soc_max)}) for b in f.batteries
        ]
        shelter = f.shelter.model_copy(update={"reserve_hours": r.reserve_hours})
        facilities.append(f.model_copy(update={"shelter": shelter, "batteries": batteries}))
    evs = []
    for e in scenario.evs:
        if e.id not in soc:
            evs.append(e)
            continue
        evs.append(
            e.model_copy(update={"weekday": _raised(e.weekday, soc[e.id]), "weekend": _raised(e.weekend, soc[e.id])})
        )
    return scenario.model_copy(update={"facilities": facilities, "evs": evs})


def _raised(windows: list[PlugWindow], soc: float) -> list[PlugWindow]:
    return [w.model_copy(update={"departure_soc": max(w.departure_soc, soc)}) for w in windows]
