"""Entities of one facility (pure: scenario data and live readings in, normalized NGSI-LD dicts out).

- ``Building`` (dataModel.Building): name (Japanese), alternateName (English), category, address, location as
  a GeoJSON Point from the scenario's coordinates, and the EMS's terms ``designatedShelter``, ``targetAutonomy``,
  ``tier1Autonomy`` / ``tier1AutonomyWithFleet`` / ``autonomyHorizon`` (hours, HUR).
- per PV array: ``PhotovoltaicDevice`` (NominalPower in W as the model documents it) and its output as a
  ``GreenEnergyMeasurement`` (solarPowerGenerated, kW). PhotovoltaicMeasurement is not used: it requires the panel
  temperature (≥ 0 °C) and the metering start date, which the inverters do not report.
- per battery: ``StorageBatteryDevice`` (usableEnergy kWh, charge/dischargePower kW, efficiencies 0..1) and
  ``StorageBatteryMeasurement`` (stateOfCharge 0..1 as the model bounds it, activePower kW + = discharge to the
  site, with batteryStatus givingEnergy / consumingEnergy / standby saying the direction).
- per EV charger: ``EVChargingStation`` (one socket: CHAdeMO for a V2H unit, J-1772 for an AC charger, the
  Japanese standards; powerConsumption kW, negative while a car discharges into the site).
- per meter: ``ThreePhaseAcMeasurement`` where the contract is ≥ 50 kW (high-voltage 6.6 kV three-phase
  service, the Japanese rule), else ``ACMeasurement`` with phaseType singlePhase (low-voltage 単相3線 service,
  assumed); totalActivePower in W (the models' unit; + = import), lifetime energies in kWh.

A device entity needs a reading (the models require dateLastReported / dateObserved): devices that never
reported a good value are left out until they do. Every entity at a facility has ``refBuilding``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from runtime.ngsi.attributes import Entity, datetime_prop, geo_point, prop, rel, urn
from runtime.ngsi.autonomy import ShelterAutonomy
from runtime.ngsi.readings import DeviceReading
from runtime.ngsi.vocabulary import UNIT_HOUR, UNIT_KW, UNIT_KWH, UNIT_ONE, UNIT_W
from scenarios.assets import Battery, EVCharger, Meter, PVArray
from scenarios.model import Facility, FacilityKind

DATA_PROVIDER = "Yamaguchi Green Energy EMS (山口グリーンエネルギー)"
CATEGORY: dict[FacilityKind, list[str]] = {
    FacilityKind.CITY_HALL: ["civic", "office"],
    FacilityKind.COMMUNITY_CENTRE: ["civic"],
    FacilityKind.BRANCH_OFFICE: ["civic", "office"],
    FacilityKind.SCHOOL: ["school"],
    FacilityKind.CLEANING_PLANT: ["industrial"],
    FacilityKind.PARK: ["public"],
    FacilityKind.OTHER: ["commercial"],
}
"""Building categories (the model's OpenStreetMap-derived enum) of each facility kind."""
HIGH_VOLTAGE_CONTRACT_KW = 50.0
"""Contracts of 50 kW and more are supplied at high voltage (高圧, 6.6 kV three-phase) in Japan."""
STANDBY_KW = 0.01
"""Battery power within ±this (kW) is reported as standby."""


@dataclass(frozen=True)
class BatteryRatings:
    """What a StorageBatteryDevice states: usable kWh, charge and discharge kW (AC), and the (charge, discharge)
    efficiencies as fractions if known."""

    capacity_kwh: float
    charge_kw: float
    discharge_kw: float
    efficiencies: tuple[float, float] | None = None


def building_id(namespace: str, facility: Facility) -> str:
    """The URN of a facility's Building entity."""
    return urn("Building", namespace, facility.id)


def located(entity_type: str, entity_id: str, name: str, facility: Facility, namespace: str) -> Entity:
    """id, type, name, location (the facility's point), dataProvider and refBuilding."""
    entity: Entity = {"id": entity_id, "type": entity_type, "name": prop(name)}
    entity["location"] = geo_point(facility.longitude, facility.latitude)
    entity["dataProvider"] = prop(DATA_PROVIDER)
    if entity_type != "Building":
        entity["refBuilding"] = rel(building_id(namespace, facility))
    return entity


def building(namespace: str, facility: Facility, autonomy: ShelterAutonomy | None) -> Entity:
    """The facility as a Building, with its shelter duty and (for shelters) the current autonomy."""
    entity = located("Building", building_id(namespace, facility), facility.name_ja, facility, namespace)
    entity["alternateName"] = prop(facility.name_en)
    entity["category"] = prop(CATEGORY[facility.kind])
    entity["address"] = prop({"addressCountry": "JP"})
    entity["designatedShelter"] = prop(facility.is_shelter)
    if facility.shelter is not None:
        entity["targetAutonomy"] = prop(facility.shelter.target_autonomy_h, UNIT_HOUR)
    if autonomy is not None:
        at = autonomy.computed_for
        entity["tier1Autonomy"] = prop(autonomy.on_site_h, UNIT_HOUR, at)
        entity["tier1AutonomyWithFleet"] = prop(autonomy.with_fleet_h, UNIT_HOUR, at)
        entity["autonomyHorizon"] = prop(autonomy.horizon_h, UNIT_HOUR, at)
    return entity


def pv_entities(namespace: str, facility: Facility, array: PVArray, reading: DeviceReading | None) -> list[Entity]:
    """PhotovoltaicDevice and GreenEnergyMeasurement of an array; none before the inverter reported."""
    newest = reading.newest if reading else None
    if reading is None or newest is None:
        return []
    device_id = urn("PhotovoltaicDevice", namespace, facility.id, array.id)
    device = located("PhotovoltaicDevice", device_id, f"{facility.name_en} PV {array.id}", facility, namespace)
    device["dateLastReported"] = datetime_prop(newest)
    device["NominalPower"] = prop(array.kwp * 1000.0, UNIT_W)
    device["application"] = prop(["electric"])
    device["possibilityOfUse"] = prop(["stationary"])
    power = reading.get("power_kw")
    if power is None:
        return [device]
    kw, at = power
    measurement = located(
        "GreenEnergyMeasurement",
        urn("GreenEnergyMeasurement", namespace, facility.id, array.id),
        f"{facility.name_en} PV {array.id} output",
        facility,
        namespace,
    )
    measurement["dateObserved"] = datetime_prop(at)
    measurement["solarPowerGenerated"] = prop(kw, UNIT_KW, at)
    measurement["refPhotovoltaicDevice"] = rel(device_id)
    return [device, measurement]


def battery_device(
    namespace: str,
    facility: Facility,
    newest: dt.datetime,
    name: str,
    local: tuple[str, ...],
    ratings: BatteryRatings,
) -> Entity:
    """StorageBatteryDevice (a stationary battery or a car's) last reporting at `newest` (tz-aware)."""
    entity = located("StorageBatteryDevice", urn("StorageBatteryDevice", namespace, *local), name, facility, namespace)
    entity["dateLastReported"] = datetime_prop(newest)
    entity["batteryType"] = prop("Li-Ion")  # assumed: every battery and car of the scenarios is lithium-ion
    entity["rechargeEnergySource"] = prop("electric")
    entity["usableEnergy"] = prop(ratings.capacity_kwh, UNIT_KWH)
    entity["chargePower"] = prop(ratings.charge_kw, UNIT_KW)
    entity["dischargePower"] = prop(ratings.discharge_kw, UNIT_KW)
    if ratings.efficiencies is not None:
        charge, discharge = ratings.efficiencies
        entity["chargeEfficiency"] = prop(charge, UNIT_ONE)
        entity["dischargeEfficiency"] = prop(discharge, UNIT_ONE)
        entity["roundTripEfficiency"] = prop(charge * discharge, UNIT_ONE)
    return entity


def battery_measurement(
    namespace: str, facility: Facility, device_id: str, reading: DeviceReading, name: str, local: tuple[str, ...]
) -> Entity | None:
    """StorageBatteryMeasurement from a reading with a good SoC (the model requires stateOfCharge), else None."""
    soc = reading.get("soc")
    if soc is None:
        return None
    entity = located(
        "StorageBatteryMeasurement", urn("StorageBatteryMeasurement", namespace, *local), name, facility, namespace
    )
    entity["dateObserved"] = datetime_prop(soc[1])
    entity["stateOfCharge"] = prop(min(max(soc[0], 0.0), 1.0), UNIT_ONE, soc[1])
    power = reading.get("power_kw")
    if power is not None:
        kw, at = power
        entity["activePower"] = prop(kw, UNIT_KW, at)
        status = "givingEnergy" if kw > STANDBY_KW else "consumingEnergy" if kw < -STANDBY_KW else "standby"
        entity["batteryStatus"] = prop(status, observed_at=at)
    entity["refStorageBatteryDevice"] = rel(device_id)
    return entity


def battery_entities(
    namespace: str, facility: Facility, battery: Battery, reading: DeviceReading | None
) -> list[Entity]:
    """StorageBatteryDevice (+ StorageBatteryMeasurement) of a stationary battery; none before it reported."""
    newest = reading.newest if reading else None
    if reading is None or newest is None:
        return []
    local = (facility.id, battery.id)
    name = f"{facility.name_en} battery {battery.id}"
    ratings = BatteryRatings(
        battery.capacity_kwh,
        battery.charge_kw,
        battery.discharge_kw,
        (battery.charge_efficiency, battery.discharge_efficiency),
    )
    device = battery_device(namespace, facility, newest, name, local, ratings)
    device["possibilityOfUse"] = prop("stationary")
    device["application"] = prop(["energyStorage", "emergencyStorage"] if facility.is_shelter else ["energyStorage"])
    device["typeEnergySource"] = prop(["network", "photovoltaic"] if facility.pv_arrays else ["network"])
    measurement = battery_measurement(namespace, facility, device["id"], reading, name, local)
    return [device] if measurement is None else [device, measurement]


def charger_entity(namespace: str, facility: Facility, charger: EVCharger, reading: DeviceReading | None) -> Entity:
    """EVChargingStation of one charge point, with its live state when it reported."""
    entity = located(
        "EVChargingStation",
        urn("EVChargingStation", namespace, facility.id, charger.id),
        f"{facility.name_en} charger {charger.id}",
        facility,
        namespace,
    )
    entity["socketType"] = prop(["CHAdeMO"] if charger.bidirectional else ["J-1772"])
    entity["capacity"] = prop(1)
    entity["socketNumber"] = prop(1)
    entity["allowedVehicleType"] = prop(["car"])
    if reading is None:
        return entity
    connected = reading.get("connected")
    if connected is not None:
        entity["availableCapacity"] = prop(0 if connected[0] >= 0.5 else 1, observed_at=connected[1])
        entity["status"] = prop("working", observed_at=connected[1])
    power = reading.get("power_kw")
    if power is not None:
        entity["powerConsumption"] = prop(power[0], UNIT_KW, power[1])
    return entity


def meter_entity(namespace: str, facility: Facility, meter: Meter, reading: DeviceReading | None) -> Entity | None:
    """ThreePhaseAcMeasurement / ACMeasurement of a meter with a good power reading, else None."""
    power = reading.get("power_kw") if reading else None
    if reading is None or power is None:
        return None
    three_phase = facility.grid_contract_kw >= HIGH_VOLTAGE_CONTRACT_KW
    kind = "ThreePhaseAcMeasurement" if three_phase else "ACMeasurement"
    entity = located(
        kind, urn(kind, namespace, facility.id, meter.id), f"{facility.name_en} meter {meter.id}", facility, namespace
    )
    if not three_phase:
        entity["phaseType"] = prop("singlePhase")
    entity["dateObserved"] = datetime_prop(power[1])
    entity["totalActivePower"] = prop(power[0] * 1000.0, UNIT_W, power[1])
    for point, attribute in (("import_kwh", "totalActiveEnergyImport"), ("export_kwh", "totalActiveEnergyExport")):
        energy = reading.get(point)
        if energy is not None and energy[0] >= 0:
            entity[attribute] = prop(energy[0], UNIT_KWH, energy[1])
    return entity
