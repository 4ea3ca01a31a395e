"""Every entity the EMS publishes for a scenario, each with the facility it belongs to (for the facility manager's
view): pure ``build_catalogue`` from the scenario, facility statuses and shelter autonomy, and ``live_catalogue``
reading the live status from the store.

Order: per facility in scenario order, its Building, then PV, batteries, chargers, meters, then the cars based
there (Vehicle, battery). Ids are unique (ValueError naming the duplicates otherwise).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from runtime.ngsi.attributes import Entity
from runtime.ngsi.autonomy import AutonomyCache, ShelterAutonomy
from runtime.ngsi.facility_entities import battery_entities, building, charger_entity, meter_entity, pv_entities
from runtime.ngsi.fleet_entities import car_soc, ev_battery_entities, vehicle
from runtime.ngsi.readings import device_readings
from runtime.store.db import Store
from runtime.store.status import FacilityStatus, city_status
from scenarios.model import Facility, Scenario


@dataclass(frozen=True)
class Published:
    """One entity (normalized, without @context) and the facility it belongs to."""

    entity: Entity
    facility_id: str

    @property
    def id(self) -> str:
        """The entity's URN."""
        return str(self.entity["id"])

    @property
    def type(self) -> str:
        """The entity's type."""
        return str(self.entity["type"])


def facility_entities(
    namespace: str,
    scenario: Scenario,
    facility: Facility,
    status: FacilityStatus | None,
    autonomy: ShelterAutonomy | None,
) -> list[Entity]:
    """The Building, its devices' entities and the cars based at the facility."""
    readings = device_readings(status)
    entities = [building(namespace, facility, autonomy)]
    for array in facility.pv_arrays:
        entities += pv_entities(namespace, facility, array, readings.get(array.id))
    for battery in facility.batteries:
        entities += battery_entities(namespace, facility, battery, readings.get(battery.id))
    entities += [charger_entity(namespace, facility, c, readings.get(c.id)) for c in facility.ev_chargers]
    meters = [meter_entity(namespace, facility, m, readings.get(m.id)) for m in facility.meters]
    entities += [m for m in meters if m is not None]
    for ev in scenario.evs_at(facility.id):
        entities.append(vehicle(namespace, ev, facility))
        entities += ev_battery_entities(namespace, ev, facility, car_soc(scenario, ev, readings))
    return entities


def build_catalogue(
    scenario: Scenario, statuses: list[FacilityStatus], autonomy: Mapping[str, ShelterAutonomy]
) -> list[Published]:
    """Every entity of the scenario from its facilities' statuses and the shelters' autonomy (pure)."""
    by_id = {s.facility_id: s for s in statuses}
    published = [
        Published(entity, f.id)
        for f in scenario.facilities
        for entity in facility_entities(scenario.name, scenario, f, by_id.get(f.id), autonomy.get(f.id))
    ]
    duplicates = [i for i, n in Counter(p.id for p in published).items() if n > 1]
    if duplicates:
        raise ValueError(f"entity ids: {duplicates} are not unique; rename the facility or device ids")
    return published


def live_catalogue(store: Store, scenario: Scenario, now: dt.datetime, autonomy: AutonomyCache) -> list[Published]:
    """The catalogue from the store's latest values at `now` (tz-aware) and the slot's shelter autonomy (battery
    SoC as measured where a battery reported one)."""
    statuses = city_status(store, scenario, now)
    soc = {s.facility_id: s.battery_soc for s in statuses if s.battery_soc is not None}
    return build_catalogue(scenario, statuses, autonomy.get(scenario, now, soc))
