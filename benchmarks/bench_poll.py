"""Benchmark of the device poller against simulated devices on loopback.

For 200 and 1,000 simulated devices (the Yamaguchi device mix repeated: meters, PV inverters, batteries,
EV chargers; one pymodbus server per device, all in a separate server process) it measures:

* the poll-cycle time of the poller (fast points, all devices concurrently), median of the cycles;
* the floor: the same requests (same addresses and counts, one already-open bare pymodbus client per
  device, all devices concurrently) measured in the same run;
* reads per second, client memory (RSS growth for the poller and its connections) and the server RSS;
* one dead device (never answers, time-out 1 s): its own reading time and the others' latency;
* 1,000 devices with 10 % faulty (every tenth device: no answer, slow beyond the time-out, exception 4, gateway
  0x0B, dropped connections, garbage, every point "not implemented"), polled in the same run as the same 1,000
  devices without faults: cycle times, the healthy devices' reading times, and whether exactly the faulty devices
  were flagged (ratio faulty / clean).

Run: ``.venv/bin/python benchmarks/bench_poll.py`` (writes benchmarks/results/devices.md);
``--faulty-only`` runs only the 10 %-faulty comparison (and prints its table); ``--measure-only`` only the poll
cycle against the floor at 200 and 1,000 devices (copied into an older tree, it measures that tree's poller).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pymodbus.client import AsyncModbusTcpClient  # noqa: E402

from devices.capabilities import Quality  # noqa: E402
from devices.inventory import DeviceSpec  # noqa: E402
from devices.modbus_client import quiet_pymodbus  # noqa: E402
from devices.poller import DeviceState, Poller, PollerConfig  # noqa: E402
from devices.simulators.fleet import modbus_devices  # noqa: E402
from scenarios.device_identity import DeviceKey  # noqa: E402
from scenarios.loader import load_builtin  # noqa: E402

CYCLES = 7
RESULTS = ROOT / "benchmarks" / "results" / "devices.md"


def rss_mb(pid: int | str = "self") -> float:
    """Resident set size of a process in MB."""
    with open(f"/proc/{pid}/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


FAULTY_EVERY = 10
FAULTY_TIMEOUT_S = 3.0
FAULT_KINDS = ("no_answer", "slow", "exception", "gateway", "drop", "garbage", "sentinel")


def fault_of(i: int, every: int) -> str | None:
    """The fault injected into device ``i`` when every ``every``-th device is faulty (kinds in turn), or None."""
    if not every or i % every != every // 2:
        return None
    return FAULT_KINDS[(i // every) % len(FAULT_KINDS)]


def device_specs(n: int) -> list[DeviceSpec]:
    """``n`` device specs: the Yamaguchi Modbus devices repeated, device ids suffixed with the copy number (the
    ECHONET Lite and OCPP ones: ``bench_protocols.py``)."""
    base = modbus_devices(load_builtin("yamaguchi"))
    specs = []
    for i in range(n):
        spec = base[i % len(base)]
        key = DeviceKey(spec.key.facility_id, f"{spec.key.device_id}#{i // len(base)}")
        specs.append(dataclasses.replace(spec, key=key))
    return specs


async def serve(n: int, dead: int | None, faulty_every: int = 0) -> None:
    """Server process: start ``n`` simulators, print the ports as JSON, run until stdin closes."""
    from devices.simulators.fleet import build_devices
    from devices.simulators.server import Fault, SimServer

    scenario = load_builtin("yamaguchi")
    servers: list[SimServer] = []
    ports: list[int] = []
    while len(servers) < n:
        devices, _ = build_devices(scenario)
        for device in devices.values():
            if len(servers) == n:
                break
            if dead is not None and len(servers) == dead:
                device.fault = Fault("no_answer")
            kind = fault_of(len(servers), faulty_every)
            if kind is not None:
                device.fault = Fault(kind, delay_s=2 * FAULTY_TIMEOUT_S)
            server = SimServer([device])
            ports.append(await server.start())
            servers.append(server)
    print(json.dumps({"ports": ports, "rss_mb": rss_mb()}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for server in servers:
        await server.stop()


def start_servers(
    n: int, dead: int | None = None, faulty_every: int = 0
) -> tuple[subprocess.Popen[str], list[int], float]:
    """Start the server process; returns it, the ports and its RSS in MB."""
    args = [sys.executable, __file__, "--serve", str(n)] + (["--dead", str(dead)] if dead is not None else [])
    args += ["--faulty", str(faulty_every)] if faulty_every else []
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    return proc, info["ports"], info["rss_mb"]


def stop_servers(proc: subprocess.Popen[str]) -> None:
    """Close stdin so the server process stops, and wait for it."""
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(30)


def make_poller(n: int, ports: list[int], timeout_s: float = 1.0, skip_first: bool = False) -> Poller:
    """A poller over ``n`` devices at ``ports`` with time-out ``timeout_s`` (``skip_first``: without device 0)."""
    specs = [
        s.with_endpoint(host="127.0.0.1", port=port, timeout_s=timeout_s)
        for s, port in zip(device_specs(n), ports, strict=True)
    ][1 if skip_first else 0 :]
    return Poller(specs, config=PollerConfig(backoff_base_s=5.0))


def requests_of(poller: Poller) -> int:
    """Requests sent so far on every connection."""
    return sum(c.stats.requests for c in poller.connections.values())


async def bare_clients(poller: Poller) -> list[tuple[AsyncModbusTcpClient, list[tuple[int, int]]]]:
    """One connected bare pymodbus client per device with the poller's fast-read blocks (address, count; the
    Yamaguchi devices read holding registers only)."""
    pairs = []
    for state in poller.states.values():
        driver: Any = state.driver
        blocks = driver._readers[False].blocks if hasattr(driver, "_readers") else driver._plans[False]
        endpoint = state.spec.modbus
        client = AsyncModbusTcpClient(endpoint.host, port=endpoint.port, timeout=3, retries=0)
        await client.connect()
        pairs.append((client, [(b.address, b.count) for b in blocks]))
    return pairs


async def floor_cycle(pairs: list[tuple[AsyncModbusTcpClient, list[tuple[int, int]]]]) -> float:
    """The same requests as one fast poll cycle, bare pymodbus, all devices concurrently; seconds."""

    async def one(client: AsyncModbusTcpClient, blocks: list[tuple[int, int]]) -> None:
        for address, count in blocks:
            response = await client.read_holding_registers(address, count=count, device_id=1)
            assert not response.isError()

    started = time.perf_counter()
    await asyncio.gather(*(one(c, b) for c, b in pairs))
    return time.perf_counter() - started


async def measure(n: int) -> dict[str, float]:
    """Cycle time, floor, reads/s and memory for ``n`` devices (poller and floor cycles interleaved)."""
    proc, ports, server_rss = start_servers(n)
    try:
        rss0 = rss_mb()
        # 3 s: all simulators share one server process (~1k requests/s), so at 1,000 devices the last answers of
        # a cycle queue there for more than 1 s; real devices each answer on their own
        poller = make_poller(n, ports, timeout_s=3.0)
        first = await poller.cycle(full=True)  # discovery + full read
        assert all(r.quality is Quality.GOOD for r in first), [r.error for r in first if r.error][:3]
        rss1 = rss_mb()
        pairs = await bare_clients(poller)
        times, floors, sent = [], [], requests_of(poller)
        for _ in range(CYCLES):
            started = time.perf_counter()
            readings = await poller.cycle(full=False)
            times.append(time.perf_counter() - started)
            assert all(r.quality is Quality.GOOD for r in readings)
            floors.append(await floor_cycle(pairs))
        per_cycle = (requests_of(poller) - sent) / CYCLES
        for client, _ in pairs:
            client.close()
        poller.close()
    finally:
        stop_servers(proc)
    cycle = statistics.median(times)
    return {
        "n": n,
        "cycle_s": cycle,
        "floor_s": statistics.median(floors),
        "requests": per_cycle,
        "reads_per_s": per_cycle / cycle,
        "client_mb": rss1 - rss0,
        "server_mb": server_rss,
    }


def timed_poller(poller: Poller) -> dict[DeviceKey, float]:
    """Instrument ``poller`` so that each device's reading time (s) of the last cycle lands in the returned dict."""
    done: dict[DeviceKey, float] = {}
    original = poller.poll_device

    async def timed(state: DeviceState, full: bool, now):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        reading = await original(state, full, now)
        done[state.spec.key] = time.perf_counter() - started
        return reading

    poller.poll_device = timed  # type: ignore[method-assign]
    return done


