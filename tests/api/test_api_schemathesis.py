# mypy: allow-untyped-defs, allow-incomplete-defs
"""Schemathesis against the OpenAPI schema: no operation answers 500 (a few generated examples each)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from service_fixtures import PASSWORD, TEST_NOW, add_users, make_service

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
TOKEN = security.start_session(
    _store,
    security.authenticate(_store, "op", PASSWORD),  # type: ignore[arg-type]
    _service.settings.secret_key.get_secret_value(),
    TEST_NOW,
    1.0,
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case):
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    case.validate_response(response, checks=[not_a_server_error])
