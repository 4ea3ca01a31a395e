"""Service benchmark: API latency under bounded concurrent load, one loop iteration, readings write rate.

Run: .venv/bin/python benchmarks/bench_service.py [--requests 300] [--concurrency 8] [--rows 40000]
PostgreSQL is measured when EMS_TEST_POSTGRES_URL is set (a throw-away schema is created and dropped).
Writes the table to benchmarks/results/service.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.app import create_app
from runtime.facades.telemetry import DeviceTelemetry, running_simulators
from runtime.loop.build import build_service
from runtime.loop.dispatch import dispatch
from runtime.loop.forecast import forecast
from runtime.loop.optimise import optimise
from runtime.loop.poll import poll
from runtime.settings import Settings
from runtime.store import readings
from runtime.store.db import drop_schema, open_store
from runtime.store.readings import ReadingIn
from scenarios.loader import load_scenario

RESULTS = Path(__file__).with_name("results") / "service.md"


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def loop_iteration(store_url: str) -> tuple[dict[str, float], object]:
    """Simulators for Yamaguchi; one poll, forecast, optimise and dispatch; seconds per step."""
    scenario = load_scenario("yamaguchi")
    store = open_store(store_url)
    times: dict[str, float] = {}
    async with running_simulators(scenario, port_base=0) as fleet:
        telemetry = DeviceTelemetry(scenario, fleet.port_map)
        svc = build_service(Settings(database_url=store_url), scenario, store, telemetry)
        now = dt.datetime.now(dt.UTC)
        await poll(svc, now)  # warm-up: connections, SunSpec discovery
        for name, step in (
            ("poll", lambda: poll(svc, now)),
            ("forecast", lambda: forecast(svc, now)),
            ("optimise", lambda: optimise(svc, now)),
            ("dispatch", lambda: dispatch(svc, now)),
        ):
            tick = time.perf_counter()
            result: object = step()
            if asyncio.iscoroutine(result):
                result = await result
            times[name] = time.perf_counter() - tick
            if name == "optimise":
                times["plan_kind"] = 0.0 if getattr(result, "kind", "") == "optimal" else 1.0
        telemetry.close()
    return times, svc


async def latency(base: str, paths: list[str], token: str, requests: int, concurrency: int) -> dict[str, list[float]]:
    """Per path: `requests` GETs with at most `concurrency` in flight; latencies in ms."""
    out: dict[str, list[float]] = {}
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=30
    ) as client:
        for path in paths:
            await client.get(path)  # warm-up
            sem = asyncio.Semaphore(concurrency)
            samples: list[float] = []

            async def one(path: str = path, sem: asyncio.Semaphore = sem, samples: list[float] = samples) -> None:
                async with sem:
                    tick = time.perf_counter()
                    r = await client.get(path)
                    samples.append((time.perf_counter() - tick) * 1000)
                    r.raise_for_status()

            tick = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(requests)))
            samples.append(-(time.perf_counter() - tick))  # total wall time, popped below
            out[path] = samples
    return out


def _child(url: str, port: int) -> None:
    """The API server process (its own interpreter, so client and server do not share a GIL)."""
    store = open_store(url)
    svc = build_service(Settings(database_url=url), load_scenario("yamaguchi"), store, None)
    uvicorn.run(create_app(svc), host="127.0.0.1", port=port, log_level="warning")


def serve(url: str) -> tuple[multiprocessing.process.BaseProcess, str]:
    """Start uvicorn (one worker) on a free loopback port in a child process."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = multiprocessing.get_context("spawn").Process(target=_child, args=(url, port), daemon=True)
    proc.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/api/v1/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    return proc, base


def write_rate(url: str, rows: int, schema: str | None = None) -> float:
    """Readings per second for `rows` readings in batches of 2000 on a fresh database."""
    store = open_store(url, schema=schema)
    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    data = [
        ReadingIn(t0 + dt.timedelta(seconds=i // 50), f"f{i % 40}", f"d{i % 5}", "power_kw", float(i))
        for i in range(rows)
    ]
    tick = time.perf_counter()
    for i in range(0, rows, 10_000):
        readings.write_readings(store, data[i : i + 10_000])
    rate = rows / (time.perf_counter() - tick)
    assert readings.count_readings(store) == rows
    store.dispose()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rows", type=int, default=40_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ems_bench_"))
    url = f"sqlite:///{tmp / 'ems.db'}"
    times, svc = asyncio.run(loop_iteration(url))
    from runtime import security

    principal = security.authenticate(svc.store, "operator", "ems-dev-password")  # type: ignore[attr-defined]
    token = security.create_api_key(svc.store, principal.username, "bench")  # type: ignore  # works as a bearer
    proc, base = serve(url)
    paths = ["/api/v1/health", "/api/v1/facilities/status", "/api/v1/city/summary", "/api/v1/plans/latest"]
    lat = asyncio.run(latency(base, paths, token, args.requests, args.concurrency))
    proc.terminate()
    proc.join(10)
    rows = []
    for path, samples in lat.items():
        wall = -samples.pop()
        rows.append((path, statistics.median(samples), pct(samples, 0.99), args.requests / wall))
    base_p50 = rows[0][1]
    sqlite_rate = write_rate(f"sqlite:///{tmp / 'w.db'}", args.rows)
    pg_url = os.environ.get("EMS_TEST_POSTGRES_URL")
    pg_rate = None
    if pg_url:
        schema = f"ems_bench_{uuid.uuid4().hex[:8]}"
        try:
            pg_rate = write_rate(pg_url, args.rows, schema)
        finally:
            drop_schema(pg_url, schema)
    load = os.getloadavg()[0]
    lines = [
        f"# Service benchmark ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
        f"load average {load:.1f} at the end, loopback)",
        "",
        f"## API latency: {args.requests} GETs per endpoint, {args.concurrency} concurrent, httpx async, "
        "uvicorn single worker in its own process, SQLite, Yamaguchi (40 facilities) after one loop iteration",
        "",
        "| endpoint | p50 ms | p99 ms | req/s | p50 / health p50 |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {p} | {p50:.1f} | {p99:.1f} | {rps:.0f} | {p50 / base_p50:.2f} |" for p, p50, p99, rps in rows]
    lines += [
        "",
        "## One loop iteration, Yamaguchi (40 facilities, simulated Modbus devices on loopback, SQLite)",
        "",
        "| step | seconds | share |",
        "|---|---:|---:|",
    ]
    total = sum(v for k, v in times.items() if k != "plan_kind")
    lines += [f"| {k} | {v:.2f} | {v / total:.0%} |" for k, v in times.items() if k != "plan_kind"]
    lines += [
        f"| **total** | **{total:.2f}** | plan {'optimal' if times['plan_kind'] == 0 else 'fallback'} |",
        "",
        f"## Readings write rate ({args.rows} rows, batches of 10 000 via executemany + latest-value upsert)",
        "",
        "| backend | rows/s | ratio to SQLite |",
        "|---|---:|---:|",
        f"| SQLite (file, WAL) | {sqlite_rate:,.0f} | 1.00 |",
    ]
    lines.append(
        f"| PostgreSQL 15 (loopback, psycopg 3) | {pg_rate:,.0f} | {pg_rate / sqlite_rate:.2f} |"
        if pg_rate
        else "| PostgreSQL | not measured (EMS_TEST_POSTGRES_URL unset) | |"
    )
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
