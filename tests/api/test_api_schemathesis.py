# mypy: allow-untyped-defs, allow-incomplete-defs
"""Schemathesis against the OpenAPI schema, in-process (ASGI): no operation answers 500, and every answer's
status and body are the ones the schema documents (422 bodies as lists, 400 for malformed JSON). 30 examples
per operation, no per-example deadline (a wall-clock limit fails under load; the examples bound the time); the
what-if (a solve per valid request, in a worker process) gets 6 examples and a 120-s read time-out. Only the
health check against slow data generation is off."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance
from service_fixtures import TEST_NOW, add_users, make_service

from api.app import create_app
from runtime import security
from runtime.store import readings
from runtime.store.db import open_store
from runtime.store.readings import ReadingIn

_dir = Path(tempfile.mkdtemp(prefix="ems_schemathesis_"))
_store = open_store(f"sqlite:///{_dir / 'ems.db'}")
add_users(_store)
readings.write_readings(_store, [ReadingIn(TEST_NOW, "centre", "bat1", "soc", 0.6)])
_service = make_service(_store)
APP = create_app(_service)
KEY = security.create_api_key(_store, "op", "schemathesis")  # a key: the generated logout does not revoke it
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


SOLVES = r"/plans/whatif$"
"""Operations whose valid requests solve a plan in the heavy-job pool (seconds each, more under load): fewer
examples and a longer read time-out, so the file stays bounded in time."""
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@schema.exclude(path_regex=SOLVES).parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_server_errors_and_documented_answers(case):
    response = case.call(headers={"X-API-Key": KEY})
    case.validate_response(response, checks=CHECKS)


@schema.include(path_regex=SOLVES).parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_solving_operations_answer_as_documented(case):
    response = case.call(headers={"X-API-Key": KEY}, timeout=120)
    case.validate_response(response, checks=CHECKS)
