"""Read latency under load: p50/p99 of /health, /facilities/status, /city/summary and /plans/latest at N
concurrent clients against `ems up` (Yamaguchi, simulated devices, the loop running), first without heavy
jobs and then while two outage MILPs are being solved (kept at two: a finished one is resubmitted); also the
poll step's duration (from /metrics) in each phase.

The service is started twice in the same run: with the read model off (``EMS_READ_CACHE=false``: every read
queries the database; the baseline) and on (the default). The clients are `wrk` processes (C, one per
endpoint, N/4 connections each, `apt-get install wrk`), so the load generator does not compete for the
server's GIL; with ``--think-ms`` each connection waits that long between its requests (wrk's ``delay()``),
0 = back to back (saturation). Writes the table to benchmarks/results/api_load.md.

Run: .venv/bin/python benchmarks/bench_api_load.py [--clients 32] [--seconds 15] [--think-ms 0,100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

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
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass(frozen=True)
class Latency:
    """One wrk run against one endpoint: percentiles (ms), requests per second, non-2xx answers."""

    p50_ms: float
    p99_ms: float
    rps: float
    requests: int
    errors: int


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ms(text: str) -> float:
    found = re.fullmatch(r"([0-9.]+)(us|ms|s)", text.strip())
    if not found:
        raise ValueError(f"wrk latency {text!r}")
    return float(found.group(1)) * UNITS[found.group(2)]


def _parse(out: str) -> Latency:
    pct = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    requests = re.search(r"(\d+) requests in", out)
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: .*?timeout (\d+)", out)
    if "50" not in pct or requests is None or rps is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    return Latency(
        _ms(pct["50"]),
        _ms(pct["99"]),
        float(rps.group(1)),
        int(requests.group(1)),
        (int(bad.group(1)) if bad else 0) + (int(errors.group(1)) if errors else 0),
    )


def _script(folder: Path, think_ms: int) -> Path:
    path = folder / f"think{think_ms}.lua"
    path.write_text(f"function delay()\n  return {think_ms}\nend\n" if think_ms else "")
    return path


def _wrk(base: str, token: str, clients: int, seconds: float, script: Path) -> dict[str, Latency]:
    """One wrk process per endpoint, all at once (clients/4 connections each); their figures."""
    per = max(1, clients // len(ENDPOINTS))
    procs = {
        name: subprocess.Popen(
            [
                "wrk",
                "-t1",
                f"-c{per}",
                f"-d{seconds:g}s",
                "--latency",
                "--timeout",
                "10s",
                "-s",
                str(script),
                "-H",
                f"Authorization: Bearer {token}",
                base + path,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name, path in ENDPOINTS.items()
    }
    return {name: _parse(p.communicate(timeout=seconds + 60)[0]) for name, p in procs.items()}


async def _wait_ready(client: httpx.AsyncClient, timeout_s: float = 900) -> None:
    """Until the service answers and the loop has dispatched its first plan."""
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


async def _keep_two_outages(client: httpx.AsyncClient, stop: asyncio.Event, solved: list[float]) -> None:
    """Two outage jobs running at all times until `stop`; the solve times (s) of those that finished."""
    running: dict[str, float] = {}
    while not stop.is_set():
        while len(running) < 2:
            answer = await client.post("/api/v1/outage-plans/jobs", json=OUTAGE)
            if answer.status_code == 429:
                break
            running[answer.json()["status_url"]] = time.perf_counter()
        for url, started in list(running.items()):
            if (await client.get(url)).json()["status"] in ("done", "failed"):
                solved.append(time.perf_counter() - started)
                del running[url]
        await asyncio.sleep(0.5)


Row = tuple[str, str, int, str, Latency, float | None]
"""mode, phase, think ms, endpoint, figures, poll step s."""


async def _phases(base: str, mode: str, args: argparse.Namespace, scripts: dict[int, Path]) -> list[Row]:
    rows: list[Row] = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        await _wait_ready(client)
        login = await client.post("/api/v1/auth/login", json={"username": "operator", "password": PASSWORD})
        login.raise_for_status()
        token = login.json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        await asyncio.to_thread(_wrk, base, token, args.clients, 3, scripts[0])  # warm-up
        for think in args.think_ms:
            print(f"{mode}: loop only, think {think} ms")
            data = await asyncio.to_thread(_wrk, base, token, args.clients, args.seconds, scripts[think])
            poll_s = await _poll_seconds(client)
            rows += [(mode, "loop only", think, n, v, poll_s) for n, v in data.items()]
        stop, solved = asyncio.Event(), list[float]()
        heavy = asyncio.create_task(_keep_two_outages(client, stop, solved))
        await asyncio.sleep(3)  # both jobs under way
        for think in args.think_ms:
            print(f"{mode}: loop + 2 outage MILPs, think {think} ms")
            data = await asyncio.to_thread(_wrk, base, token, args.clients, args.seconds, scripts[think])
            poll_s = await _poll_seconds(client)
            rows += [(mode, "loop + 2 outage MILPs", think, n, v, poll_s) for n, v in data.items()]
        stop.set()
        await heavy
        print(f"  outage solves finished meanwhile: {len(solved)}")
    return rows


def _run_mode(mode: str, cache: bool, args: argparse.Namespace, scripts: dict[int, Path]) -> list[Row]:
    port = _port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "EMS_SCENARIO": args.scenario,
            "EMS_DATABASE_URL": f"sqlite:///{tmp}/ems.db",
            "EMS_SPOOL_DIR": f"{tmp}/spool",
            "EMS_ADMIN_PASSWORD": PASSWORD,
            "EMS_READ_CACHE": "true" if cache else "false",
        }
        log = Path(tempfile.gettempdir()) / f"bench_api_load_ems_{mode.split()[0]}.log"  # kept for a look
        with log.open("w") as out:
            proc = subprocess.Popen([EMS, "up", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
            try:
                return asyncio.run(_phases(f"http://127.0.0.1:{port}", mode, args, scripts))
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    print(f"  ems up did not stop within 60 s of SIGTERM: killed (see {log})")
                    proc.kill()
                    proc.wait()


def _table(rows: list[Row], clients: int) -> str:
    base = {(r[1], r[2], r[3]): r[4] for r in rows if r[0].startswith("baseline")}
    lines = [
        "| read model | phase | think ms | endpoint | requests | req/s | p50 ms | p99 ms | p99 / baseline p99 | "
        "non-2xx | poll step s |",
        "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for mode, phase, think, name, v, poll_s in rows:
        ref = base.get((phase, think, name))
        ratio = f"{v.p99_ms / ref.p99_ms:.2f}" if ref and ref.p99_ms > 0 else "n/a"
        poll = f"{poll_s:.3f}" if poll_s is not None else "n/a"
        lines.append(
            f"| {mode} | {phase} | {think} | {name} | {v.requests} | {v.rps:.0f} | {v.p50_ms:.1f} | "
            f"{v.p99_ms:.1f} | {ratio} | {v.errors} | {poll} |"
        )
    return "\n".join(lines) + f"\n\n{clients} concurrent clients (wrk connections, {clients // 4} per endpoint).\n"


def _load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} (1 / 5 min) at the end"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--think-ms", default="0,100", help="comma-separated think times per connection (ms)")
    parser.add_argument("--scenario", default="yamaguchi")
    parser.add_argument("--modes", default="baseline,read model", help="which services to run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install -y wrk")
    args.think_ms = [int(t) for t in args.think_ms.split(",")]
    modes = [m.strip() for m in args.modes.split(",")]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        scripts = {t: _script(Path(tmp), t) for t in {0, *args.think_ms}}
        if "baseline" in modes:
            rows += _run_mode("baseline (EMS_READ_CACHE=false)", False, args, scripts)
        if "read model" in modes:
            rows += _run_mode("read model (default)", True, args, scripts)
    table = _table(rows, args.clients)
    print(table)
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(
        "# Read latency under load (benchmarks/bench_api_load.py)\n\n"
        f"`{' '.join(['python benchmarks/bench_api_load.py', *sys.argv[1:]])}`, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs shared with other "
        f"engineers' jobs ({_load_note()}).\n\n" + table
    )


if __name__ == "__main__":
    main()