async def dead_device(n: int = 200, timeout_s: float = 1.0, cycles: int = 5) -> dict[str, object]:
    """``n`` healthy devices polled with and without one extra dead device, interleaved in the same run.

    Rows: first (discovery) cycle and the median of ``cycles`` fast cycles; columns: the dead device's own
    reading time, and the healthy devices' slowest and median reading times with and without it (s).
    """
    proc, ports, _ = start_servers(n + 1, dead=0)
    try:
        with_dead, without = make_poller(n + 1, ports, timeout_s), make_poller(n + 1, ports, timeout_s, skip_first=True)
        dead_id = next(iter(with_dead.states))
        t_with, t_without = timed_poller(with_dead), timed_poller(without)
        samples: dict[str, list[tuple[float, float, float, float, float]]] = {"first": [], "fast": []}
        for label in ["first"] + ["fast"] * cycles:
            full = label == "first"
            readings = await with_dead.cycle(full=full)
            assert [r.key for r in readings if r.quality is not Quality.GOOD] == [dead_id]
            assert all(r.quality is Quality.GOOD for r in await without.cycle(full=full))
            others = [t for d, t in t_with.items() if d != dead_id]
            clean = list(t_without.values())
            samples[label].append(
                (t_with[dead_id], max(others), statistics.median(others), max(clean), statistics.median(clean))
            )
        with_dead.close()
        without.close()
    finally:
        stop_servers(proc)
    rows = {
        "first (connect + discovery)": samples["first"][0],
        f"fast, median of {cycles}": tuple(statistics.median(col) for col in zip(*samples["fast"], strict=True)),
    }
    return {"timeout_s": timeout_s, "n": n, "rows": rows}


