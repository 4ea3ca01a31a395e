"""/metrics through prometheus-client: what a Prometheus server parses, one registry per app, escaped labels.

Every assertion goes through `prometheus_client`'s own parsers, so output that a scraper would reject (an
unescaped quote in a label value, a histogram without `_count`) fails here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from api.app import create_app
from runtime.loop.build import build_service
from runtime.settings import Settings
from runtime.store.db import open_store
from runtime.store.readings import ReadingIn, write_readings
from scenarios.loader import load_scenario

LOOPBACK = ("127.0.0.1", 50000)  # /metrics answers loopback clients only (no EMS_METRICS_TOKEN)
NOW = dt.datetime(2024, 6, 10, 3, 10, tzinfo=dt.UTC)  # the app's clock: a scrape measures reading ages against it
# A job name with every character the text format must escape in a label value: quote, backslash, newline.
AWKWARD_JOB = 'say "hi" \\ then\nnewline'


def _app(tmp_path: Path, name: str) -> FastAPI:
    store = open_store(f"sqlite:///{tmp_path / f'{name}.db'}")
    service = build_service(Settings(), load_scenario("tiny"), store, None, clock=lambda: NOW)
    return create_app(service)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    app = _app(tmp_path, "ems")
    yield app
    app.state.service.store.dispose()


def _samples(text: str) -> dict[str, list[Sample]]:
    """Samples by sample name (e.g. ems_http_requests_total), parsed as Prometheus does."""
    out: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append(sample)
    return out


def _value(samples: dict[str, list[Sample]], name: str, **labels: str) -> float:
    matches = [s.value for s in samples.get(name, []) if all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(matches) == 1, (name, labels, samples.get(name))
    return float(matches[0])


def test_requests_counted_and_timed_per_route(app: FastAPI) -> None:
    with TestClient(app, client=LOOPBACK) as client:
        for _ in range(3):
            assert client.get("/api/v1/health").status_code == 200
        assert client.get("/api/v1/facilities").status_code == 401  # not logged in
        assert client.get("/no-such-page").status_code == 404
        response = client.get("/metrics")
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = _samples(response.text)
    health = {"method": "GET", "route": "/api/v1/health", "status": "200"}
    assert _value(samples, "ems_http_requests_total", **health) == 3
    assert _value(samples, "ems_http_requests_total", method="GET", route="/api/v1/facilities", status="401") == 1
    assert _value(samples, "ems_http_requests_total", method="GET", route="unmatched", status="404") == 1
    # the histogram has its _count (equal to the counter), a positive _sum and cumulative buckets up to +Inf
    assert _value(samples, "ems_http_request_duration_seconds_count", **health) == 3
    assert _value(samples, "ems_http_request_duration_seconds_sum", **health) > 0
    buckets = [s for s in samples["ems_http_request_duration_seconds_bucket"] if s.labels["route"] == health["route"]]
    counts = [s.value for s in sorted(buckets, key=lambda s: float(s.labels["le"]))]
    assert counts == sorted(counts)
    assert buckets[-1].labels["le"] == "+Inf"
    assert counts[-1] == 3


def test_loop_state_with_awkward_label_values_round_trips(app: FastAPI) -> None:
    service = app.state.service
    service.runs[AWKWARD_JOB] = 7
    service.failures[AWKWARD_JOB] = 2
    service.durations_s[AWKWARD_JOB] = 0.25
    service.runs["poll"] = 4
    with TestClient(app, client=LOOPBACK) as client:
        text = client.get("/metrics").text
    assert AWKWARD_JOB not in text  # written escaped ...
    samples = _samples(text)  # ... and read back whole by the parser
    assert _value(samples, "ems_loop_job_runs_total", job=AWKWARD_JOB) == 7
    assert _value(samples, "ems_loop_job_runs_total", job="poll") == 4
    assert _value(samples, "ems_loop_job_failures_total", job=AWKWARD_JOB) == 2
    assert _value(samples, "ems_loop_job_duration_seconds", job=AWKWARD_JOB) == 0.25
    assert _value(samples, "ems_stale_devices") == 0
    assert _value(samples, "ems_plan_version") == 0  # no plan stored yet
    assert "ems_oldest_reading_age_seconds" not in samples  # no reading stored yet


def test_reading_age_is_that_of_the_least_fresh_point(app: FastAPI) -> None:
    now = NOW  # the collector measures age against the service's clock at the scrape
    store = app.state.service.store
    write_readings(
        store,
        [
            ReadingIn(now - dt.timedelta(seconds=600), "centre", "bat1", "soc", 0.5),
            ReadingIn(now - dt.timedelta(seconds=5), "centre", "pv1", "power_kw", 3.0),
        ],
    )
    with TestClient(app, client=LOOPBACK) as client:
        samples = _samples(client.get("/metrics").text)
    age = _value(samples, "ems_oldest_reading_age_seconds")
    assert 600 <= age < 660


def test_each_app_has_its_own_registry(tmp_path: Path) -> None:
    first, second = _app(tmp_path, "first"), _app(tmp_path, "second")
    try:
        with TestClient(first, client=LOOPBACK) as a, TestClient(second, client=LOOPBACK) as b:
            a.get("/api/v1/health")
            a.get("/api/v1/health")
            b.get("/api/v1/health")
            seen_a, seen_b = _samples(a.get("/metrics").text), _samples(b.get("/metrics").text)
    finally:
        first.state.service.store.dispose()
        second.state.service.store.dispose()
    health = {"method": "GET", "route": "/api/v1/health", "status": "200"}
    assert _value(seen_a, "ems_http_requests_total", **health) == 2
    assert _value(seen_b, "ems_http_requests_total", **health) == 1
    # nothing of ours lands in the process-global default registry
    assert not [m.name for m in REGISTRY.collect() if m.name.startswith("ems_")]


def test_openmetrics_when_the_scraper_asks_for_it(app: FastAPI) -> None:
    app.state.service.runs[AWKWARD_JOB] = 1
    with TestClient(app, client=LOOPBACK) as client:
        client.get("/api/v1/health")
        response = client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")
    families = {f.name: f for f in parse_openmetrics(response.text)}
    assert families["ems_http_request_duration_seconds"].type == "histogram"
    runs = families["ems_loop_job_runs"]
    assert runs.type == "counter"
    assert [s.value for s in runs.samples if s.labels == {"job": AWKWARD_JOB}] == [1]
