# mypy: allow-untyped-defs, allow-incomplete-defs
"""The read model (runtime.reads) behind the read endpoints: prepared bodies with an ETag, rebuilt when this
process commits a write, after EMS_READ_CACHE_MAX_AGE_S (by the service clock) for writes of other processes,
credentials resolved likewise (logout at once; a CLI revocation within the bound), /health without any database
statement while the loop probes storage, and the setting that turns it off."""

from __future__ import annotations

import datetime as dt
import threading

import service_fixtures
from fastapi.testclient import TestClient
from service_fixtures import TEST_NOW, add_users, login, make_service
from sqlalchemy import event

from api.app import create_app
from runtime import security
from runtime.reads import ReadCache
from runtime.store import journal, readings
from runtime.store.db import open_store
from runtime.store.readings import ReadingIn

sqlite_store = service_fixtures.sqlite_store


def _meter(store, kw: float, at: dt.datetime = TEST_NOW) -> None:
    readings.write_readings(store, [ReadingIn(at, "centre", "m1", "power_kw", kw)])


def _centre_meter(body) -> float | None:
    return next(s["meter_kw"] for s in body if s["facility_id"] == "centre")


def _statements(store):
    seen: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_store_counts_committed_writes_only(sqlite_store):
    before = sqlite_store.changes
    journal.count_open_alarms(sqlite_store)
    readings.latest_values(sqlite_store)
    assert sqlite_store.changes == before  # reads change nothing
    journal.mark_job(sqlite_store, "probe", TEST_NOW, True)
    assert sqlite_store.changes == before  # job marks are shown by no cached read
    _meter(sqlite_store, 5.0)
    assert sqlite_store.changes == before + 1
    journal.raise_event(sqlite_store, "x", "y")
    assert sqlite_store.changes == before + 2


def test_status_served_from_memory_until_a_write_then_rebuilt(sqlite_store):
    add_users(sqlite_store)
    _meter(sqlite_store, 5.0)
    svc = make_service(sqlite_store)
    with TestClient(create_app(svc)) as client:
        op = login(client, "op")
        first = client.get("/api/v1/facilities/status", headers=op)
        assert first.status_code == 200
        assert _centre_meter(first.json()) == 5.0
        etag = first.headers["etag"]
        statements = _statements(sqlite_store)
        again = client.get("/api/v1/facilities/status", headers=op)
        assert again.content == first.content
        assert again.headers["etag"] == etag
        assert statements == []  # neither the session nor the status touched the database
        unchanged = client.get("/api/v1/facilities/status", headers={**op, "If-None-Match": etag})
        assert unchanged.status_code == 304
        assert unchanged.content == b""
        _meter(sqlite_store, 7.0, TEST_NOW + dt.timedelta(seconds=1))  # a write of this process: seen at once
        changed = client.get("/api/v1/facilities/status", headers={**op, "If-None-Match": etag})
        assert changed.status_code == 200
        assert _centre_meter(changed.json()) == 7.0
        assert changed.headers["etag"] != etag


def test_other_process_writes_seen_within_the_max_age(sqlite_store, tmp_path):
    add_users(sqlite_store)
    _meter(sqlite_store, 5.0)
    now = [TEST_NOW]
    svc = make_service(sqlite_store, clock=lambda: now[0])
    other = open_store(str(sqlite_store.engine.url))  # another process's connection: its commits are not counted
    try:
        with TestClient(create_app(svc)) as client:
            op = login(client, "op")
            assert _centre_meter(client.get("/api/v1/facilities/status", headers=op).json()) == 5.0
            _meter(other, 9.0, TEST_NOW + dt.timedelta(seconds=1))
            assert _centre_meter(client.get("/api/v1/facilities/status", headers=op).json()) == 5.0  # within 2 s
            now[0] = TEST_NOW + dt.timedelta(seconds=svc.settings.read_cache_max_age_s + 0.5)
            assert _centre_meter(client.get("/api/v1/facilities/status", headers=op).json()) == 9.0
            # a CLI revocation (another process) holds within the same bound, a logout here at once
            security.set_active(other, "op", False, now[0])
            now[0] += dt.timedelta(seconds=svc.settings.read_cache_max_age_s + 0.5)
            assert client.get("/api/v1/facilities/status", headers=op).status_code == 401
    finally:
        other.dispose()


def test_logout_revokes_a_cached_session_at_once(sqlite_store):
    add_users(sqlite_store)
    svc = make_service(sqlite_store)
    with TestClient(create_app(svc)) as client:
        op = login(client, "op")
        assert client.get("/api/v1/plans/latest", headers=op).status_code in (200, 404)
        assert client.get("/api/v1/facilities/status", headers=op).status_code == 200  # resolved, kept
        assert client.post("/api/v1/auth/logout", headers=op).status_code in (200, 204)
        assert client.get("/api/v1/facilities/status", headers=op).status_code == 401


def test_read_cache_off_builds_every_time(sqlite_store):
    add_users(sqlite_store)
    svc = make_service(sqlite_store)
    svc.reads.enabled = False
    with TestClient(create_app(svc)) as client:
        op = login(client, "op")
        statements = _statements(sqlite_store)
        for _ in range(3):
            assert client.get("/api/v1/facilities/status", headers=op).status_code == 200
        assert len([s for s in statements if "latest_values" in s]) == 3


def test_health_touches_no_database_while_the_loop_probes(sqlite_store):
    svc = make_service(sqlite_store)
    app = create_app(svc)
    with TestClient(app) as client:
        app.state.scheduler = object()  # the loop runs (its probe job keeps the answer fresh)
        svc.outbox.check(sqlite_store, TEST_NOW)
        statements = _statements(sqlite_store)
        for _ in range(5):
            answer = client.get("/api/v1/health")
            assert answer.status_code == 200
        assert statements == []
        assert answer.json()["storage_checked_age_s"] is not None


def test_concurrent_readers_of_a_stale_key_share_one_build():
    changes = [0]
    cache = ReadCache(lambda: changes[0], lambda: TEST_NOW, enabled=True, max_age_s=60)
    release, started = threading.Event(), threading.Event()

    def build() -> bytes:
        started.set()
        release.wait(timeout=30)
        return b"[1]"

    results: list[bytes] = []
    first = threading.Thread(target=lambda: results.append(cache.get("k", build).body))
    first.start()
    started.wait(timeout=30)
    others = [threading.Thread(target=lambda: results.append(cache.get("k", build).body)) for _ in range(4)]
    for t in others:
        t.start()
    release.set()
    for t in [first, *others]:
        t.join(timeout=30)
    assert results == [b"[1]"] * 5
    assert cache.builds == 1
    changes[0] = 1
    assert cache.get("k", lambda: b"[2]").body == b"[2]"
    assert cache.builds == 2


def test_readers_get_the_previous_body_while_a_rebuild_runs():
    changes = [0]
    cache = ReadCache(lambda: changes[0], lambda: TEST_NOW, enabled=True, max_age_s=60)
    assert cache.get("k", lambda: b"old").body == b"old"
    changes[0] = 1
    release, started = threading.Event(), threading.Event()

    def build() -> bytes:
        started.set()
        release.wait(timeout=30)
        return b"new"

    builder = threading.Thread(target=lambda: cache.get("k", build))
    builder.start()
    started.wait(timeout=30)
    assert cache.get("k", lambda: b"unused").body == b"old"  # no queueing behind the rebuild
    release.set()
    builder.join(timeout=30)
    assert cache.get("k", lambda: b"unused").body == b"new"
    assert cache.builds == 2
