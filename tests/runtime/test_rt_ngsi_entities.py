# mypy: allow-untyped-defs, allow-incomplete-defs
"""NGSI-LD entities of Yamaguchi (runtime.ngsi): every published type validated against its vendored Smart
Data Model schema, the normalized form and the context terms; what is (and is not) published; shelter autonomy
checked by hand on 'tiny'."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from ngsi_fixtures import BATTERY_SOC, CAR_SOC, METER_KW, PV_KW, readings_for

from runtime.ngsi.autonomy import AutonomyCache, ShelterAutonomy, shelter_autonomy
from runtime.ngsi.catalogue import build_catalogue, live_catalogue
from runtime.ngsi.validate import problems
from runtime.ngsi.vocabulary import ENTITY_SUBJECT, entity_context
from runtime.store import readings
from runtime.store.status import city_status
from scenarios.loader import load_builtin

NOW = dt.datetime(2024, 8, 1, 3, 7, tzinfo=dt.UTC)  # 12:07 JST
AT = dt.datetime(2024, 8, 1, 3, 0, tzinfo=dt.UTC)
YAMAGUCHI = load_builtin("yamaguchi")


def autonomy_of(scenario, hours=(10.0, 30.0)):
    return {f.id: ShelterAutonomy(f.id, hours[0], hours[1], 72.0, AT) for f in scenario.shelters}


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    """Yamaguchi with every device read good at NOW; autonomy given (the façade is tested on 'tiny' below)."""
    from runtime.store.db import open_store

    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('ngsi') / 'ems.db'}")
    readings.write_readings(store, readings_for(YAMAGUCHI, NOW))
    published = build_catalogue(YAMAGUCHI, city_status(store, YAMAGUCHI, NOW), autonomy_of(YAMAGUCHI))
    store.dispose()
    return published


def by_id(catalogue, entity_id):
    return next(p.entity for p in catalogue if p.id == entity_id)


@pytest.mark.parametrize("entity_type", sorted(ENTITY_SUBJECT))
def test_every_entity_of_each_type_validates_against_its_schema(catalogue, entity_type):
    entities = [p.entity for p in catalogue if p.type == entity_type]
    assert entities, f"Yamaguchi publishes no {entity_type}"
    assert [msg for e in entities for msg in problems(e)] == []


def test_the_catalogue_counts_what_yamaguchi_has(catalogue):
    counts = {t: sum(p.type == t for p in catalogue) for t in ENTITY_SUBJECT}
    facilities = YAMAGUCHI.facilities
    assert counts["Building"] == len(facilities) == 40
    assert counts["PhotovoltaicDevice"] == counts["GreenEnergyMeasurement"] == sum(len(f.pv_arrays) for f in facilities)
    assert counts["EVChargingStation"] == sum(len(f.ev_chargers) for f in facilities)
    assert counts["ThreePhaseAcMeasurement"] + counts["ACMeasurement"] == sum(len(f.meters) for f in facilities)
    assert counts["Vehicle"] == len(YAMAGUCHI.evs) == 12
    # 9 stationary batteries + the Leaf at Shiraishi (the only car alone at a base with a charger)
    assert counts["StorageBatteryDevice"] == counts["StorageBatteryMeasurement"] == 10
    assert len({p.id for p in catalogue}) == len(catalogue)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e["stateOfCharge"].update(value=1.5),  # the model bounds SoC to 0..1
        lambda e: e.pop("dateObserved"),  # required
        lambda e: e.update(stateofCharge={"type": "Property", "value": 0.5}),  # not a term of the context
        lambda e: e["activePower"].update(unitCode="KW"),  # not a UN/CEFACT code
        lambda e: e["stateOfCharge"].update(observedAt="2024-08-01 03:07"),  # not ISO 8601 UTC
        lambda e: e["refStorageBatteryDevice"].update(object="bat1"),  # a Relationship names a URN
        lambda e: e["dateObserved"]["value"].update({"@value": "yesterday"}),  # date-time format
    ],
)
def test_the_validator_catches_a_broken_entity(catalogue, mutate):
    entity = copy.deepcopy(by_id(catalogue, "urn:ngsi-ld:StorageBatteryMeasurement:yamaguchi:city-hall:bat1"))
    assert problems(entity) == []
    mutate(entity)
    assert problems(entity), "a broken entity passed validation"


def test_building_has_the_scenario_location_names_and_autonomy(catalogue):
    hall = by_id(catalogue, "urn:ngsi-ld:Building:yamaguchi:city-hall")
    assert hall["location"] == {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [131.474, 34.178]}}
    assert hall["name"]["value"] == "山口市役所 本庁舎"
    assert hall["category"]["value"] == ["civic", "office"]
    assert hall["designatedShelter"]["value"] is False
    assert "tier1Autonomy" not in hall
    centre = by_id(catalogue, "urn:ngsi-ld:Building:yamaguchi:hirakawa-cc")
    assert centre["tier1Autonomy"] == {
        "type": "Property",
        "value": 10.0,
        "unitCode": "HUR",
        "observedAt": "2024-08-01T03:00:00.000Z",
    }
    assert centre["tier1AutonomyWithFleet"]["value"] == 30.0
    assert centre["targetAutonomy"]["value"] == 72.0
    terms = entity_context("Building")[-2]
    assert isinstance(terms, dict)
    assert terms["tier1Autonomy"].startswith("urn:yamaguchi-ems:")


def test_live_values_carry_units_and_measurement_times(catalogue):
    battery = by_id(catalogue, "urn:ngsi-ld:StorageBatteryMeasurement:yamaguchi:hirakawa-cc:bat1")
    assert battery["stateOfCharge"] == {
        "type": "Property",
        "value": BATTERY_SOC,
        "unitCode": "C62",
        "observedAt": "2024-08-01T03:07:00.000Z",
    }
    assert battery["activePower"]["value"] == -2.0
    assert battery["batteryStatus"]["value"] == "consumingEnergy"
    assert battery["refStorageBatteryDevice"]["object"] == "urn:ngsi-ld:StorageBatteryDevice:yamaguchi:hirakawa-cc:bat1"
    pv = by_id(catalogue, "urn:ngsi-ld:GreenEnergyMeasurement:yamaguchi:ogori-branch:pv1")
    assert pv["solarPowerGenerated"]["value"] == PV_KW
    assert pv["solarPowerGenerated"]["unitCode"] == "KWT"
    assert (
        by_id(catalogue, "urn:ngsi-ld:PhotovoltaicDevice:yamaguchi:ogori-branch:pv1")["NominalPower"]["value"]
        == 72200.0
    )
    device = by_id(catalogue, "urn:ngsi-ld:StorageBatteryDevice:yamaguchi:ogori-branch:bat1")
    assert device["usableEnergy"] == {"type": "Property", "value": 9.8, "unitCode": "KWH"}


def test_meters_follow_the_supply_voltage_and_report_watts(catalogue):
    hall = by_id(catalogue, "urn:ngsi-ld:ThreePhaseAcMeasurement:yamaguchi:city-hall:m1")  # 900 kW contract
    assert hall["totalActivePower"] == {
        "type": "Property",
        "value": METER_KW * 1000,
        "unitCode": "WTT",
        "observedAt": "2024-08-01T03:07:00.000Z",
    }
    assert hall["totalActiveEnergyImport"]["value"] == 1234.0
    centre = by_id(catalogue, "urn:ngsi-ld:ACMeasurement:yamaguchi:ohdono-cc:m1")  # 40 kW: low voltage
    assert centre["phaseType"]["value"] == "singlePhase"


def test_a_car_alone_at_its_base_gets_its_battery_linked_to_its_vehicle(catalogue):
    battery = by_id(catalogue, "urn:ngsi-ld:StorageBatteryDevice:yamaguchi:vehicle:leaf-shiraishi")
    assert battery["refVehicle"]["object"] == "urn:ngsi-ld:Vehicle:yamaguchi:leaf-shiraishi"
    assert battery["possibilityOfUse"]["value"] == "mobile"
    assert battery["dischargePower"]["value"] == 6.0
    soc = by_id(catalogue, "urn:ngsi-ld:StorageBatteryMeasurement:yamaguchi:vehicle:leaf-shiraishi")
    assert soc["stateOfCharge"]["value"] == CAR_SOC
    vehicle = by_id(catalogue, "urn:ngsi-ld:Vehicle:yamaguchi:leaf-shiraishi")
    assert vehicle["location"]["value"]["coordinates"] == [131.465, 34.17]  # its base, Shiraishi centre
    ids = {p.id for p in catalogue}
    # two cars share the city hall's chargers: a charger's SoC cannot be told apart, so no battery entity
    assert "urn:ngsi-ld:StorageBatteryDevice:yamaguchi:vehicle:bz4x-1" not in ids
    assert by_id(catalogue, "urn:ngsi-ld:Vehicle:yamaguchi:dealer-leaf-1")["category"]["value"] == ["private"]


def test_devices_without_a_good_reading_are_not_published(tmp_path):
    from runtime.store.db import open_store

    tiny = load_builtin("tiny")
    store = open_store(f"sqlite:///{tmp_path / 'ems.db'}")
    rows = [r for r in readings_for(tiny, NOW) if r.device_id != "pv1" or r.facility_id != "school"]
    rows = [r if r.facility_id != "centre" else r.__class__(**{**r.__dict__, "quality": "substituted"}) for r in rows]
    readings.write_readings(store, rows)
    ids = {p.id for p in build_catalogue(tiny, city_status(store, tiny, NOW), {})}
    store.dispose()
    assert "urn:ngsi-ld:Building:tiny:school" in ids
    assert not any(i.startswith("urn:ngsi-ld:PhotovoltaicDevice:tiny:school") for i in ids)  # never read
    assert not any(":tiny:centre:" in i for i in ids)  # substituted values are not measurements
    assert "urn:ngsi-ld:ThreePhaseAcMeasurement:tiny:office:m1" in ids
    assert "urn:ngsi-ld:EVChargingStation:tiny:office:v2h1" in ids


def test_autonomy_from_the_outage_facade_matches_the_hand_calculation():
    """'tiny' centre at 22:05 JST (no PV until dawn): battery 16.4 kWh from SoC 0.6 to its floor 0.1 gives
    8.2 kWh x 0.95 = 7.79 kWh against 2.0 kW critical load, 1.0 kWh a slot: 7 full slots = 3.5 h (the 8th
    would need 1.0 kWh, 0.79 is left). From SoC 0.3: 3.28 x 0.95 = 3.12 kWh, 3 slots = 1.5 h."""
    tiny = load_builtin("tiny")
    night = dt.datetime(2024, 6, 10, 13, 5, tzinfo=dt.UTC)
    assert shelter_autonomy(tiny, night, {"centre": 0.6})["centre"].on_site_h == 3.5
    low = shelter_autonomy(tiny, night, {"centre": 0.3})["centre"]
    assert low.on_site_h == 1.5
    assert low.with_fleet_h >= low.on_site_h
    assert low.computed_for == dt.datetime(2024, 6, 10, 13, 0, tzinfo=dt.UTC)


def test_autonomy_is_computed_once_per_slot(tmp_path, monkeypatch):
    from runtime.ngsi import autonomy
    from runtime.store.db import open_store

    calls = []

    def counted(scenario, now, soc, hours):
        calls.append(now)
        return autonomy_of(scenario)

    monkeypatch.setattr(autonomy, "shelter_autonomy", counted)
    tiny = load_builtin("tiny")
    store = open_store(f"sqlite:///{tmp_path / 'ems.db'}")
    cache = AutonomyCache()
    for minute in (1, 10, 29, 31):
        live_catalogue(store, tiny, NOW.replace(minute=minute), cache)
    store.dispose()
    assert len(calls) == 2  # 03:00 slot, then 03:30
