# mypy: allow-untyped-defs, allow-incomplete-defs
"""The push to a context broker (runtime.ngsi.push) against the in-process stand-in broker on loopback: batches,
headers, retries with back-off, time-outs, a broker that is down, partial refusals, events, and that the loop's
step returns before the sending is done."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import service_fixtures
from ngsi_broker import StandInBroker
from ngsi_fixtures import readings_for
from service_fixtures import TEST_NOW, make_service

from runtime.loop.scheduler import LoopScheduler
from runtime.ngsi.catalogue import Published
from runtime.ngsi.push import BrokerConfig, NgsiPusher, push_jobs, upsert
from runtime.settings import Settings
from runtime.store import journal, readings

sqlite_store = service_fixtures.sqlite_store


@pytest.fixture
def broker():
    b = StandInBroker()
    yield b
    if b.thread.is_alive():
        b.stop()


@pytest.fixture
def svc(sqlite_store):
    readings.write_readings(sqlite_store, readings_for(make_service(sqlite_store).scenario, TEST_NOW))
    return make_service(sqlite_store)


class Sleeps:
    """An injected asyncio.sleep that records the back-off delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def events(svc, kind):
    return journal.list_events(svc.store, kind=kind)


async def push_once(pusher):
    await pusher.run()
    return await pusher.task


