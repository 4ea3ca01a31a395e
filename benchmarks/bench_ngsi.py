"""NGSI-LD benchmark: time to build, validate, serve and push every Yamaguchi entity.

Run: .venv/bin/python benchmarks/bench_ngsi.py [--repeats 20] [--requests 100] [--concurrency 4]
In-process steps (median and min-max of `repeats`) against reading the live status alone (what
/api/v1/facilities/status reads, the baseline); HTTP latency with uvicorn in its own process against
/api/v1/facilities/status measured in the same run; the push to the in-process stand-in broker of the tests against
one bare httpx POST of the same entities. Every device of Yamaguchi has a good reading (tests/ngsi_fixtures.py).
Writes the tables to benchmarks/results/ngsi.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "runtime")]

from bench_service import serve  # noqa: E402 - the same child-process server as the service benchmark
from ngsi_broker import StandInBroker  # noqa: E402
from ngsi_fixtures import readings_for  # noqa: E402

from runtime import security  # noqa: E402
from runtime.loop.build import build_service  # noqa: E402
from runtime.ngsi.autonomy import AutonomyCache, shelter_autonomy  # noqa: E402
from runtime.ngsi.catalogue import build_catalogue, live_catalogue  # noqa: E402
from runtime.ngsi.push import BrokerConfig, upsert  # noqa: E402
from runtime.ngsi.query import represent  # noqa: E402
from runtime.ngsi.validate import problems  # noqa: E402
from runtime.settings import Settings  # noqa: E402
from runtime.store import readings  # noqa: E402
from runtime.store.db import open_store  # noqa: E402
from runtime.store.status import city_status  # noqa: E402
from scenarios.loader import load_scenario  # noqa: E402

RESULTS = Path(__file__).with_name("results") / "ngsi.md"


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    """Seconds of `repeats` calls (after one warm-up call)."""
    fn()
    out = []
    for _ in range(repeats):
        tick = time.perf_counter()
        fn()
        out.append(time.perf_counter() - tick)
    return out


def span_ms(samples: list[float], digits: int = 1) -> str:
    """'median (min-max)' in milliseconds."""
    med, low, high = (1000 * v for v in (statistics.median(samples), min(samples), max(samples)))
    return f"{med:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1), nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def in_process(url: str, repeats: int) -> tuple[list[tuple[str, list[float]]], int, float, float]:
    """Rows (step, seconds), the entity count, the first and a warm autonomy computation (s)."""
    scenario = load_scenario("yamaguchi")
    store = open_store(url)
    now = dt.datetime.now(dt.UTC)
    tick = time.perf_counter()
    shelter_autonomy(scenario, now, {})
    cold = time.perf_counter() - tick
    warm = statistics.median(timed(lambda: shelter_autonomy(scenario, now, {}), 3))
    cache = AutonomyCache()
    statuses = city_status(store, scenario, now)
    catalogue = live_catalogue(store, scenario, now, cache)
    autonomy = cache.get(scenario, now, {})
    entities = [p.entity for p in catalogue]
    rows = [
        ("read the live status (baseline)", timed(lambda: city_status(store, scenario, now), repeats)),
        ("build the entities from it (pure)", timed(lambda: build_catalogue(scenario, statuses, autonomy), repeats)),
        ("read + build (live_catalogue)", timed(lambda: live_catalogue(store, scenario, now, cache), repeats)),
        ("validate every entity", timed(lambda: [problems(e) for e in entities], repeats)),
        (
            "JSON-LD bodies + json.dumps",
            timed(lambda: json.dumps([represent(e, with_context=True) for e in entities]), repeats),
        ),
    ]
    store.dispose()
    return rows, len(entities), cold, warm


async def latency(
    base: str, token: str, cases: list[tuple[str, str, dict[str, str]]], requests: int, concurrency: int
) -> list[tuple[str, float, float, float, int]]:
    """Per case (label, path, headers): p50 ms, p99 ms, req/s, body bytes."""
    out = []
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        for label, path, headers in cases:
            first = await client.get(path, headers=headers)  # warm-up (the slot's autonomy on the first)
            first.raise_for_status()
            sem, samples = asyncio.Semaphore(concurrency), list[float]()

            async def one(
                path: str = path,
                headers: dict[str, str] = headers,
                sem: asyncio.Semaphore = sem,
                samples: list[float] = samples,
            ) -> None:
                async with sem:
                    tick = time.perf_counter()
                    r = await client.get(path, headers=headers)
                    samples.append((time.perf_counter() - tick) * 1000)
                    r.raise_for_status()

            tick = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(requests)))
            wall = time.perf_counter() - tick
            out.append((label, statistics.median(samples), pct(samples, 0.99), requests / wall, len(first.content)))
    return out


async def push(entities: list[dict[str, object]], repeats: int) -> tuple[list[float], list[float]]:
    """Seconds of the EMS's upsert (batches of 100) and of one bare POST of the same bodies, alternated."""
    broker = StandInBroker()
    config = BrokerConfig(broker.url, timeout_s=30)
    ours, bare = [], []
    body = json.dumps(entities).encode()
    headers = {"Content-Type": "application/ld+json"}
    async with httpx.AsyncClient(timeout=30) as client:
        await upsert(client, config, entities)
        for _ in range(repeats):
            tick = time.perf_counter()
            result = await upsert(client, config, entities)
            ours.append(time.perf_counter() - tick)
            assert result.ok, result
            tick = time.perf_counter()
            r = await client.post(
                broker.url + "/ngsi-ld/v1/entityOperations/upsert?options=update", content=body, headers=headers
            )
            bare.append(time.perf_counter() - tick)
            assert r.status_code in (201, 204)
    broker.stop()
    return ours, bare


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ems_bench_ngsi_"))
    url = f"sqlite:///{tmp / 'ems.db'}"
    scenario = load_scenario("yamaguchi")
    store = open_store(url)
    build_service(Settings(database_url=url), scenario, store, None)  # creates the operator account
    readings.write_readings(store, readings_for(scenario, dt.datetime.now(dt.UTC)))
    principal = security.authenticate(store, "operator", "ems-dev-password")
    assert principal is not None
    token = security.create_api_key(store, principal.username, "bench")  # an API key works as a bearer token
    rows, count, cold, warm = in_process(url, args.repeats)
    catalogue = live_catalogue(store, scenario, dt.datetime.now(dt.UTC), AutonomyCache())
    entities = [represent(p.entity, with_context=True) for p in catalogue]
    store.dispose()
    ours, bare = asyncio.run(push(entities, max(5, args.repeats // 4)))
    proc, base = serve(url)
    one = "/ngsi-ld/v1/entities/urn:ngsi-ld:StorageBatteryMeasurement:yamaguchi:city-hall:bat1"
    all_q = "/ngsi-ld/v1/entities?idPattern=.&limit=1000"
    cases = [
        ("/api/v1/facilities/status (baseline)", "/api/v1/facilities/status", {}),
        (f"all {count} entities, application/json", all_q, {}),
        (f"all {count} entities, application/ld+json", all_q, {"Accept": "application/ld+json"}),
        (f"all {count} entities, keyValues", all_q + "&options=keyValues", {}),
        ("q=stateOfCharge>0.5", "/ngsi-ld/v1/entities?q=stateOfCharge%3E0.5", {}),
        ("one entity by id", one, {}),
    ]
    lat = asyncio.run(latency(base, token, cases, args.requests, args.concurrency))
    proc.terminate()
    proc.join(10)
    write(args, rows, count, cold, warm, lat, ours, bare)


def write(args: argparse.Namespace, rows, count, cold, warm, lat, ours, bare) -> None:
    """Print the tables and write them to RESULTS."""
    base_s = statistics.median(rows[0][1])
    ratio = statistics.median(ours) / statistics.median(bare)
    lines = [
        f"# NGSI-LD benchmark ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at the end)",
        "",
        f"Yamaguchi: {count} entities (every device read good), SQLite. `.venv/bin/python benchmarks/bench_ngsi.py`",
        "",
        f"## In process, median (min-max) of {args.repeats}",
        "",
        "| step | ms | × status read |",
        "|---|---:|---:|",
    ]
    lines += [f"| {label} | {span_ms(t)} | {statistics.median(t) / base_s:.2f} |" for label, t in rows]
    lines += [
        f"| shelter autonomy (21 shelters, 2 greedy outage plans), once per slot | {warm * 1000:.0f} "
        f"(first in the process {cold:.1f} s, imports) | {warm / base_s:.1f} |",
        "",
        f"## HTTP: {args.requests} GETs per case, {args.concurrency} concurrent, uvicorn, one worker, own process",
        "",
        "| request | p50 ms | p99 ms | req/s | body KiB | p50 / status p50 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    base_p50 = lat[0][1]
    for lab, p50, p99, rps, size in lat:
        lines.append(f"| {lab} | {p50:.1f} | {p99:.1f} | {rps:.0f} | {size / 1024:.0f} | {p50 / base_p50:.2f} |")
    lines += [
        "",
        f"## Push of the {count} entities to the stand-in broker on loopback ({len(ours)} runs, alternated)",
        "",
        "| client | median ms (min-max) | ratio |",
        "|---|---:|---:|",
        f"| one bare httpx POST of all entities (baseline) | {span_ms(bare, 0)} | 1.00 |",
        f"| runtime.ngsi.push.upsert, batches of 100 | {span_ms(ours, 0)} | {ratio:.2f} |",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
