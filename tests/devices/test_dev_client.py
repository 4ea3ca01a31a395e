"""Conformance 4-8: strict reads, unit ids and gateways, time-outs and late answers, back-off, reconnect,
single-connection devices, scale factors changing at run time."""

from __future__ import annotations

import asyncio

import pytest
from dev_helpers import TIMEOUT, Fault, connect, serve, sunspec_device

from devices.drivers.sunspec_battery import BatteryDriver
from devices.drivers.sunspec_pv import PVInverterDriver
from devices.modbus_client import (
    DeviceConnectionError,
    DeviceExceptionError,
    DeviceTimeoutError,
    DeviceUnavailableError,
    ModbusConnection,
)
from devices.simulators.server import SimServer


async def test_strict_simulator_rejects_split_points_and_driver_reads_701_whole() -> None:
    dev = sunspec_device((1, 701))
    dev.image.set(701, "W", -1234)
    dev.image.set(701, "Hz", 60)
    async with serve(dev) as server:
        conn = connect(server)
        hz_address = dev.image.address_of(701, "Hz")[0]
        with pytest.raises(DeviceExceptionError) as info:
            await conn.read(hz_address + 1, 2)  # starts inside the uint32
        assert info.value.code == 2
        with pytest.raises(ValueError, match="125"):
            await conn.read(40000, 126)
        driver = BatteryDriver(conn)
        values, bad = await driver.read(full=True)
    assert values["power_kw"] == pytest.approx(-1.234)
    assert bad == []


async def test_sf_changing_between_reads_never_mixes_value_and_sf() -> None:
    dev = sunspec_device((1, 103))
    dev.image.set(103, "W", 4200)
    dev.fault = Fault("sf_change")
    sf_address = dev.image.address_of(103, "W_SF")[0]
    async with serve(dev) as server:
        driver = PVInverterDriver(connect(server))
        readings, sfs = [], set()
        for _ in range(4):
            readings.append((await driver.read(full=False))[0]["power_kw"])
            sfs.add(dev.image.get_words(sf_address, 1)[0])
    assert readings == pytest.approx([4.2] * 4)
    assert sfs == {0, 1}  # the SF really changed between the reads


async def test_unit_ids_gateway_and_missing_units() -> None:
    a, b = sunspec_device((1, 103), unit=3), sunspec_device((1, 103), unit=126)
    a.image.set(103, "W", 1000)
    b.image.set(103, "W", 2000)
    async with serve(a, b) as server:
        conn = connect(server)
        w3 = (await PVInverterDriver(conn, 3).read(False))[0]["power_kw"]
        w126 = (await PVInverterDriver(conn, 126).read(False))[0]["power_kw"]
        assert (w3, w126) == (1.0, 2.0)  # two units, one connection
        assert conn.stats.connects == 1
        with pytest.raises(DeviceExceptionError) as info:
            await conn.read(40000, 2, unit=7)
        assert info.value.code == 4
        b.fault = Fault("gateway")
        with pytest.raises(DeviceExceptionError) as info:
            await conn.read(40000, 2, unit=126)
        assert info.value.code == 0x0B
        assert (await PVInverterDriver(conn, 3).read(False))[0]["power_kw"] == 1.0  # others unaffected
    async with serve(sunspec_device(), missing_units="silent") as server:
        with pytest.raises(DeviceTimeoutError):
            await connect(server, timeout_s=TIMEOUT).read(40000, 2, unit=9)


async def test_wildcard_unit_0_answers_every_id() -> None:
    async with serve(sunspec_device(unit=0)) as server:
        conn = connect(server)
        assert await conn.read(40000, 2, unit=5) == [0x5375, 0x6E53]
        assert await conn.read(40000, 2, unit=200) == [0x5375, 0x6E53]


