"""Benchmark of the poll cycle with ECHONET Lite and OCPP 1.6J devices, each figure with its baseline measured in the
same run.

1. Yamaguchi as ``ems up`` runs it (Modbus simulators, Shiraishi's ECHONET Lite node, City Hall's OCPP charge point
   on the central system): median fast-cycle time of all 71 devices, against the same run's cycle of the 66 Modbus
   devices alone (ratio mixed / Modbus only).
2. 1,000 ECHONET Lite devices (250 nodes on 127.0.x.y:3610, each a battery, a V2H unit, a PV inverter and a smart
   meter) with 10 % faulty (every tenth node: no answer, SNA refusing everything, stale values, in turn), against
   the same 1,000 devices clean: median cycle time, the healthy devices' good share, and whether exactly the devices
   of the faulty nodes that can be detected (no answer, SNA) were flagged; stale-value nodes answer and are good.

Everything runs in one process and one event loop (servers and poller), so the figures include the simulators'
own work. Run: ``.venv/bin/python benchmarks/bench_protocols.py`` (writes benchmarks/results/protocols.md).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devices.capabilities import Quality  # noqa: E402
from devices.inventory import DeviceSpec, DriverFamily, scenario_devices, with_ports  # noqa: E402
from devices.modbus_client import quiet_pymodbus  # noqa: E402
from devices.poller import Poller, PollerConfig  # noqa: E402
from devices.simulators.echonet_node import EchonetFault, EchonetNode  # noqa: E402
from devices.simulators.echonet_objects import object_for  # noqa: E402
from devices.simulators.physics import facility_sim  # noqa: E402
from runtime.facades import protocols  # noqa: E402
from runtime.facades.telemetry import running_simulators  # noqa: E402
from scenarios.device_identity import DeviceKey  # noqa: E402
from scenarios.loader import load_builtin  # noqa: E402

CYCLES = 7
RESULTS = ROOT / "benchmarks" / "results" / "protocols.md"
BIND = protocols.SIMULATED_ECHONET_BIND
FAULTS = (EchonetFault(no_answer=True), EchonetFault(refuse_all=True), EchonetFault(stale=True))


async def median_cycle(poller: Poller, cycles: int = CYCLES) -> tuple[float, list[Quality]]:
    """Median seconds of ``cycles`` fast cycles after one full warm-up cycle, and the last cycle's qualities."""
    await poller.cycle(full=True)
    times, last = [], []
    for _ in range(cycles):
        start = time.perf_counter()
        readings = await poller.cycle(full=False)
        times.append(time.perf_counter() - start)
        last = [r.quality for r in readings]
    return statistics.median(times), last


async def yamaguchi() -> list[str]:
    """Rows: Yamaguchi Modbus only, and mixed protocols, measured on the same simulators."""
    scenario = load_builtin("yamaguchi")
    config = PollerConfig(echonet_bind=BIND)
    async with running_simulators(scenario, port_base=0) as fleet:
        central = await protocols.start_central(scenario, "127.0.0.1", 0)
        sims = await protocols.start_protocol_simulators(scenario, central, fleet.facilities, interval_s=1.0)
        try:
            specs = with_ports(scenario_devices(scenario), fleet.port_map)
            modbus = [s for s in specs if s.family in (DriverFamily.SUNSPEC, DriverFamily.VENDOR_MAP)]
            rows = []
            base = None
            for label, chosen in (("Modbus only", modbus), ("mixed: Modbus + ECHONET Lite + OCPP", specs)):
                poller = Poller(chosen, config=config, central=central)
                seconds, qualities = await median_cycle(poller)
                poller.close()
                base = base or seconds
                good = sum(q is Quality.GOOD for q in qualities)
                rows.append(
                    f"| Yamaguchi, {label} | {len(chosen)} | {good} | {seconds * 1000:.0f} | {seconds / base:.2f} |"
                )
            return rows
        finally:
            await sims.stop()
            if central is not None:
                await central.stop()


def echonet_fleet_specs(nodes: int) -> list[tuple[str, list[DeviceSpec]]]:
    """``nodes`` copies of Shiraishi's ECHONET Lite node (4 devices) on 127.0.x.y, device ids suffixed."""
    base = [s for s in scenario_devices(load_builtin("yamaguchi")) if s.family is DriverFamily.ECHONET_LITE]
    out = []
    for i in range(nodes):
        host = f"127.0.{10 + i // 200}.{1 + i % 200}"
        copies = [
            dataclasses.replace(
                s.with_endpoint(host=host, timeout_s=1.0), key=DeviceKey(s.key.facility_id, f"{s.key.device_id}#{i}")
            )
            for s in base
        ]
        out.append((host, copies))
    return out


async def echonet_thousand(nodes: int = 250) -> list[str]:
    """Rows: 1,000 ECHONET Lite devices clean, then with every tenth node faulty (same nodes, same run)."""
    scenario = load_builtin("yamaguchi")
    groups = echonet_fleet_specs(nodes)
    physics = facility_sim(groups[0][1][0].facility, scenario.evs_at(groups[0][1][0].facility.id))
    now = dt.datetime.now(dt.UTC)
    servers = []
    for host, specs in groups:
        node = EchonetNode(host, [object_for(s, physics, lambda: now) for s in specs])
        await node.start()
        servers.append(node)
    specs = [s for _, group in groups for s in group]
    rows, base = [], None
    try:
        for label in ("clean", "10 % faulty"):
            faulty: set[DeviceKey] = set()
            if label != "clean":
                for i in range(5, nodes, 10):
                    fault = FAULTS[(i // 10) % len(FAULTS)]
                    servers[i].set_fault(fault)
                    if not fault.stale:
                        faulty |= {s.key for s in groups[i][1]}
            poller = Poller(specs, config=PollerConfig(echonet_bind=BIND, backoff_base_s=60.0))
            seconds, qualities = await median_cycle(poller)
            poller.close()
            base = base or seconds
            flagged = {s.key for s, q in zip(specs, qualities, strict=True) if q is not Quality.GOOD}
            good = len(specs) - len(flagged)
            exact = "yes" if flagged == faulty else f"no ({len(flagged ^ faulty)} differ)"
            rows.append(
                f"| 1,000 ECHONET Lite, {label} | {len(specs)} | {good} | {seconds * 1000:.0f} | {seconds / base:.2f} |"
                f" flagged exactly the {len(faulty)} faulty: {exact} |"
            )
    finally:
        for node in servers:
            node.stop()
    return rows


async def main() -> None:
    quiet_pymodbus()
    header = "| run | devices | good | median fast cycle ms | ratio to baseline |"
    rows_y = await yamaguchi()
    rows_e = await echonet_thousand()
    table = "\n".join(
        [
            header,
            "| --- | ---: | ---: | ---: | ---: |",
            *rows_y,
            "",
            header + " check |",
            "| --- | ---: | ---: | ---: | ---: | --- |",
            *rows_e,
        ]
    )
    print(table)
    when = dt.datetime.now(dt.UTC).isoformat(timespec="minutes")
    RESULTS.write_text(
        f"# Poll cycle with ECHONET Lite and OCPP 1.6J\n\n`{Path(__file__).name}`, {when}, one process, 2 shared cores."
        f" Baseline of each table: its first row, measured in the same run.\n\n{table}\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    asyncio.run(main())