async def test_every_entity_reaches_the_broker_in_batches_with_its_context(svc, broker):
    config = BrokerConfig(broker.url, batch_size=4, tenant="yamaguchi", token="secret-token")
    pusher = NgsiPusher(svc, config)
    result = await push_once(pusher)
    sent = pusher.prepare(TEST_NOW)
    assert result.ok
    assert result.entities == len(sent) > 10
    assert result.requests == len(broker.requests) == -(-len(sent) // 4)
    first = broker.requests[0]
    assert first["path"] == "/ngsi-ld/v1/entityOperations/upsert"
    assert first["query"] == "options=update"
    assert first["headers"]["Content-Type"] == "application/ld+json"
    assert first["headers"]["NGSILD-Tenant"] == "yamaguchi"
    assert first["headers"]["Authorization"] == "Bearer secret-token"
    assert broker.entities == {e["id"]: e for e in sent}
    stored = broker.entities["urn:ngsi-ld:StorageBatteryMeasurement:tiny:centre:bat1"]
    assert stored["stateOfCharge"]["value"] == 0.7
    assert stored["@context"][-1] == "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
    assert svc.runs["ngsi_push"] == 1
    assert svc.failures.get("ngsi_push", 0) == 0
    assert events(svc, "ngsi_push_failed") == []


async def test_a_broker_that_is_down_raises_one_event_after_the_retries(svc, broker):
    broker.stop()  # connections refused from now on
    sleeps = Sleeps()
    pusher = NgsiPusher(svc, BrokerConfig(broker.url, retries=3, backoff_s=1.0), sleep=sleeps)
    first = await push_once(pusher)
    assert not first.ok
    assert "ConnectError" in first.error
    assert first.requests == 4
    assert sleeps.delays == [1.0, 2.0, 4.0]
    second = await push_once(pusher)
    assert not second.ok
    failed = events(svc, "ngsi_push_failed")
    assert len(failed) == 1
    assert broker.url in failed[0].message
    assert svc.failures["ngsi_push"] == 2


async def test_recovery_after_server_errors_raises_a_recovered_event(svc, broker):
    broker.failures = [503, 503]
    sleeps = Sleeps()
    pusher = NgsiPusher(svc, BrokerConfig(broker.url, retries=1, backoff_s=0.5), sleep=sleeps)
    failed = await push_once(pusher)
    assert not failed.ok
    assert "503" in failed.error
    assert sleeps.delays == [0.5]
    assert broker.entities == {}
    recovered = await push_once(pusher)
    assert recovered.ok
    assert len(broker.entities) == recovered.entities
    assert len(events(svc, "ngsi_push_failed")) == 1
    assert len(events(svc, "ngsi_push_recovered")) == 1


async def test_a_client_error_is_not_retried(svc, broker):
    broker.failures = [400]
    sleeps = Sleeps()
    result = await push_once(NgsiPusher(svc, BrokerConfig(broker.url, retries=3), sleep=sleeps))
    assert not result.ok
    assert result.requests == 1
    assert sleeps.delays == []
    assert "400 stand-in failure: as asked" in result.error


async def test_entities_the_broker_refuses_are_named_in_the_event(svc, broker):
    refused = "urn:ngsi-ld:Building:tiny:school"
    broker.refuse = {refused}
    result = await push_once(NgsiPusher(svc, BrokerConfig(broker.url)))
    assert result.failed_ids == (refused,)
    assert not result.ok
    assert refused not in broker.entities
    assert len(broker.entities) == result.entities - 1
    assert refused in events(svc, "ngsi_push_failed")[0].message


async def test_the_step_returns_before_a_slow_broker_answers_and_skips_while_sending(svc, broker):
    broker.delay_s = 0.6
    pusher = NgsiPusher(svc, BrokerConfig(broker.url, timeout_s=0.2, retries=1, backoff_s=0.0))
    await pusher.run()
    assert pusher.task is not None
    assert not pusher.task.done()
    await pusher.run()
    assert pusher.skipped == 1
    result = await pusher.task
    assert not result.ok
    assert "ReadTimeout" in result.error
    assert result.requests == 2


async def test_an_entity_failing_validation_is_left_out_with_an_event(svc, broker, monkeypatch):
    from runtime.ngsi import push
    from runtime.ngsi.autonomy import AutonomyCache
    from runtime.ngsi.catalogue import live_catalogue

    good = live_catalogue(svc.store, svc.scenario, TEST_NOW, AutonomyCache())
    broken = Published({**good[0].entity, "stateOfCharge": {"type": "Property", "value": 7}}, "centre")
    monkeypatch.setattr(push, "live_catalogue", lambda *a: [*good[1:], broken])
    result = await push_once(NgsiPusher(svc, BrokerConfig(broker.url)))
    assert result.ok
    assert result.entities == len(good) - 1
    invalid = events(svc, "ngsi_entity_invalid")
    assert len(invalid) == 1
    assert "stateOfCharge: not a term" in invalid[0].message


async def test_upsert_stops_at_the_first_failing_batch(broker):
    broker.failures = [500]
    entities = [{"id": f"urn:ngsi-ld:Building:t:{i}", "type": "Building", "@context": []} for i in range(5)]
    async with httpx.AsyncClient(timeout=2) as client:
        result = await upsert(client, BrokerConfig(broker.url, retries=0, batch_size=2), entities)
    assert result.requests == 1
    assert "500" in result.error
    body = json.loads(broker.requests[0]["raw"])
    assert [e["id"] for e in body] == [entities[0]["id"], entities[1]["id"]]


def test_the_scheduler_gets_a_push_job_only_with_a_broker_url(sqlite_store):
    svc = make_service(sqlite_store)
    assert push_jobs(svc) == {}
    assert "ngsi_push" not in LoopScheduler(svc).jobs()
    svc.settings = Settings(ngsi_broker_url="http://127.0.0.1:9/", ngsi_push_interval_s=120)
    jobs = LoopScheduler(svc).jobs()
    _step, trigger, interval = jobs["ngsi_push"]
    assert interval == 120
    assert trigger.interval.total_seconds() == 120
    config = BrokerConfig.from_settings(svc.settings)
    assert config is not None
    assert config.url == "http://127.0.0.1:9"


def test_settings_refuse_a_broker_url_that_is_not_http():
    with pytest.raises(ValueError, match="EMS_NGSI_BROKER_URL"):
        Settings(ngsi_broker_url="broker:1026")


async def test_the_scheduler_runs_the_push_without_taking_the_loop_lock_for_the_send(svc, broker):
    broker.delay_s = 0.5
    svc.settings = Settings(ngsi_broker_url=broker.url, ngsi_timeout_s=5)
    scheduler = LoopScheduler(svc)
    step = scheduler._guarded("ngsi_push", scheduler.jobs()["ngsi_push"][0])
    await step()
    assert not scheduler.lock.locked()  # poll and dispatch may run while the broker answers
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30.0  # the send finishes in the background (0.5 s broker delay; generous under load)
    while not broker.entities and loop.time() < deadline:  # noqa: ASYNC110 - the broker is a thread, no event to await
        await asyncio.sleep(0.05)
    assert len(broker.entities) > 10
