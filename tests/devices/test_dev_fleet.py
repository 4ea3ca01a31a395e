"""The whole Yamaguchi scenario against its simulators, with 10 % of the devices faulty."""

from __future__ import annotations

import asyncio
import datetime as dt

from dev_helpers import ANSWER_TIMEOUT

from devices.capabilities import Quality, Reading
from devices.inventory import DeviceSpec, scenario_devices, with_ports
from devices.poller import Poller, PollerConfig
from devices.simulators.fleet import modbus_devices
from devices.simulators.server import Fault
from runtime.facades.telemetry import running_simulators
from scenarios.device_identity import DeviceKey, DeviceKind
from scenarios.loader import load_builtin

TIMEOUT = 0.5
"""Time-out (s) of a device whose fault is silence (no answer, too slow, a dropped link): the outcome itself."""
SILENT = {"no_answer", "slow", "drop"}
DEADLINE_S = 30.0
FAULTS = [
    Fault("no_answer"),
    Fault("slow", delay_s=TIMEOUT * 4),
    Fault("exception", code=4),
    Fault("gateway"),
    Fault("drop"),
    Fault("garbage"),
    Fault("sentinel"),
]


def _timeouts(specs: list[DeviceSpec], faults: dict[DeviceKey, Fault] | None = None) -> list[DeviceSpec]:
    """``specs`` with TIMEOUT for a silent faulty device and ANSWER_TIMEOUT for every device that answers: 71
    devices and their servers share one event loop, which a loaded 2-core machine can hold past 0.5 s."""
    faults = faults or {}
    return [
        s.with_endpoint(timeout_s=TIMEOUT if s.key in faults and faults[s.key].kind in SILENT else ANSWER_TIMEOUT)
        for s in specs
    ]


async def _cycle_until_good(poller: Poller, key: DeviceKey) -> dict[DeviceKey, Reading]:
    """Cycles until ``key`` reads good (its back-off may still run), up to DEADLINE_S; the last cycle's readings."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_S
    while True:
        after = {r.key: r for r in await poller.cycle()}
        if after[key].quality is Quality.GOOD or loop.time() > deadline:
            return after
        await asyncio.sleep(0.05)


async def test_poll_of_yamaguchi_marks_exactly_the_faulty_devices() -> None:
    scenario = load_builtin("yamaguchi")
    specs = modbus_devices(scenario)  # the ECHONET Lite and OCPP devices: test_dev_mixed_fleet.py
    assert len(specs) >= 60
    faulty = {specs[i].key: FAULTS[n % len(FAULTS)] for n, i in enumerate(range(5, len(specs), 10))}
    assert len(faulty) == round(len(specs) / 10)
    benign = specs[6].key  # a scale factor changing at run time is not a fault of the data
    async with running_simulators(scenario, port_base=0, faults={**faulty, benign: Fault("sf_change")}) as fleet:
        poller = Poller(_timeouts(with_ports(specs, fleet.port_map), faulty), config=PollerConfig(backoff_base_s=0.05))
        for cycle in range(3):
            readings = await poller.cycle(full=cycle == 0)
            assert [r.key for r in readings] == [s.key for s in specs]  # the cycle completed
            bad = {r.key for r in readings if r.quality is not Quality.GOOD}
            extra = [(r.key, r.error) for r in readings if r.key in bad - set(faulty)]
            assert bad == set(faulty), extra[:3]
            for r in readings:
                assert r.time.tzinfo is not None
                assert r.time.utcoffset() == dt.timedelta(0)
                if r.key in faulty:
                    expected = Quality.MISSING if faulty[r.key].kind == "sentinel" else Quality.ERROR
                    assert r.quality is expected, (r.key, r.quality, r.error)
                    assert r.error, r.key
                else:
                    assert r.values["power_kw"] is not None
                    assert r.error is None
        # heal one dead device: after its back-off it is good again, the others are untouched
        healed = next(d for d, f in faulty.items() if f.kind == "exception")
        fleet.set_fault(healed, Fault())
        after = await _cycle_until_good(poller, healed)
        assert after[healed].quality is Quality.GOOD, after[healed].error
        assert {d for d, r in after.items() if r.quality is not Quality.GOOD} == set(faulty) - {healed}
        poller.close()


async def test_meter_reads_load_minus_pv_minus_battery_plus_ev() -> None:
    scenario = load_builtin("yamaguchi")
    specs = scenario_devices(scenario)
    facility = next(
        f
        for f in scenario.facilities
        if f.pv_arrays
        and f.batteries
        and f.meters
        and all(a.modbus for a in f.pv_arrays)
        and all(b.modbus for b in f.batteries)
    )
    mine = [s for s in specs if s.facility.id == facility.id]
    async with running_simulators(scenario, port_base=0) as fleet:
        poller = Poller(_timeouts(with_ports(mine, fleet.port_map)))
        sim = fleet.facilities[facility.id]
        readings = {r.kind: r for r in await poller.cycle(full=True)}
        when = sim.last
        assert when is not None
        from devices.simulators.physics import load_kw

        expected = (
            load_kw(facility, when)
            - sum(p.power_kw(when) for p in sim.pv)
            - sum(b.power_kw for b in sim.batteries)
            + sum(c.power_kw for c in sim.chargers)
        )
        meter = readings[DeviceKind.METER].values["power_kw"]
        assert meter is not None
        assert abs(meter - expected) <= 0.02 * max(abs(expected), 1) + 0.1
        poller.close()


async def test_first_cycle_limits_concurrent_discoveries() -> None:
    scenario = load_builtin("tiny")
    specs = scenario_devices(scenario)
    async with running_simulators(scenario, port_base=0) as fleet:
        poller = Poller(_timeouts(with_ports(specs, fleet.port_map)), config=PollerConfig(max_discoveries=2))
        active, peak = 0, 0
        for state in poller.states.values():
            original = state.driver.connect

            async def tracked(original=original, state=state) -> None:  # type: ignore[no-untyped-def]
                nonlocal active, peak
                if state.discovered:  # the read's own (no-op) connect, outside discovery
                    return await original()
                active += 1
                peak = max(peak, active)
                try:
                    await asyncio.sleep(0.01)
                    await original()
                finally:
                    active -= 1

            state.driver.connect = tracked  # type: ignore[method-assign]
        readings = await poller.cycle()
        assert peak == 2
        assert all(r.quality is Quality.GOOD for r in readings)
        await poller.cycle()
        assert all(s.discovered for s in poller.states.values())
        poller.close()