async def test_slow_device_does_not_stall_another_and_late_answer_is_dropped() -> None:
    slow, fast = sunspec_device(), sunspec_device()
    slow.image.set(103, "W", 111)
    fast.image.set(103, "W", 222)
    # the fast device must answer within the slow one's time-out: 1 s, not 0.2 s, so a loaded machine cannot invert
    # the order (the fast one's own time-out is the generous default)
    slow_timeout = 1.0
    slow.fault = Fault("slow", delay_s=slow_timeout * 2)
    async with serve(slow) as s1, serve(fast) as s2:
        c_slow, c_fast = connect(s1, timeout_s=slow_timeout), connect(s2)
        w_address = slow.image.address_of(103, "W")[0]
        finished: list[str] = []

        async def read(name: str, conn: ModbusConnection) -> None:
            try:
                await conn.read(w_address, 1)
            finally:
                finished.append(name)

        results = await asyncio.gather(read("slow", c_slow), read("fast", c_fast), return_exceptions=True)
        assert finished == ["fast", "slow"]
        assert isinstance(results[0], DeviceTimeoutError)
        assert results[1] is None
        slow.fault = Fault()
        slow.image.set(103, "W", 333)
        await asyncio.sleep(slow_timeout * 2)  # the late answer (111) arrives meanwhile and must be ignored
        assert await c_slow.read(w_address, 1) == [333]


async def test_failing_device_backs_off_without_sending() -> None:
    dev = sunspec_device()
    dev.fault = Fault("no_answer")
    async with serve(dev) as server:
        conn = connect(server, timeout_s=TIMEOUT, backoff_base_s=5.0)
        with pytest.raises(DeviceTimeoutError):
            await conn.read(40000, 2)
        sent = dev.requests
        for _ in range(3):
            with pytest.raises(DeviceUnavailableError):
                await conn.read(40000, 2)
        assert dev.requests == sent
        assert conn.backing_off


async def test_retries_send_the_request_again() -> None:
    dev = sunspec_device()
    dev.fault = Fault("no_answer")
    async with serve(dev) as server:
        with pytest.raises(DeviceTimeoutError):
            await connect(server, timeout_s=TIMEOUT, retries=2).read(40000, 2)
    assert dev.requests == 3


async def test_reconnect_after_server_restart_keeps_last_value_stale() -> None:
    from devices.capabilities import Quality
    from devices.inventory import scenario_devices, with_ports
    from devices.poller import Poller, PollerConfig
    from scenarios.loader import load_builtin

    scenario = load_builtin("tiny")
    spec = next(s for s in scenario_devices(scenario) if s.kind.value == "meter")
    dev = sunspec_device((1, 203))
    dev.image.set(203, "W", 5000)
    server = SimServer([dev])
    port = await server.start()
    poller = Poller(with_ports([spec], {spec.key: port}), config=PollerConfig(backoff_base_s=0.05, backoff_max_s=0.1))
    first = (await poller.cycle())[0]
    assert first.quality is Quality.GOOD
    assert first.values["power_kw"] == 5.0
    await server.stop()
    stale = (await poller.cycle())[0]
    assert stale.quality is Quality.STALE
    assert stale.values["power_kw"] == 5.0
    assert stale.measured_at == first.measured_at
    assert stale.error
    dev.image.set(203, "W", 7000)
    server = SimServer([dev], port=port)
    await server.start()
    deadline = asyncio.get_running_loop().time() + 30.0  # generous: reconnecting under load can take a while
    again = (await poller.cycle())[0]
    while again.quality is not Quality.GOOD and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
        again = (await poller.cycle())[0]
    assert again.quality is Quality.GOOD
    assert again.values["power_kw"] == 7.0
    poller.close()
    await server.stop()


async def test_single_connection_device_kicks_the_older_client_and_driver_recovers() -> None:
    dev = sunspec_device()
    async with serve(dev, single_connection=True) as server:
        ours = connect(server, connect_delay_s=0.01, timeout_s=1.0)  # its read after the kick may go unanswered
        assert await ours.read(40000, 2) == [0x5375, 0x6E53]
        other = connect(server)
        assert await other.read(40000, 2) == [0x5375, 0x6E53]  # a second client takes the device
        await asyncio.sleep(0.1)
        with pytest.raises((DeviceConnectionError, DeviceTimeoutError)):
            await ours.read(40000, 2)
        other.close()
        await asyncio.sleep(0.1)  # back-off passes; we reconnect once, not in a loop
        assert await ours.read(40000, 2) == [0x5375, 0x6E53]
        assert ours.stats.connects == 2
