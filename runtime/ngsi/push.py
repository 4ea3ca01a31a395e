"""Push of every entity to the city platform's NGSI-LD context broker (``EMS_NGSI_BROKER_URL``) on the loop's
schedule: batch upsert ``POST /ngsi-ld/v1/entityOperations/upsert?options=update`` (attributes merged, so a value
the EMS stops publishing, e.g. of a device gone stale, stays at the broker with its own observedAt).

Never blocks the loop: the scheduled step builds and validates the entities in a thread and hands the sending to
a background task, then returns; while a push is still sending, the next one is skipped. Each batch has a
time-out (``ngsi_timeout_s``) and is retried after a time-out, a connection failure, 429 or 5xx with exponential
back-off (``ngsi_backoff_s`` doubled, at most 60 s; ``ngsi_retries`` times); a 4xx answer is not retried. A
failed push raises one ``ngsi_push_failed`` event (not again while it keeps failing) and a recovery raises
``ngsi_push_recovered``; an entity that fails validation is left out and raises ``ngsi_entity_invalid`` once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from apscheduler.triggers.interval import IntervalTrigger

from runtime.loop.service import Service
from runtime.ngsi.attributes import Entity
from runtime.ngsi.autonomy import AutonomyCache
from runtime.ngsi.catalogue import live_catalogue
from runtime.ngsi.query import represent
from runtime.ngsi.validate import problems
from runtime.settings import Settings
from runtime.store import journal

log = logging.getLogger(__name__)
UPSERT_PATH = "/ngsi-ld/v1/entityOperations/upsert"
MAX_BACKOFF_S = 60.0
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class BrokerConfig:
    """Where and how to push: broker base URL, time-out (s), retries, first back-off (s), batch size, tenant
    and bearer token."""

    url: str
    timeout_s: float = 10.0
    retries: int = 3
    backoff_s: float = 1.0
    batch_size: int = 100
    tenant: str | None = None
    token: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> BrokerConfig | None:
        """The broker of the settings, None if no EMS_NGSI_BROKER_URL is set."""
        if settings.ngsi_broker_url is None:
            return None
        token = settings.ngsi_broker_token.get_secret_value() if settings.ngsi_broker_token else None
        return cls(
            settings.ngsi_broker_url,
            settings.ngsi_timeout_s,
            settings.ngsi_retries,
            settings.ngsi_backoff_s,
            settings.ngsi_batch_size,
            settings.ngsi_tenant,
            token,
        )

    def headers(self) -> dict[str, str]:
        """Request headers of an upsert."""
        headers = {"Content-Type": "application/ld+json", "Accept": "application/json"}
        if self.tenant:
            headers["NGSILD-Tenant"] = self.tenant
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers


@dataclass(frozen=True)
class PushResult:
    """Outcome of one push: entities sent, requests made, ids the broker refused, and why it failed ('' if ok)."""

    entities: int
    requests: int
    failed_ids: tuple[str, ...] = ()
    error: str = ""

    @property
    def ok(self) -> bool:
        """True if every entity was accepted."""
        return not self.error and not self.failed_ids


def _problem(response: httpx.Response) -> str:
    """'<status> <title>: <detail>' of a broker's ProblemDetails (or the start of its body)."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} {response.text[:200]}"
    if isinstance(body, dict):
        return f"{response.status_code} {body.get('title', '')}: {body.get('detail', '')}".strip()
    return f"{response.status_code} {str(body)[:200]}"


def _refused(response: httpx.Response) -> tuple[str, ...]:
    """Entity ids in the errors of a 207 BatchOperationResult."""
    try:
        errors = response.json().get("errors", [])
    except (ValueError, AttributeError):
        return ("(unreadable 207 answer)",)
    return tuple(str(e.get("entityId", "?")) for e in errors if isinstance(e, dict))


async def _send_batch(
    client: httpx.AsyncClient, config: BrokerConfig, batch: list[Entity], sleep: Sleep
) -> tuple[int, tuple[str, ...], str]:
    """(requests made, refused ids, error '' if delivered) of one batch, retrying transient failures."""
    error = ""
    for attempt in range(config.retries + 1):
        if attempt:
            await sleep(min(config.backoff_s * 2 ** (attempt - 1), MAX_BACKOFF_S))
        try:
            response = await client.post(
                config.url + UPSERT_PATH, params={"options": "update"}, json=batch, headers=config.headers()
            )
        except httpx.HTTPError as exc:  # time-out, refused connection, reset
            error = f"{type(exc).__name__}: {exc}"
            continue
        if response.status_code in (200, 201, 204):
            return attempt + 1, (), ""
        if response.status_code == 207:
            return attempt + 1, _refused(response), ""
        error = _problem(response)
        if response.status_code not in RETRY_STATUS:
            return attempt + 1, (), error
    return config.retries + 1, (), error


