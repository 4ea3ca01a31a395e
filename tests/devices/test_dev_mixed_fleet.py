"""Yamaguchi as ``ems up`` runs it: Modbus simulators, Shiraishi's ECHONET Lite node (PV, battery, V2H, smart meter;
the scenario puts it on 127.0.1.1:3610, moved here to a free loopback address) and City Hall's OCPP 1.6J charge point
on the service's central system, one facility physics, read and written through the runtime's telemetry facade."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from echonet_helpers import free_hosts

from devices.simulators.echonet_node import EchonetFault
from runtime.facades import protocols
from runtime.facades.telemetry import DeviceTelemetry, running_simulators
from runtime.loop.service import Sample
from scenarios.device_identity import DeviceKey, DeviceKind
from scenarios.loader import builtin_data, parse_scenario

ECHONET = [DeviceKey("shiraishi-cc", d) for d in ("m1", "pv1", "bat1", "v2h1")]
OCPP = DeviceKey("city-hall", "ac1")
DEADLINE_S = 30.0
"""How long the fleet may take to read as expected: generous, the 71 simulators share the test's event loop and a
loaded machine can starve it past a device's 1 s time-out in one cycle (a later cycle then reads it)."""


async def poll_until(telemetry: DeviceTelemetry, not_good: set[DeviceKey]) -> dict[DeviceKey, Sample]:
    """Poll until exactly ``not_good`` reads other than good (up to DEADLINE_S); the last samples by device."""
    deadline = asyncio.get_running_loop().time() + DEADLINE_S
    while True:
        samples = {DeviceKey(s.facility_id, s.device_id): s for s in await telemetry.poll(dt.datetime.now(dt.UTC))}
        bad = {k for k, s in samples.items() if s.quality != "good"}
        if bad == not_good or asyncio.get_running_loop().time() > deadline:
            assert bad == not_good, f"after {DEADLINE_S:g} s: {sorted(map(str, bad))}"
            return samples
        await asyncio.sleep(0.1)


def yamaguchi_on_a_free_node() -> Any:
    """Yamaguchi with Shiraishi's ECHONET Lite node on a free loopback address: the scenario's fixed 127.0.1.1:3610
    is taken whenever another test run (or ``ems up``) on the machine simulates the same node."""
    data = builtin_data("yamaguchi")
    (host,) = free_hosts(1)
    for facility in data["facilities"]:
        for assets in facility.values():
            for asset in assets if isinstance(assets, list) else []:
                if isinstance(asset, dict) and isinstance(asset.get("echonet"), dict):
                    asset["echonet"]["host"] = host
    return parse_scenario(data, "yamaguchi")


async def test_mixed_protocols_poll_and_write_like_modbus() -> None:
    scenario = yamaguchi_on_a_free_node()
    async with running_simulators(scenario, port_base=0) as fleet:
        central = await protocols.start_central(scenario, "127.0.0.1", 0)
        assert central is not None
        sims = await protocols.start_protocol_simulators(scenario, central, fleet.facilities, interval_s=0)
        telemetry = DeviceTelemetry(
            scenario, fleet.port_map, central=central, echonet_bind=protocols.SIMULATED_ECHONET_BIND
        )
        try:
            assert sims.counts == (4, 1)
            assert telemetry.skipped == {}
            samples = await poll_until(telemetry, set())
            assert len(samples) == 71
            assert samples[DeviceKey("shiraishi-cc", "bat1")].values["soc"] == 0.6  # its initial_soc
            outcome = await telemetry.write("shiraishi-cc", "bat1", DeviceKind.BATTERY, -2.5, "test", dry_run=False)
            assert (outcome.ok, outcome.applied) == (True, -2.5)
            # the set-point reached the physics behind the simulated ECHONET Lite object
            assert fleet.facilities["shiraishi-cc"].batteries[0].setpoint_kw == -2.5
            outcome = await telemetry.write("city-hall", "ac1", DeviceKind.EV, 2.0, "test", dry_run=False)
            assert outcome.ok, outcome.message
            assert sims.charge_points[0].cp.profiles[-1]["charging_schedule"]["charging_rate_unit"] == "A"
            sims.echonet.set_fault(ECHONET[0], EchonetFault(no_answer=True))
            again = await poll_until(telemetry, set(ECHONET))
            assert again[OCPP].quality == "good"
        finally:
            telemetry.close()
            await sims.stop()
            await central.stop()
