# mypy: allow-untyped-defs, allow-incomplete-defs
"""Fixtures of the service tests: a migrated store on SQLite (tmp file) and, when EMS_TEST_POSTGRES_URL is set,
on a real PostgreSQL in a unique schema dropped afterwards (parallel runs do not collide)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from runtime.store.db import Store, drop_schema, open_store

PG_URL = os.environ.get("EMS_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest, tmp_path) -> Iterator[Store]:
    """A freshly migrated store on each backend."""
    if request.param == "sqlite":
        store = open_store(f"sqlite:///{tmp_path / 'ems.db'}")
        yield store
        store.dispose()
        return
    if not PG_URL:
        pytest.skip("EMS_TEST_POSTGRES_URL is not set; PostgreSQL storage tests skipped")
    schema = f"ems_test_{uuid.uuid4().hex[:12]}"
    store = open_store(PG_URL, schema=schema)
    try:
        yield store
    finally:
        store.dispose()
        drop_schema(PG_URL, schema)


@pytest.fixture
def sqlite_store(tmp_path) -> Iterator[Store]:
    """A migrated SQLite store in a temporary folder."""
    store = open_store(f"sqlite:///{tmp_path / 'ems.db'}")
    yield store
    store.dispose()
