# mypy: allow-untyped-defs, allow-incomplete-defs
"""The /ngsi-ld/v1 endpoint: queries, retrieve, content negotiation and the Link header, ProblemDetails errors,
the API's authentication and the facility manager's scope; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import service_fixtures
from fastapi.testclient import TestClient
from ngsi_fixtures import readings_for
from service_fixtures import TEST_NOW, add_users, login, make_service

from api.app import create_app
from runtime.ngsi.validate import problems
from runtime.store import readings
from runtime.store.db import open_store

any_store = service_fixtures.any_store
CONTEXT_LINK = '<http://testserver/ngsi-ld/v1/jsonldContexts/yamaguchi-ems>; rel="http://www.w3.org/ns/json-ld#context"'
BAD_REQUEST = "https://uri.etsi.org/ngsi-ld/errors/BadRequestData"


def seeded_app(store):
    add_users(store)
    svc = make_service(store)
    readings.write_readings(store, readings_for(svc.scenario, TEST_NOW))
    return create_app(svc)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One app on SQLite for the module (the store is only read); PostgreSQL in the test at the end."""
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('ngsi_api') / 'ems.db'}")
    yield seeded_app(store)
    store.dispose()


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as c:
        c.headers.update(login(c, "op"))
        c.cookies.clear()  # the bearer token only
        yield c


def get(client, path="/ngsi-ld/v1/entities", headers=None, **params):
    return client.get(path, params=params, headers=headers or {})


def test_query_by_type_answers_json_with_the_context_link(client):
    r = get(client, type="Building")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.headers["link"].startswith(CONTEXT_LINK)
    body = r.json()
    assert [e["id"] for e in body] == [f"urn:ngsi-ld:Building:tiny:{f}" for f in ("centre", "office", "school")]
    assert all("@context" not in e for e in body)
    centre = body[0]
    assert centre["location"]["value"]["coordinates"] == [131.455, 34.16]
    assert centre["tier1Autonomy"]["unitCode"] == "HUR"
    assert 0 <= centre["tier1Autonomy"]["value"] <= 72


def test_json_ld_entities_carry_their_context_and_validate(client):
    r = get(client, headers={"Accept": "application/ld+json"}, q="stateOfCharge>0.6")  # not the car's 0.55
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/ld+json"
    assert "link" not in r.headers
    [battery] = r.json()
    assert battery["id"] == "urn:ngsi-ld:StorageBatteryMeasurement:tiny:centre:bat1"
    assert (
        battery["@context"][1]
        == "https://raw.githubusercontent.com/smart-data-models/dataModel.Battery/master/context.jsonld"
    )
    assert problems(battery) == []
    assert get(client, headers={"Accept": "application/ld+json"}, q="stateOfCharge>0.8").json() == []
    car = "urn:ngsi-ld:StorageBatteryMeasurement:tiny:vehicle:ev1"
    assert [e["id"] for e in get(client, q="stateOfCharge>0.5;stateOfCharge<0.6").json()] == [car]


def test_attrs_keyvalues_limit_offset_and_count(client):
    r = get(
        client, type="Building", attrs="designatedShelter", options="keyValues", limit="2", offset="1", count="true"
    )
    assert r.headers["ngsild-results-count"] == "3"
    assert r.json() == [
        {"id": "urn:ngsi-ld:Building:tiny:office", "type": "Building", "designatedShelter": False},
        {"id": "urn:ngsi-ld:Building:tiny:school", "type": "Building", "designatedShelter": False},
    ]
    assert get(client, type="Building", limit="0", count="true").json() == []
    r = get(client, q='category=="school"', format="simplified")
    assert [e["id"] for e in r.json()] == ["urn:ngsi-ld:Building:tiny:school"]


