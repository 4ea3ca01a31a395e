"""Slow points keep the time they were actually read; they are stale once older than their cadence allows."""

from __future__ import annotations

import datetime as dt

from devices.capabilities import Quality
from devices.inventory import scenario_devices
from devices.modbus_client import DeviceError
from devices.poller import Poller, PollerConfig
from scenarios.device_identity import DeviceKey, DeviceKind
from scenarios.loader import load_builtin

T0 = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)
S = dt.timedelta(seconds=1)


class FakeMeter:
    """A meter driver: power on every read, the energy counter only on full reads; can be made to fail."""

    def __init__(self) -> None:
        self.reads: list[bool] = []
        self.fail = False

    async def connect(self) -> None:
        return None

    async def read(self, full: bool) -> tuple[dict[str, float | None], list[str]]:
        self.reads.append(full)
        if self.fail:
            raise DeviceError("no answer")
        n = len(self.reads)
        values: dict[str, float | None] = {"power_kw": float(n)}
        if full:
            values["import_kwh"] = 1000.0 + n
        return values, []


def _poller() -> tuple[Poller, FakeMeter, DeviceKey]:
    spec = next(s for s in scenario_devices(load_builtin("tiny")) if s.kind is DeviceKind.METER)
    poller = Poller([spec], config=PollerConfig(cadence_s=10.0, slow_every=3))
    meter = FakeMeter()
    poller.states[spec.key].driver = meter  # type: ignore[assignment]
    return poller, meter, spec.key


async def test_fast_cycle_does_not_restamp_slow_points() -> None:
    poller, _, dev = _poller()
    state = poller.states[dev]
    full = await poller.poll_device(state, True, T0)
    assert full.values == {"power_kw": 1.0, "import_kwh": 1001.0}
    assert full.measured_at == T0
    fast = await poller.poll_device(state, False, T0 + 10 * S)
    # only what was read at +10 s carries the time +10 s; the counter read at T0 is not restated as newer
    assert fast.quality is Quality.GOOD
    assert fast.measured_at == T0 + 10 * S
    assert fast.values == {"power_kw": 2.0}
    points = poller.point_status(dev, T0 + 10 * S)
    assert (points["import_kwh"].value, points["import_kwh"].read_at) == (1001.0, T0)
    assert points["import_kwh"].quality is Quality.GOOD
    assert points["power_kw"].read_at == T0 + 10 * S
    # slow points may be (slow_every + 1) x cadence = 40 s old, fast ones 2 x cadence = 20 s
    assert poller.point_status(dev, T0 + 40 * S)["import_kwh"].quality is Quality.GOOD
    assert poller.point_status(dev, T0 + 41 * S)["import_kwh"].quality is Quality.STALE
    assert poller.point_status(dev, T0 + 31 * S)["power_kw"].quality is Quality.STALE


async def test_a_missed_full_read_is_made_up_and_stale_readings_keep_their_time() -> None:
    poller, meter, dev = _poller()
    state = poller.states[dev]
    await poller.poll_device(state, True, T0)
    await poller.poll_device(state, False, T0 + 10 * S)
    meter.fail = True  # the full read at +30 s fails
    failed = await poller.poll_device(state, True, T0 + 30 * S)
    assert failed.quality is Quality.STALE
    assert failed.measured_at == T0 + 10 * S
    assert failed.values == {"power_kw": 2.0}  # the values of that read only, not the older counter
    meter.fail = False
    assert poller.point_status(dev, T0 + 41 * S)["import_kwh"].quality is Quality.STALE
    # the counter has outlived its cadence: the next (fast) cycle reads it again
    again = await poller.poll_device(state, False, T0 + 41 * S)
    assert meter.reads[-1] is True
    assert again.values["import_kwh"] == 1004.0
    assert poller.point_status(dev, T0 + 41 * S)["import_kwh"].read_at == T0 + 41 * S
    assert await poller.poll_device(state, False, T0 + 51 * S)
    assert meter.reads[-1] is False
