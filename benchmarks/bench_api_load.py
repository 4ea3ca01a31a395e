"""Read latency under load: p50/p99 of /health, /facilities/status, /city/summary and /plans/latest at N
concurrent clients against `ems up` (Yamaguchi, simulated devices, the loop running), first without heavy
jobs (the baseline) and then while two outage MILPs are being solved (kept at two: a finished one is
resubmitted). Also the poll step's duration (from /metrics) in both phases.

Run: .venv/bin/python benchmarks/bench_api_load.py [--clients 32] [--seconds 20] [--scenario yamaguchi]
The service runs in its own process (`ems up`, SQLite in a temporary folder); the clients are httpx in this
process. Writes the table to benchmarks/results/api_load.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results") / "api_load.md"
EMS = str(Path(sys.executable).with_name("ems"))
PASSWORD = "bench-password-123456"  # noqa: S105 - a throw-away benchmark account
ENDPOINTS = {
    "health": "/api/v1/health",
    "facility status": "/api/v1/facilities/status",
    "city summary": "/api/v1/city/summary",
    "latest plan": "/api/v1/plans/latest",
}
OUTAGE = {"start": "2024-09-01T14:00:00+09:00", "hours": 72, "method": "milp", "time_limit_s": 60}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _wait_ready(client: httpx.AsyncClient, timeout_s: float = 600) -> None:
    """Until the service answers and the loop has made its first plan."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            health = (await client.get("/api/v1/health")).json()
            if health.get("loop_runs", {}).get("dispatch", 0) >= 1:
                return
        except (httpx.HTTPError, ValueError):
            pass
        await asyncio.sleep(1)
    raise SystemExit("the service did not come up in time")


async def _poll_seconds(client: httpx.AsyncClient) -> float | None:
    text = (await client.get("/metrics")).text
    found = re.search(r'ems_loop_job_duration_seconds\{job="poll"\} ([0-9.e+-]+)', text)
    return float(found.group(1)) if found else None


async def _load(client: httpx.AsyncClient, clients: int, seconds: float) -> dict[str, list[float]]:
    """`clients` tasks each cycling through the endpoints for `seconds`; latency (s) per endpoint."""
    out: dict[str, list[float]] = {name: [] for name in ENDPOINTS}
    errors: list[int] = []
    stop = time.monotonic() + seconds

    async def worker(offset: int) -> None:
        names = list(ENDPOINTS)
        i = offset
        while time.monotonic() < stop:
            name = names[i % len(names)]
            i += 1
            tick = time.perf_counter()
            response = await client.get(ENDPOINTS[name])
            out[name].append(time.perf_counter() - tick)
            if response.status_code != 200:
                errors.append(response.status_code)

    await asyncio.gather(*(worker(k) for k in range(clients)))
    if errors:
        print(f"  non-200 answers: {len(errors)} ({sorted(set(errors))})")
    return out


async def _keep_two_outages(client: httpx.AsyncClient, stop: asyncio.Event, solved: list[float]) -> None:
    """Two outage jobs running at all times until `stop`; the solve times (s) of those that finished."""
    running: dict[str, float] = {}
    while not stop.is_set():
        while len(running) < 2:
            job = (await client.post("/api/v1/outage-plans/jobs", json=OUTAGE)).json()
            running[job["status_url"]] = time.perf_counter()
        for url, started in list(running.items()):
            if (await client.get(url)).json()["status"] in ("done", "failed"):
                solved.append(time.perf_counter() - started)
                del running[url]
        await asyncio.sleep(0.5)


async def _measure(base: str, clients: int, seconds: float) -> list[tuple[str, dict[str, list[float]], float | None]]:
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        await _wait_ready(client)
        login = await client.post("/api/v1/auth/login", json={"username": "operator", "password": PASSWORD})
        login.raise_for_status()
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        await _load(client, clients, 3)  # warm-up
        phases = []
        print("phase: loop running, no heavy jobs")
        baseline = await _load(client, clients, seconds)
        phases.append(("loop only (baseline)", baseline, await _poll_seconds(client)))
        print("phase: loop running, two outage MILPs being solved")
        stop, solved = asyncio.Event(), list[float]()
        heavy = asyncio.create_task(_keep_two_outages(client, stop, solved))
        await asyncio.sleep(3)  # both jobs under way
        loaded = await _load(client, clients, seconds)
        poll_s = await _poll_seconds(client)
        stop.set()
        await heavy
        print(f"  outage solves finished meanwhile: {len(solved)}")
        phases.append(("loop + 2 outage MILPs", loaded, poll_s))
        return phases


def _table(phases: list[tuple[str, dict[str, list[float]], float | None]], clients: int) -> str:
    base = phases[0][1]
    lines = [
        "| phase | endpoint | requests | p50 ms | p99 ms | p99 / baseline p99 | poll step s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, data, poll_s in phases:
        for name, values in data.items():
            ratio = _pct(values, 0.99) / _pct(base[name], 0.99)
            poll = f"{poll_s:.3f}" if poll_s is not None else "n/a"
            lines.append(
                f"| {label} | {name} | {len(values)} | {1000 * statistics.median(values):.1f} | "
                f"{1000 * _pct(values, 0.99):.1f} | {ratio:.2f} | {poll} |"
            )
    return "\n".join(lines) + f"\n\n{clients} concurrent clients.\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--scenario", default="yamaguchi")
    args = parser.parse_args()
    port = _port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "EMS_SCENARIO": args.scenario,
            "EMS_DATABASE_URL": f"sqlite:///{tmp}/ems.db",
            "EMS_SPOOL_DIR": f"{tmp}/spool",
            "EMS_ADMIN_PASSWORD": PASSWORD,
        }
        log = Path(tempfile.gettempdir()) / "bench_api_load_ems.log"  # the service's output, kept for a look
        with log.open("w") as out:
            proc = subprocess.Popen([EMS, "up", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
            try:
                phases = asyncio.run(_measure(f"http://127.0.0.1:{port}", args.clients, args.seconds))
            finally:
                proc.terminate()
                proc.wait(timeout=60)
    table = _table(phases, args.clients)
    print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        "# Read latency under load (benchmarks/bench_api_load.py)\n\n"
        f"`{' '.join(['python benchmarks/bench_api_load.py', *sys.argv[1:]])}`, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs (shared).\n\n" + table
    )


if __name__ == "__main__":
    main()
