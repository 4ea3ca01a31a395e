"""Entities of the EV fleet (pure): each car as a ``Vehicle`` and, once its SoC is known, its traction battery as a
``StorageBatteryDevice`` + ``StorageBatteryMeasurement`` linked to the Vehicle by ``refVehicle`` (no Smart Data
Model describes a car as mobile storage; this is the mapping the Smart Data Models community suggests).

The EMS does not track cars: a Vehicle's ``location`` is its home base (the facility it is kept at). A car's SoC
reaches the EMS only through a charger at its base, and a charger does not say which car is plugged in, so a
reading is attributed to a car only where the base has exactly one car (a charger there reporting a connected
car with its SoC). Cars at shared bases (the city hall's two, the post office's three PHEVs) and the dealers'
cars have no battery entities until the chargers identify the car. Units: kWh, kW, SoC 0..1.
"""

from __future__ import annotations

import datetime as dt

from runtime.ngsi.attributes import Entity, prop, rel, urn
from runtime.ngsi.facility_entities import BatteryRatings, battery_device, battery_measurement, located
from runtime.ngsi.readings import DeviceReading
from runtime.ngsi.vocabulary import UNIT_KWH
from scenarios.model import ElectricVehicle, Facility, Scenario


def vehicle_id(namespace: str, ev: ElectricVehicle) -> str:
    """The URN of a car's Vehicle entity."""
    return urn("Vehicle", namespace, ev.id)


def vehicle(namespace: str, ev: ElectricVehicle, base: Facility) -> Entity:
    """A car as a Vehicle at its home base: city cars are municipal services, dealer cars private."""
    entity = located("Vehicle", vehicle_id(namespace, ev), ev.model, base, namespace)
    entity["vehicleType"] = prop("car")
    entity["category"] = prop(["municipalServices"] if ev.owner == "city" else ["private"])
    entity["fleetVehicleId"] = prop(ev.id)
    return entity


def car_soc(
    scenario: Scenario, ev: ElectricVehicle, readings: dict[str, DeviceReading]
) -> tuple[float, dt.datetime] | None:
    """The car's SoC (fraction) and when it was read, from a charger at its base reporting a connected car, if
    the car is the only one based there (`readings`: the base's good readings by device id); else None."""
    if len(scenario.evs_at(ev.home_facility)) != 1:
        return None
    base = scenario.facility(ev.home_facility)
    for charger in base.ev_chargers:
        reading = readings.get(charger.id)
        connected = reading.get("connected") if reading else None
        soc = reading.get("vehicle_soc") if reading else None
        if connected is not None and connected[0] >= 0.5 and soc is not None:
            return soc
    return None


def ev_battery_entities(
    namespace: str, ev: ElectricVehicle, base: Facility, soc: tuple[float, dt.datetime] | None
) -> list[Entity]:
    """The car's StorageBatteryDevice and StorageBatteryMeasurement (refVehicle to its Vehicle); none without a
    SoC reading. dischargePower: what the car can give a building (V2H, else its V2L outlet), kW."""
    if soc is None:
        return []
    local = ("vehicle", ev.id)
    name = f"{ev.model} ({ev.id}) traction battery"
    ratings = BatteryRatings(ev.capacity_kwh, ev.charge_kw, max(ev.v2h_kw, ev.v2l_kw))
    device = battery_device(namespace, base, soc[1], name, local, ratings)
    device["possibilityOfUse"] = prop("mobile")
    device["application"] = prop(["electricMobility", "emergencyStorage"])
    device["typeEnergySource"] = prop(["network"])
    device["refVehicle"] = rel(vehicle_id(namespace, ev))
    device["usableEnergy"] = prop(ev.capacity_kwh, UNIT_KWH)
    reading = DeviceReading({"soc": soc[0]}, {"soc": soc[1]})
    measurement = battery_measurement(namespace, base, device["id"], reading, name, local)
    return [device] if measurement is None else [device, measurement]
