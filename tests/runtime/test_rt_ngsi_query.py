# mypy: allow-untyped-defs, allow-incomplete-defs
"""The NGSI-LD query language and Query Entities filters over Yamaguchi's catalogue (runtime.ngsi.query)."""

from __future__ import annotations

import datetime as dt

import pytest
from ngsi_fixtures import readings_for

from runtime.ngsi.catalogue import build_catalogue
from runtime.ngsi.query import feature, paging, parse_entity_query, represent, select
from runtime.ngsi.query_language import QueryError, parse_query
from runtime.store import readings
from runtime.store.status import city_status
from scenarios.loader import load_builtin

NOW = dt.datetime(2024, 8, 1, 3, 7, tzinfo=dt.UTC)
YAMAGUCHI = load_builtin("yamaguchi")


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    from runtime.store.db import open_store

    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('ngsiq') / 'ems.db'}")
    rows = readings_for(YAMAGUCHI, NOW)
    # one battery fuller than the rest, to tell the comparisons apart
    rows = [
        r if (r.facility_id, r.point) != ("ato-cc", "soc") else r.__class__(**{**r.__dict__, "value": 0.9})
        for r in rows
    ]
    readings.write_readings(store, rows)
    published = build_catalogue(YAMAGUCHI, city_status(store, YAMAGUCHI, NOW), {})
    store.dispose()
    return published


def ids(catalogue, q):
    predicate = parse_query(q)
    return [p.id for p in catalogue if predicate(p.entity)]


def test_numeric_comparisons_on_values(catalogue):
    assert ids(catalogue, "stateOfCharge>0.8") == ["urn:ngsi-ld:StorageBatteryMeasurement:yamaguchi:ato-cc:bat1"]
    assert len(ids(catalogue, "stateOfCharge>0.5")) == 10  # 9 stationary + the Shiraishi Leaf (0.55)
    assert len(ids(catalogue, "stateOfCharge>=0.7;stateOfCharge<0.9")) == 8
    assert len(ids(catalogue, "stateOfCharge==0.5..0.6")) == 1  # the Leaf
    assert ids(catalogue, "stateOfCharge<0") == []


def test_strings_lists_booleans_relationships_and_dates(catalogue):
    assert len(ids(catalogue, "designatedShelter==true")) == 21
    assert len(ids(catalogue, 'category=="school"')) == 8  # a list value matches if an element does
    assert len(ids(catalogue, 'category=="school","industrial"')) == 9
    hall = ids(catalogue, 'refBuilding=="urn:ngsi-ld:Building:yamaguchi:city-hall"')
    # PV device and output, battery device and measurement, two chargers, the meter, two cars
    assert "urn:ngsi-ld:Vehicle:yamaguchi:bz4x-1" in hall
    assert len(hall) == 9
    assert len(ids(catalogue, "dateObserved>=2024-08-01T03:07:00Z")) > 0
    assert ids(catalogue, "dateObserved>2024-08-01T03:07:00.000Z") == []
    assert ids(catalogue, 'name~="^Atō Community"') == [
        "urn:ngsi-ld:PhotovoltaicDevice:yamaguchi:ato-cc:pv1",
        "urn:ngsi-ld:GreenEnergyMeasurement:yamaguchi:ato-cc:pv1",
        "urn:ngsi-ld:StorageBatteryDevice:yamaguchi:ato-cc:bat1",
        "urn:ngsi-ld:StorageBatteryMeasurement:yamaguchi:ato-cc:bat1",
        "urn:ngsi-ld:ACMeasurement:yamaguchi:ato-cc:m1",
    ]


