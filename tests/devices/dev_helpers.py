"""Helpers for the device tests: simulated servers on ephemeral loopback ports, short time-outs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from devices.modbus_client import ModbusConnection
from devices.simulators.image import SunSpecImage
from devices.simulators.server import Fault, SimServer, SimulatedDevice

TIMEOUT = 0.2
"""Time-out (s) where a time-out is the expected outcome (a silent or slow device): short, so the test is quick."""
ANSWER_TIMEOUT = 10.0
"""Time-out (s) for a device that answers: generous, since the simulators share the test's event loop and a loaded
2-core machine can hold that loop for far longer than 0.2 s; an answering device never waits it out."""


@dataclass
class SunSpecSim(SimulatedDevice):
    """A simulated device whose image is a SunSpec image (typed for the tests)."""

    image: SunSpecImage = field(default_factory=lambda: SunSpecImage((1,)))


def sunspec_device(models: Sequence[int] = (1, 103), unit: int = 1, base: int = 40000, **kw: object) -> SunSpecSim:
    """A static SunSpec device (no physics) with every point at its sentinel and SFs at 0."""
    image = SunSpecImage(models, base, sf=0, **kw)  # type: ignore[arg-type]
    return SunSpecSim(unit, image)


@asynccontextmanager
async def serve(*devices: SimulatedDevice, **kw: object) -> AsyncIterator[SimServer]:
    """A running server on an ephemeral port for ``devices``."""
    server = SimServer(list(devices), **kw)  # type: ignore[arg-type]
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def connect(server: SimServer, **kw: object) -> ModbusConnection:
    """A connection to ``server`` with a generous time-out (pass ``timeout_s=TIMEOUT`` where none is expected to
    answer) and fast back-off."""
    options: dict[str, object] = {
        "timeout_s": ANSWER_TIMEOUT,
        "retries": 0,
        "backoff_base_s": 0.05,
        "backoff_max_s": 0.2,
    }
    options.update(kw)
    return ModbusConnection("127.0.0.1", server.port, **options)  # type: ignore[arg-type]


__all__ = ["ANSWER_TIMEOUT", "TIMEOUT", "Fault", "connect", "serve", "sunspec_device"]
