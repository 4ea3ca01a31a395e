"""Conformance 9: guarded set-point writes (clamp, allow-list, dry-run, audit, read-back, write order,
revert timers and watchdog refresh) against simulators with physics and a controllable clock."""

from __future__ import annotations

import datetime as dt

import pytest
from dev_helpers import ANSWER_TIMEOUT, serve, sunspec_device

from devices.capabilities import ListSink
from devices.inventory import DeviceSpec, scenario_devices, with_ports
from devices.modbus_client import DeviceError
from devices.poller import Poller, PollerConfig
from devices.simulators.fleet import build_devices, modbus_devices
from devices.simulators.image import SunSpecImage
from devices.simulators.server import SimulatedDevice
from devices.writes import SetpointWriter
from scenarios.assets import Battery, EVCharger
from scenarios.device_identity import DeviceKey
from scenarios.loader import load_builtin


class Clock:
    """A settable UTC clock for the simulators."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 7, 1, 3, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def _setup(kind: str) -> tuple[DeviceSpec, SimulatedDevice, Clock]:
    clock = Clock()
    scenario = load_builtin("yamaguchi")
    devices, _ = build_devices(scenario, clock)
    spec = next(s for s in scenario_devices(scenario) if s.kind.value == kind and s.endpoint.watchdog_s)
    spec = spec.with_endpoint(timeout_s=ANSWER_TIMEOUT)
    return spec, devices[spec.key], clock


async def test_battery_setpoint_is_clamped_confirmed_audited_and_refreshed() -> None:
    spec, dev, clock = _setup("battery")
    battery = spec.asset
    assert isinstance(battery, Battery)
    async with serve(dev) as server:
        poller = Poller(with_ports([spec], {spec.key: server.port}), config=PollerConfig())
        sink = ListSink()
        writer = SetpointWriter(poller, sink)
        entry = await writer.write(spec.key, "setpoint_kw", 1e6, who="operator")
        assert entry.result == "ok"
        assert entry.applied == battery.discharge_kw
        assert "clamped" in entry.detail
        assert entry.who == "operator"
        assert entry.time.tzinfo is not None
        entry = await writer.write(spec.key, "setpoint_kw", -1e6)
        assert entry.applied == -battery.charge_kw
        reading = (await poller.cycle())[0]
        assert reading.values["setpoint_kw"] == pytest.approx(-battery.charge_kw)
        assert reading.values["power_kw"] == pytest.approx(-battery.charge_kw)
        assert [e.result for e in sink.audit] == ["ok", "ok"]
        watchdog = spec.endpoint.watchdog_s
        assert watchdog is not None
        # the device reverts when nobody re-sends: advance its clock past the revert timer
        clock.now += dt.timedelta(seconds=watchdog + 1)
        assert (await poller.cycle())[0].values["setpoint_kw"] is None
        # with the writer refreshing at half the period, the set-point holds
        await writer.write(spec.key, "setpoint_kw", -10)
        for _ in range(4):
            clock.now += dt.timedelta(seconds=watchdog * 0.6)
            refreshed = await writer.refresh_due(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=watchdog * 0.6))
            assert [e.result for e in refreshed] == ["refresh-ok"]
            assert (await poller.cycle())[0].values["setpoint_kw"] == pytest.approx(-10)
        poller.close()


async def test_refusals_and_dry_run_do_not_touch_the_device() -> None:
    spec, dev, _ = _setup("battery")
    async with serve(dev) as server:
        poller = Poller(with_ports([spec], {spec.key: server.port}))
        sink = ListSink()
        writer = SetpointWriter(poller, sink, dry_run=True)
        before = dev.requests
        dry = await writer.write(spec.key, "setpoint_kw", 5)
        refused = [
            await writer.write(spec.key, "soc", 0.5),
            await writer.write(DeviceKey("nowhere", "x"), "setpoint_kw", 1),
            await writer.write(spec.key, "setpoint_kw", float("nan")),
        ]
        assert dry.result == "dry-run"
        assert dry.applied == 5
        assert [e.result for e in refused] == ["refused"] * 3
        assert "allow-list" in refused[0].detail
        assert dev.requests == before
        assert len(sink.audit) == 4
        poller.close()


async def test_704_writes_wset_before_enabling_it() -> None:
    spec, dev, _ = _setup("battery")
    seen: list[tuple[object, object]] = []
    handler = dev.handler
    assert handler is not None
    original = handler.on_write

    image = dev.image
    assert isinstance(image, SunSpecImage)

    def spy(now: dt.datetime) -> None:
        seen.append((image.get(704, "WSetEna"), image.get(704, "WSet")))
        original(now)

    handler.on_write = spy  # type: ignore[method-assign]
    async with serve(dev) as server:
        poller = Poller(with_ports([spec], {spec.key: server.port}))
        entry = await SetpointWriter(poller, ListSink()).write(spec.key, "setpoint_kw", 12.5)
        poller.close()
    assert entry.result == "ok"
    first_enabled = next(i for i, (ena, _) in enumerate(seen) if ena == 1)
    assert seen[first_enabled][1] == pytest.approx(12500)
    assert all(ena != 1 for ena, _ in seen[:first_enabled])


async def test_ev_setpoint_respects_direction_and_min_power() -> None:
    scenario = load_builtin("yamaguchi")
    devices, _ = build_devices(scenario)
    specs = [s for s in modbus_devices(scenario) if s.kind.value == "ev_charger"]
    one_way = next(s for s in specs if isinstance(s.asset, EVCharger) and not s.asset.bidirectional)
    asset = one_way.asset
    assert isinstance(asset, EVCharger)
    async with serve(devices[one_way.key]) as server:
        poller = Poller(with_ports([one_way], {one_way.key: server.port}))
        writer = SetpointWriter(poller, ListSink())
        entry = await writer.write(one_way.key, "setpoint_kw", -3)  # V2H on a charge-only unit
        assert entry.result == "ok"
        assert entry.applied == 0
        if asset.min_power_kw > 0:
            low = await writer.write(one_way.key, "setpoint_kw", asset.min_power_kw / 2)
            assert low.applied == 0
        target = min(4.0, asset.power_kw)  # within the charger's rating (the first Modbus one-way charger's)
        entry = await writer.write(one_way.key, "setpoint_kw", target)
        assert entry.result == "ok"
        assert (await poller.cycle())[0].values["setpoint_kw"] == pytest.approx(target)
        poller.close()


async def test_pv_curtailment_and_readback_mismatch_and_124_storage() -> None:
    from devices.drivers.sunspec_battery import BatteryDriver
    from devices.modbus_client import ModbusConnection

    dev = sunspec_device((1, 124))
    dev.image.set_sf(124, "InOutWRte_SF", -1)
    dev.image.set(124, "WChaMax", 20000)
    async with serve(dev) as server:
        driver = BatteryDriver(ModbusConnection("127.0.0.1", server.port, timeout_s=ANSWER_TIMEOUT))
        back = await driver.write_setpoint(-5.0, revert_s=60)  # charge 5 kW = 25 % of WChaMax
        assert back == pytest.approx(-5.0)
        assert dev.image.get(124, "OutWRte") == pytest.approx(-25.0)
        assert dev.image.get(124, "StorCtl_Mod") == 3
        assert dev.image.get_words(dev.image.address_of(124, "OutWRte")[0], 1) == [(-250) & 0xFFFF]
        driver.conn.close()
    spec, pv, _ = _setup_pv()
    pv.strict = True
    async with serve(pv) as server:
        poller = Poller(with_ports([spec], {spec.key: server.port}))
        writer = SetpointWriter(poller, ListSink())
        entry = await writer.write(spec.key, "limit_pct", 150)
        assert entry.result == "ok"
        assert entry.applied == 100
        entry = await writer.write(spec.key, "limit_pct", 40)
        assert (await poller.cycle(full=True))[0].values["limit_pct"] == pytest.approx(40)
        assert isinstance(pv.image, SunSpecImage)
        pv.image.set_sf(123, "WMaxLimPct_SF", None)
        failed = await writer.write(spec.key, "limit_pct", 30)
        assert failed.result == "failed"
        assert "not implemented" in failed.detail
        poller.close()


def _setup_pv() -> tuple[DeviceSpec, SimulatedDevice, Clock]:
    clock = Clock()
    scenario = load_builtin("yamaguchi")
    devices, _ = build_devices(scenario, clock)
    spec = next(s for s in scenario_devices(scenario) if s.kind.value == "pv_inverter")
    return spec, devices[spec.key], clock


class _FailingDriver:
    """A driver whose writes fail at the transport, to test what the writer holds afterwards."""

    async def write_setpoint(self, value: float, revert_s: float | None) -> float | None:
        raise DeviceError("no answer")


async def test_failed_write_does_not_leave_the_superseded_setpoint_refreshed() -> None:
    spec, dev, _ = _setup("battery")
    async with serve(dev) as server:
        poller = Poller(with_ports([spec], {spec.key: server.port}))
        writer = SetpointWriter(poller, ListSink())
        assert (await writer.write(spec.key, "setpoint_kw", 5.0)).result == "ok"
        assert writer.active[spec.key].value == pytest.approx(5.0)
        poller.driver = lambda key: _FailingDriver()  # type: ignore[method-assign, assignment, return-value]
        assert (await writer.write(spec.key, "setpoint_kw", -3.0)).result == "failed"
        # the operator asked for -3 kW: re-sending the old +5 kW discharge would be wrong
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        assert spec.key not in writer.active
        assert await writer.refresh_due(later) == []
        poller.close()
