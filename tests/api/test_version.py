"""One version everywhere: OpenAPI and /api/v1/health report the installed package's version (pyproject.toml)."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from runtime.loop.build import build_service
from runtime.settings import Settings
from runtime.store.db import open_store
from scenarios.loader import load_scenario


def test_openapi_and_health_report_the_package_version(tmp_path: Path) -> None:
    installed = metadata.version("yamaguchi-ems")
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert f'version = "{installed}"' in pyproject  # the metadata is the pyproject's, not a stale install
    store = open_store(f"sqlite:///{tmp_path / 'ems.db'}")
    try:
        with TestClient(create_app(build_service(Settings(), load_scenario("tiny"), store, None))) as client:
            assert client.get("/openapi.json").json()["info"]["version"] == installed
            assert client.get("/api/v1/health").json()["version"] == installed
    finally:
        store.dispose()