def test_retrieve_one_entity_and_geojson(client):
    entity_id = "urn:ngsi-ld:ThreePhaseAcMeasurement:tiny:office:m1"
    r = get(client, f"/ngsi-ld/v1/entities/{entity_id}", attrs="totalActivePower")
    assert r.status_code == 200
    assert r.json() == {
        "id": entity_id,
        "type": "ThreePhaseAcMeasurement",
        "totalActivePower": {
            "type": "Property",
            "value": 12500.0,
            "unitCode": "WTT",
            "observedAt": "2024-06-10T03:10:00.000Z",
        },
    }
    geo = get(client, headers={"Accept": "application/geo+json"}, type="EVChargingStation")
    assert geo.headers["content-type"] == "application/geo+json"
    [feature] = geo.json()["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [131.474, 34.178]}
    assert feature["properties"]["socketType"]["value"] == ["CHAdeMO"]


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({}, "give at least one"),
        ({"q": "stateOfCharge>"}, "q: position 0"),
        ({"type": "Building", "limit": "5000"}, "limit: 5000 is above the maximum 1000"),
        ({"type": "Building", "offset": "-3"}, "offset"),
        ({"id": "centre"}, "id: 'centre' is not a URI"),
        ({"type": "Building", "options": "sysAttrs"}, "options"),
        ({"type": "Building", "count": "yes"}, "count"),
    ],
)
def test_bad_requests_answer_problem_details_naming_the_parameter(client, params, detail):
    r = get(client, **params)
    assert r.status_code == 400
    body = r.json()
    assert body["type"] == BAD_REQUEST
    assert body["status"] == 400
    assert detail in body["detail"]


def test_not_found_not_acceptable_and_unknown_contexts(client):
    r = get(client, "/ngsi-ld/v1/entities/urn:ngsi-ld:Building:tiny:nowhere")
    assert r.status_code == 404
    assert r.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound"
    r = get(client, headers={"Accept": "text/html"}, type="Building")
    assert r.status_code == 406
    link = '<https://example.org/other.jsonld>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
    r = get(client, headers={"Link": link}, type="Building")
    assert r.status_code == 503
    assert r.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/LdContextNotAvailable"
    sdm = '<https://smartdatamodels.org/context.jsonld>; rel="http://www.w3.org/ns/json-ld#context"'
    assert get(client, headers={"Link": sdm}, type="Building").status_code == 200
    iri = "https://smartdatamodels.org/dataModel.Building/Building"
    assert len(get(client, type=iri).json()) == 3


def test_authentication_and_the_facility_managers_scope(app):
    with TestClient(app) as anonymous:
        r = get(anonymous, type="Building")
        assert r.status_code == 401
        assert r.json()["title"] == "Unauthorized"
        context = get(anonymous, "/ngsi-ld/v1/jsonldContexts/yamaguchi-ems")  # public: brokers fetch it
        assert context.status_code == 200
        assert context.json()["@context"][-1].endswith("ngsi-ld-core-context-v1.8.jsonld")
    with TestClient(app) as manager:
        manager.headers.update(login(manager, "mgr"))  # manager of 'centre'
        ids = [e["id"] for e in get(manager, idPattern=".").json()]
        assert ids
        assert all(":tiny:centre" in i for i in ids)
        hidden = get(manager, "/ngsi-ld/v1/entities/urn:ngsi-ld:Building:tiny:office")
        assert hidden.status_code == 404
        assert get(manager, "/ngsi-ld/v1/types").json()["typeList"][0] == "Building"
    with TestClient(app) as office:
        office.headers.update(login(office, "disaster"))
        assert len(get(office, type="Vehicle").json()) == 1


def test_the_endpoint_reads_the_live_status_from_each_backend(any_store):
    with TestClient(seeded_app(any_store)) as c:
        c.headers.update(login(c, "op"))
        r = get(c, type="StorageBatteryMeasurement", attrs="stateOfCharge", options="keyValues")
        assert r.json() == [
            {
                "id": "urn:ngsi-ld:StorageBatteryMeasurement:tiny:centre:bat1",
                "type": "StorageBatteryMeasurement",
                "stateOfCharge": 0.7,
            },
            {
                "id": "urn:ngsi-ld:StorageBatteryMeasurement:tiny:vehicle:ev1",
                "type": "StorageBatteryMeasurement",
                "stateOfCharge": 0.55,
            },
        ]
