"""Issue 14 writes: every register encoded before the first is written, a battery without a set-point model refused
naming model 124, one audit entry per refresh state change, vendor maps written in their documented order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dev_helpers import ANSWER_TIMEOUT, serve, sunspec_device

from devices.capabilities import ListSink
from devices.codec import CodecError
from devices.drivers.sunspec_battery import BatteryDriver
from devices.inventory import scenario_devices, with_ports
from devices.modbus_client import ModbusConnection
from devices.poller import Poller, PollerConfig
from devices.simulators.fleet import build_fleet
from devices.simulators.server import Fault, SimulatedDevice
from devices.writes import SetpointWriter
from scenarios.device_identity import DeviceKey
from scenarios.loader import load_builtin, load_scenario_file

HYBRIDS = Path(__file__).parent / "data" / "hybrids.yaml"


async def test_704_with_wset_sf_not_implemented_writes_nothing() -> None:
    """WSet_SF = 0x8000: the old driver set WSetMod first and then failed on WSet; now nothing is written."""
    dev = sunspec_device((1, 701, 704, 713))
    dev.image.set_sf(704, "WSet_SF", None)
    before = list(dev.image.words)
    async with serve(dev) as server:
        driver = BatteryDriver(ModbusConnection("127.0.0.1", server.port, timeout_s=ANSWER_TIMEOUT))
        with pytest.raises(CodecError, match=r"model 704 WSet: scale factor WSet_SF not implemented"):
            await driver.write_setpoint(3.0, revert_s=60)
        driver.conn.close()
    assert dev.image.words == before


async def test_overflowing_value_is_refused_before_the_mode_register_is_written() -> None:
    """WSet_SF = -3 would need raw 5e9 for 5 MW: beyond int32, refused, WSetMod untouched."""
    dev = sunspec_device((1, 701, 704, 713))
    dev.image.set_sf(704, "WSet_SF", -3)
    before = list(dev.image.words)
    async with serve(dev) as server:
        driver = BatteryDriver(ModbusConnection("127.0.0.1", server.port, timeout_s=ANSWER_TIMEOUT))
        with pytest.raises(CodecError, match="outside int32 range"):
            await driver.write_setpoint(5000.0, revert_s=None)
        driver.conn.close()
    assert dev.image.words == before


async def test_802_only_battery_is_refused_naming_model_124_and_untouched() -> None:
    scenario = load_builtin("tiny")
    spec = next(s for s in scenario_devices(scenario) if s.key == DeviceKey("centre", "bat1"))
    dev = sunspec_device((1, 802))
    dev.image.set_sf(802, "SoC_SF", -1)
    dev.image.set(802, "SoC", 61.0)
    before = list(dev.image.words)
    async with serve(dev) as server:
        poller = Poller(with_ports([spec.with_endpoint(timeout_s=ANSWER_TIMEOUT)], {spec.key: server.port}))
        reading = (await poller.cycle(full=True))[0]
        sink = ListSink()
        entry = await SetpointWriter(poller, sink).write(spec.key, "setpoint_kw", 2.0)
        poller.close()
    assert reading.values["soc"] == pytest.approx(0.61)  # read, and kept: the reading is not dropped
    assert entry.result == "failed"
    assert "model 124" in entry.detail
    assert "model 704" in entry.detail
    assert dev.image.words == before


class _Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 7, 1, 3, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


async def test_a_dead_device_holding_a_setpoint_leaves_one_refresh_failed_entry() -> None:
    """The issue measured 14 refresh-failed entries in 12 s; refreshes now audit state changes only: one failure,
    one recovery, nothing for the attempts in between or for steady successful refreshes."""
    scenario = load_builtin("tiny")
    spec = next(s for s in scenario_devices(scenario) if s.key == DeviceKey("centre", "bat1"))
    built = build_fleet(scenario, _Clock())
    dev = built.devices[spec.key]
    watchdog = spec.endpoint.watchdog_s
    assert watchdog is not None
    async with serve(dev) as server:
        config = PollerConfig(backoff_base_s=0.01, backoff_max_s=0.02)
        poller = Poller(
            with_ports([spec.with_endpoint(timeout_s=ANSWER_TIMEOUT)], {spec.key: server.port}), config=config
        )
        sink = ListSink()
        writer = SetpointWriter(poller, sink)
        assert (await writer.write(spec.key, "setpoint_kw", 2.0)).result == "ok"
        dev.fault = Fault("exception", code=4)
        later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=watchdog)
        attempts = [await writer.refresh_due(later + dt.timedelta(seconds=i)) for i in range(14)]
        assert [len(a) for a in attempts] == [1] * 14  # retried at every poll
        assert all(a[0].result == "refresh-failed" for a in attempts)
        dev.fault = Fault()
        ok = [await writer.refresh_due(later + dt.timedelta(seconds=20 + i * watchdog)) for i in range(3)]
        poller.close()
    assert [e.result for e in ok[0] + ok[1] + ok[2]] == ["refresh-ok"] * 3
    assert [e.result for e in sink.audit] == ["ok", "refresh-failed", "refresh-ok"]
    assert "exception 0x04 (server device failure)" in sink.audit[1].detail


def _hybrid_device(facility: str) -> tuple[SimulatedDevice, list[tuple[int, list[int]]]]:
    """The simulated unit of ``facility`` in hybrids.yaml, with a spy recording every write request it answers
    (address, words), in order."""
    built = build_fleet(load_scenario_file(HYBRIDS))
    dev = built.devices[DeviceKey(facility, "bat1")]
    writes: list[tuple[int, list[int]]] = []
    original = dev._action

    async def spy(fc, start, address, count, regs, values):  # type: ignore[no-untyped-def]
        if values is not None:
            writes.append((address, [int(v) for v in values]))
        return await original(fc, start, address, count, regs, values)

    dev._action = spy  # type: ignore[method-assign]
    return dev, writes


async def _write(facility: str, value_kw: float) -> tuple[str, list[tuple[int, list[int]]]]:
    scenario = load_scenario_file(HYBRIDS)
    spec = next(s for s in scenario_devices(scenario) if s.key == DeviceKey(facility, "bat1"))
    dev, writes = _hybrid_device(facility)
    async with serve(dev) as server:
        poller = Poller(with_ports([spec.with_endpoint(timeout_s=ANSWER_TIMEOUT)], {spec.key: server.port}))
        entry = await SetpointWriter(poller, ListSink()).write(spec.key, "setpoint_kw", value_kw)
        poller.close()
    return entry.result, writes


async def test_huawei_forcible_discharge_is_written_in_the_documented_order() -> None:
    """+3 kW with a 600 s watchdog: setting mode 0 (by duration) at 47246, period ceil(600/60) = 10 min at 47083,
    discharge power 3000 W at 47249 (uint32: [0, 3000]), then the command 2 (discharge) at 47100, last."""
    result, writes = await _write("huawei", 3.0)
    assert result == "ok"
    assert writes == [(47246, [0]), (47083, [10]), (47249, [0, 3000]), (47100, [2])]


async def test_huawei_charge_uses_the_charge_register() -> None:
    """-2 kW = charge 2000 W at 47247, command 1 (charge)."""
    result, writes = await _write("huawei", -2.0)
    assert result == "ok"
    assert writes[2:] == [(47247, [0, 2000]), (47100, [1])]


async def test_sigenergy_remote_ems_discharge_and_hold() -> None:
    """+4 kW: remote EMS enable 1 at 40029, ESS max discharging limit 4000 W (kW × 1000) at 40034, mode 6
    (command discharging, ESS first) at 40031; 0 kW: mode 1 (standby) after the enable."""
    result, writes = await _write("sigen", 4.0)
    assert result == "ok"
    assert writes == [(40029, [1]), (40034, [0, 4000]), (40031, [6])]
    result, writes = await _write("sigen", 0.0)
    assert result == "ok"
    assert writes == [(40029, [1]), (40031, [1])]


async def test_a_value_outside_the_maps_limits_writes_nothing() -> None:
    """Huawei's forcible period is 0..1440 min: a 2-day watchdog (2880 min) is refused before the first register."""
    scenario = load_scenario_file(HYBRIDS)
    spec = next(s for s in scenario_devices(scenario) if s.key == DeviceKey("huawei", "bat1"))
    spec = spec.with_endpoint(watchdog_s=2 * 86400.0, timeout_s=ANSWER_TIMEOUT)
    dev, writes = _hybrid_device("huawei")
    async with serve(dev) as server:
        poller = Poller(with_ports([spec], {spec.key: server.port}))
        entry = await SetpointWriter(poller, ListSink()).write(spec.key, "setpoint_kw", 1.0)
        poller.close()
    assert entry.result == "failed"
    assert "forced_period=2880 outside the map's limits 0..1440 min" in entry.detail
    assert writes == []