def test_or_and_precedence_parentheses_members_and_existence(catalogue):
    # ';' binds tighter: (shelter AND PV-measured) OR vehicle
    q = 'designatedShelter==false;category=="school"|vehicleType=="car"'
    assert len(ids(catalogue, q)) == 8 + 12
    assert ids(catalogue, '(vehicleType=="car"|designatedShelter==true);fleetVehicleId=="cpod-1"') == [
        "urn:ngsi-ld:Vehicle:yamaguchi:cpod-1"
    ]
    assert len(ids(catalogue, 'stateOfCharge.unitCode=="C62"')) == 10
    assert len(ids(catalogue, 'address[addressCountry]=="JP"')) == 40
    assert len(ids(catalogue, "solarPowerGenerated")) == 19
    iri = "https://smartdatamodels.org/dataModel.Battery/stateOfCharge"
    assert ids(catalogue, f"{iri}>0.8") == ids(catalogue, "stateOfCharge>0.8")


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("stateOfCharge>", "needs an attribute, an operator and a value"),
        ("(stateOfCharge>1", "expected '\\)'"),
        ("stateOfCharge>1;", "expected a comparison"),
        ('name=="open', "unterminated string"),
        ('name~="("', "invalid pattern"),
        ("", "empty"),
        ("x" * 2001, "at most 2000"),
        ("(" * 17 + "a" + ")" * 17, "nested"),
        ("a==1)", "unexpected"),
    ],
)
def test_malformed_queries_are_refused_with_the_reason(q, message):
    with pytest.raises(QueryError, match=message):
        parse_query(q)


def test_filters_projection_and_paging(catalogue):
    def run(**kw):
        return [p.id for p in select(catalogue, parse_entity_query(**kw), lambda f: True)]

    assert len(run(type_="Building,Vehicle")) == 52
    iri = "https://smartdatamodels.org/dataModel.Transportation/Vehicle"
    assert run(type_=iri) == run(type_="Vehicle")
    assert run(id_="urn:ngsi-ld:Building:yamaguchi:ato-cc,urn:ngsi-ld:Vehicle:yamaguchi:cpod-1") == [
        "urn:ngsi-ld:Vehicle:yamaguchi:cpod-1",  # catalogue order: city hall first
        "urn:ngsi-ld:Building:yamaguchi:ato-cc",
    ]
    assert len(run(id_pattern=":ato-cc")) == 6
    assert len(run(attrs="tier1Autonomy,socketType")) == 6  # no autonomy given here: the six chargers
    only_city_hall = [p.id for p in select(catalogue, parse_entity_query(type_="Vehicle"), lambda f: f == "city-hall")]
    assert only_city_hall == ["urn:ngsi-ld:Vehicle:yamaguchi:bz4x-1", "urn:ngsi-ld:Vehicle:yamaguchi:cpod-1"]
    with pytest.raises(QueryError, match="at least one"):
        parse_entity_query()
    with pytest.raises(QueryError, match="not a URI"):
        parse_entity_query(id_="bz4x-1")
    with pytest.raises(QueryError, match="idPattern"):
        parse_entity_query(id_pattern="(")
    assert paging(None, None) == (20, 0)
    assert paging("1000", "5") == (1000, 5)
    for limit, offset, message in (("1001", None, "maximum"), ("-1", None, "non-negative"), (None, "x", "offset")):
        with pytest.raises(QueryError, match=message):
            paging(limit, offset)


def test_representations(catalogue):
    entity = next(p.entity for p in catalogue if p.id == "urn:ngsi-ld:StorageBatteryMeasurement:yamaguchi:ato-cc:bat1")
    simple = represent(entity, ("stateOfCharge", "dateObserved"), simplified=True)
    assert simple == {
        "id": entity["id"],
        "type": "StorageBatteryMeasurement",
        "dateObserved": "2024-08-01T03:07:00.000Z",
        "stateOfCharge": 0.9,
    }
    ld = represent(entity, with_context=True)
    assert ld["@context"][0].endswith("dataModel.Building/master/context.jsonld")
    assert ld["@context"][1].endswith("dataModel.Battery/master/context.jsonld")
    assert "@context" not in entity  # the catalogue's entity is not changed
    geo = feature(entity, ("stateOfCharge",), simplified=True)
    assert geo == {
        "id": entity["id"],
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [131.58, 34.35]},
        "properties": {"type": "StorageBatteryMeasurement", "stateOfCharge": 0.9},
    }