async def faulty_fleet(n: int = 1000, every: int = FAULTY_EVERY, cycles: int = 9) -> dict[str, object]:
    """``n`` devices with every ``every``-th one faulty, and the same ``n`` devices without faults, polled by two
    pollers with cycles interleaved in the same run (first cycle: connect + discovery + full read).

    Per cycle kind: the cycle time of each poller, the healthy devices' median and 99th-percentile reading times,
    and the flagged devices compared with the faulty ones (false positives, faulty devices read as good).
    """
    faulty_proc, faulty_ports, _ = start_servers(n, faulty_every=every)
    clean_proc, clean_ports, _ = start_servers(n)
    try:
        pollers = {
            "faulty": make_poller(n, faulty_ports, FAULTY_TIMEOUT_S),
            "clean": make_poller(n, clean_ports, FAULTY_TIMEOUT_S),
        }
        keys = list(pollers["faulty"].states)
        faulty = {keys[i] for i in range(n) if fault_of(i, every)}
        timers = {name: timed_poller(p) for name, p in pollers.items()}
        rows: dict[str, dict[str, list[float]]] = {"first": {}, "fast": {}}
        checks = {"false_positives": 0, "missed": 0, "cycles": 0}
        for label in ["first"] + ["fast"] * cycles:
            for name, poller in pollers.items():
                started = time.perf_counter()
                readings = await poller.cycle(full=label == "first")
                elapsed = time.perf_counter() - started
                bad = {r.key for r in readings if r.quality is not Quality.GOOD}
                expected = faulty if name == "faulty" else set()
                checks["false_positives"] += len(bad - expected)
                checks["missed"] += len(expected - bad)
                healthy = sorted(t for k, t in timers[name].items() if k not in faulty)
                p99 = healthy[min(len(healthy) - 1, int(0.99 * len(healthy)))]
                for metric, value in (("cycle", elapsed), ("median", statistics.median(healthy)), ("p99", p99)):
                    rows[label].setdefault(f"{name} {metric}", []).append(value)
            checks["cycles"] += 1
        for poller in pollers.values():
            poller.close()
    finally:
        stop_servers(faulty_proc)
        stop_servers(clean_proc)
    summary = {label: {k: statistics.median(v) for k, v in metrics.items()} for label, metrics in rows.items()}
    spread = {name: (min(rows["fast"][f"{name} cycle"]), max(rows["fast"][f"{name} cycle"])) for name in pollers}
    return {"n": n, "faulty": len(faulty), "cycles": cycles, "rows": summary, "checks": checks, "spread": spread}


