"""Hours of tier-1 autonomy of each shelter from now, from the outage façade (runtime.facades.outage_planning).

The outage planner's greedy plan (its load-following rule) is run from the current slot for `hours` with each
shelter's measured battery SoC (the scenario's assumed SoC where no battery reported one) and the forecast PV
(clear sky), twice: without the EV fleet (the shelter on its own PV and battery) and with it. A shelter's
autonomy is the hours until the first slot whose critical load is not fully served ("hours_until_dark" of the
plan's shelter table): the critical load of the shelter duty, which is tier 1 (lighting, communications, medical
devices, phone charging) until the service tiers of the outage work land. A value equal to `hours` means at
least that long. Computed at most once per 30-minute slot (``AutonomyCache``), about 0.5 s on Yamaguchi.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from scenarios.model import Scenario
from scenarios.timegrid import floor_to_slot

log = logging.getLogger(__name__)
HORIZON_H = 72.0
"""Hours simulated (the Cabinet Office's 72-hour target)."""


@dataclass(frozen=True)
class ShelterAutonomy:
    """One shelter's autonomy in hours from `computed_for` (the slot start, tz-aware).

    on_site_h: PV + battery only; with_fleet_h: with the EV fleet as the greedy plan sends it; horizon_h: hours
    simulated (a value equal to it means at least that long)."""

    facility_id: str
    on_site_h: float
    with_fleet_h: float
    horizon_h: float
    computed_for: dt.datetime


def shelter_autonomy(
    scenario: Scenario, now: dt.datetime, battery_soc: Mapping[str, float], hours: float = HORIZON_H
) -> dict[str, ShelterAutonomy]:
    """Autonomy of every shelter for an outage starting in the slot of `now` (tz-aware); battery_soc: measured
    SoC (fraction) by facility id. Empty for a scenario without shelters."""
    if not scenario.shelters:
        return {}
    from runtime.facades import outage_planning as outage

    start, _ = outage.outage_start(now)
    soc = dict(battery_soc)
    alone = outage.plan(
        scenario, start, hours, method="greedy", battery_soc=soc, unavailable_evs=tuple(e.id for e in scenario.evs)
    ).shelter_table()
    fleet = outage.plan(scenario, start, hours, method="greedy", battery_soc=soc).shelter_table()
    at = start.to_pydatetime()
    return {
        str(sid): ShelterAutonomy(
            str(sid),
            float(alone.loc[sid, "hours_until_dark"]),
            float(fleet.loc[sid, "hours_until_dark"]),
            hours,
            at,
        )
        for sid in alone.index
    }


class AutonomyCache:
    """The autonomy of the current slot, computed once per slot (thread-safe); a failure is logged and gives
    no autonomy for that slot rather than no entities."""

    def __init__(self, hours: float = HORIZON_H) -> None:
        self.hours = hours
        self._slot: dt.datetime | None = None
        self._value: dict[str, ShelterAutonomy] = {}
        self._lock = threading.Lock()

    def get(self, scenario: Scenario, now: dt.datetime, battery_soc: Mapping[str, float]) -> dict[str, ShelterAutonomy]:
        """The autonomy for the slot of `now` (tz-aware), recomputed when the slot changes."""
        slot = floor_to_slot(now).to_pydatetime()
        with self._lock:
            if self._slot != slot:
                try:
                    self._value = shelter_autonomy(scenario, now, battery_soc, self.hours)
                except Exception:  # the platform still gets every other entity
                    log.exception("shelter autonomy for %s failed; entities go without it this slot", slot)
                    self._value = {}
                self._slot = slot
            return self._value