async def upsert(
    client: httpx.AsyncClient, config: BrokerConfig, entities: list[Entity], sleep: Sleep = asyncio.sleep
) -> PushResult:
    """Batch-upsert `entities` (with their @context) to the broker; stops at the first batch that fails."""
    requests, refused = 0, list[str]()
    for start in range(0, len(entities), config.batch_size):
        made, ids, error = await _send_batch(client, config, entities[start : start + config.batch_size], sleep)
        requests += made
        refused += ids
        if error:
            return PushResult(len(entities), requests, tuple(refused), f"{config.url}: {error}")
    return PushResult(len(entities), requests, tuple(refused))


class NgsiPusher:
    """The loop's push job for one service: builds, validates, sends in the background; events on failure."""

    def __init__(self, svc: Service, config: BrokerConfig, sleep: Sleep = asyncio.sleep) -> None:
        self.svc = svc
        self.config = config
        self.sleep = sleep
        self.autonomy = AutonomyCache()
        self.task: asyncio.Task[PushResult] | None = None
        self.skipped = 0

    def prepare(self, now: dt.datetime) -> list[Entity]:
        """Every entity with its @context; entities failing validation are left out (one event each)."""
        ready: list[Entity] = []
        for published in live_catalogue(self.svc.store, self.svc.scenario, now, self.autonomy):
            found = problems(published.entity)
            key = f"ngsi_invalid:{published.id}"
            if found:
                message = f"{published.id} not pushed: " + "; ".join(found[:3])
                self.svc.alert_once(key, "ngsi_entity_invalid", message, facility_id=published.facility_id, ts=now)
                continue
            self.svc.clear_alert(key)
            ready.append(represent(published.entity, with_context=True))
        return ready

    async def run(self) -> None:
        """The scheduled step: prepare in a thread, start sending, return (skipped while a push is sending)."""
        if self.task is not None and not self.task.done():
            self.skipped += 1
            log.warning("ngsi push still sending; this one is skipped (%d so far)", self.skipped)
            return
        now = self.svc.clock()
        entities = await asyncio.to_thread(self.prepare, now)
        self.task = asyncio.create_task(self.send(entities, now))

    async def send(self, entities: list[Entity], now: dt.datetime) -> PushResult:
        """Send `entities`, record the job's duration and outcome, raise or clear the failure event."""
        started = time.perf_counter()
        async with httpx.AsyncClient(timeout=self.config.timeout_s) as client:
            result = await upsert(client, self.config, entities, self.sleep)
        self.svc.timed("ngsi_push", started, result.ok)
        await asyncio.to_thread(self._record, result, now)
        return result

    def _record(self, result: PushResult, now: dt.datetime) -> None:
        if result.ok:
            if "ngsi_push" in self.svc.active_alerts:
                self.svc.clear_alert("ngsi_push")
                message = f"{self.config.url}: {result.entities} entities delivered again"
                journal.raise_event(self.svc.store, "ngsi_push_recovered", message, severity="info", ts=now)
            return
        why = (
            result.error or f"the broker refused {len(result.failed_ids)} entities: {', '.join(result.failed_ids[:5])}"
        )
        log.warning("ngsi push failed: %s", why)
        self.svc.alert_once("ngsi_push", "ngsi_push_failed", f"push to the city data platform failed: {why}", ts=now)


def push_jobs(svc: Service) -> dict[str, tuple[Callable[[], Awaitable[Any]], Any, float]]:
    """The scheduler's job for the push (name -> step, trigger, interval s); none without a broker URL."""
    config = BrokerConfig.from_settings(svc.settings)
    if config is None:
        return {}
    pusher = NgsiPusher(svc, config)
    interval = svc.settings.ngsi_push_interval_s
    return {"ngsi_push": (pusher.run, IntervalTrigger(seconds=interval), interval)}
