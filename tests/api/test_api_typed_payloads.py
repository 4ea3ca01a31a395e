# mypy: allow-untyped-defs, allow-incomplete-defs
"""The plan's payloads reach the API as typed schemas: OpenAPI lists their fields, the response schemas carry
every field of runtime's records, and a plan stored before the records existed is served with them."""

from __future__ import annotations

import pytest
import service_fixtures
from fastapi.testclient import TestClient
from pydantic import BaseModel
from service_fixtures import add_users, insert_old_rows, login, make_service

from api.app import create_app
from api.schemas.plans import FallbackReasonOut, PlanInputsSummaryOut, SlackEntryOut
from runtime.store.records import FallbackReason, PlanInputsSummary, SlackEntry

sqlite_store = service_fixtures.sqlite_store


@pytest.mark.parametrize(
    ("schema", "record"),
    [(PlanInputsSummaryOut, PlanInputsSummary), (SlackEntryOut, SlackEntry), (FallbackReasonOut, FallbackReason)],
)
def test_response_schema_has_every_field_of_the_record(schema: type[BaseModel], record: type[BaseModel]) -> None:
    assert set(schema.model_fields) == set(record.model_fields)


def test_openapi_shows_the_fields_of_the_plan_payloads(sqlite_store):
    with TestClient(create_app(make_service(sqlite_store))) as client:
        spec = client.get("/openapi.json").json()["components"]["schemas"]
    plan = spec["PlanOut"]["properties"]
    assert plan["inputs_summary"]["$ref"].endswith("/PlanInputsSummaryOut")
    assert plan["slack_report"]["items"]["$ref"].endswith("/SlackEntryOut")
    assert plan["cost_breakdown"]["additionalProperties"]["type"] == "number"
    summary = spec["PlanInputsSummaryOut"]["properties"]
    assert {"rung", "reason", "fallback_reasons", "battery_soc", "notes", "base_plan_id", "mip_gap"} <= set(summary)
    assert summary["fallback_reasons"]["items"]["$ref"].endswith("/FallbackReasonOut")
    assert set(spec["SlackEntryOut"]["properties"]) == {
        "kind",
        "subject",
        "slot",
        "shortfall",
        "unit",
        "penalty_jpy",
        "reason",
    }


def test_a_plan_stored_as_plain_json_is_served_typed(sqlite_store):
    insert_old_rows(sqlite_store)
    add_users(sqlite_store)
    with TestClient(create_app(make_service(sqlite_store))) as client:
        op = login(client, "op")
        plans = {p["version"]: p["id"] for p in client.get("/api/v1/plans", headers=op).json()}
        optimal = client.get(f"/api/v1/plans/{plans[1]}", headers=op).json()
        shifted = client.get(f"/api/v1/plans/{plans[2]}", headers=op).json()
    assert optimal["inputs_summary"]["rung"] == "solve"
    assert optimal["inputs_summary"]["base_plan_id"] is None
    assert optimal["inputs_summary"]["battery_soc"] == {"centre/bat1": 0.8}
    assert optimal["slack_report"][0]["slot"] == "2024-06-10T12:00:00+09:00"
    assert optimal["slack_report"][0]["penalty_jpy"] == 1050.0
    assert optimal["cost_breakdown"] == {"energy": 100.0, "penalty_reserve": 23.0}
    assert shifted["inputs_summary"]["fallback_reasons"][0] == {
        "rung": "solve",
        "reason": "HiGHS found no solution (TimeLimit)",
    }
    assert "legacy_key" not in shifted["inputs_summary"]  # kept in the store, not part of the API's schema