def faulty_table(result: dict[str, object]) -> list[str]:
    """The Markdown rows of the 10 %-faulty comparison."""
    rows: dict[str, dict[str, float]] = result["rows"]  # type: ignore[assignment]
    checks: dict[str, int] = result["checks"]  # type: ignore[assignment]
    lines = [
        "",
        f"{result['n']} devices, {result['faulty']} of them faulty (every {FAULTY_EVERY}th: "
        + ", ".join(FAULT_KINDS)
        + f"; slow = 2 × the {FAULTY_TIMEOUT_S:g} s time-out), against the same {result['n']} devices without faults, "
        "two pollers with cycles interleaved in the same run (back-off 5 s). Seconds; fast rows are medians of "
        f"{result['cycles']} cycles:",
        "",
        "| cycle | faulty: cycle | clean: cycle | ratio | healthy devices, faulty run: median / p99 | "
        "clean run: median / p99 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, name in (("first", "first (connect + discovery + full read)"), ("fast", "fast")):
        r = rows[label]
        ratio = r["faulty cycle"] / r["clean cycle"]
        lines.append(
            f"| {name} | {r['faulty cycle']:.3f} | {r['clean cycle']:.3f} | {ratio:.2f} | "
            f"{r['faulty median']:.3f} / {r['faulty p99']:.3f} | {r['clean median']:.3f} / {r['clean p99']:.3f} |"
        )
    spread: dict[str, tuple[float, float]] = result["spread"]  # type: ignore[assignment]
    lines += [
        "",
        f"Fast cycles ranged {spread['faulty'][0]:.3f}-{spread['faulty'][1]:.3f} s (faulty) and "
        f"{spread['clean'][0]:.3f}-{spread['clean'][1]:.3f} s (clean). Flagged devices over {checks['cycles']} cycles "
        f"of each poller: {checks['false_positives']} healthy devices flagged (false positives), {checks['missed']} "
        "faulty devices read as good.",
    ]
    return lines


def table(results: list[dict[str, float]], dead: dict[str, object]) -> str:
    """The Markdown report."""
    lines = [
        "# Device poll benchmark",
        "",
        f"Machine: {os.cpu_count()} CPUs; client (poller) and servers (one pymodbus server per simulated "
        "device) in two processes on loopback; pymodbus 3.16.1. Median of "
        f"{CYCLES} fast-point cycles after a first full cycle (discovery), poller and floor cycles "
        "interleaved; per-request time-out 3 s (all simulators share one server process, so at 1,000 devices "
        "the last answers of a cycle queue there). Client RSS growth: the poller, its drivers and connections "
        "after the first cycle.",
        "",
        "| devices | requests/cycle | poll cycle s | bare pymodbus floor s | ratio | reads/s | "
        "client RSS growth MB | server RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['n']:.0f} | {r['requests']:.0f} | {r['cycle_s']:.3f} | {r['floor_s']:.3f} | "
            f"{r['cycle_s'] / r['floor_s']:.2f} | {r['reads_per_s']:.0f} | {r['client_mb']:.1f} | "
            f"{r['server_mb']:.0f} |"
        )
    lines += [
        "",
        f"One dead device (never answers; time-out {dead['timeout_s']} s, no retries, back-off 5 s): "
        f"{dead['n']} healthy devices polled by a poller that also has the dead device and by one that has "
        "not, cycles interleaved in the same run. Reading times in s:",
        "",
        "| cycle | dead device | others, slowest | others, median | without dead: slowest | without dead: median |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, row in dead["rows"].items():  # type: ignore[attr-defined]
        lines.append(f"| {label} | " + " | ".join(f"{v:.3f}" for v in row) + " |")
    return "\n".join(lines) + "\n"


async def main() -> None:
    """Run every measurement and print/write the tables."""
    if "--faulty-only" in sys.argv:
        print("\n".join(faulty_table(await faulty_fleet())))
        return
    if "--measure-only" in sys.argv:  # also runs against an older tree (copy this script into it)
        for n in (200, 1000):
            r = await measure(n)
            ratio = r["cycle_s"] / r["floor_s"]
            print(f"{n} devices: cycle {r['cycle_s']:.3f} s, floor {r['floor_s']:.3f} s, ratio {ratio:.2f}")
        return
    results = [await measure(200), await measure(1000)]
    dead = await dead_device(200)
    faulty = await faulty_fleet()
    text = table(results, dead) + "\n".join(faulty_table(faulty)) + "\n"
    print(text)
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    quiet_pymodbus()  # the dead device would log every request
    if "--serve" in sys.argv:
        dead_index = int(sys.argv[sys.argv.index("--dead") + 1]) if "--dead" in sys.argv else None
        every = int(sys.argv[sys.argv.index("--faulty") + 1]) if "--faulty" in sys.argv else 0
        asyncio.run(serve(int(sys.argv[sys.argv.index("--serve") + 1]), dead_index, every))
    else:
        asyncio.run(main())
