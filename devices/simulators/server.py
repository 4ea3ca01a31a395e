"""pymodbus servers for simulated devices (``SimDevice``/``SimData``, pymodbus 3.16), with fault injection.

One :class:`SimServer` listens on one loopback port and serves one or more units (several units = a
gateway). Each :class:`SimulatedDevice` serves a register image; on every request the pymodbus
``action`` hook refreshes the image from the physics, applies the device's fault, checks point
boundaries (strict mode) and copies the image into the server's registers.

Reads with function 4 are answered from the image's input registers (vendor maps that use them), function 3 from
its holding registers; ``rejects_gaps`` makes a unit refuse (exception 2) any read touching a register no point of
its map covers, as many real devices do.

Faults (``Fault.kind``): none, no_answer (never responds), slow (answers after ``delay_s``),
exception (Modbus exception ``code``, e.g. 4), gateway (exception 0x0B), drop (closes the connection),
garbage (random words), sentinel (every point "not implemented"), sf_change (the power SF toggles
between two values on every read; values stay right if read with their SF).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from devices.capabilities import utc_now
from devices.registermap import HOLDING, INPUT
from devices.simulators.handlers import Handler
from devices.simulators.image import SunSpecImage, VendorImage

READ_INPUT_REGISTERS = 4

FAULT_KINDS = ("none", "no_answer", "slow", "exception", "gateway", "drop", "garbage", "sentinel", "sf_change")
Clock = Callable[[], dt.datetime]
"""The simulators' time source (tz-aware UTC); tests pass a settable one."""


@dataclass
class Fault:
    """A fault to inject: ``kind`` from FAULT_KINDS, ``delay_s`` for slow, ``code`` for exception."""

    kind: str = "none"
    delay_s: float = 2.0
    code: int = 4

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind {self.kind!r} unknown; use one of {FAULT_KINDS}")


@dataclass
class SimulatedDevice:
    """One unit: its image, optional physics handler, fault, and strict point-boundary checking."""

    unit_id: int
    image: SunSpecImage | VendorImage
    handler: Handler | None = None
    fault: Fault = field(default_factory=Fault)
    strict: bool = True
    rejects_gaps: bool = False
    clock: Clock = utc_now
    refresh_s: float = 0.2
    requests: int = 0
    server: SimServer | None = None
    _boundaries: set[int] = field(default_factory=set)
    _writable: set[int] = field(default_factory=set)
    _covered: dict[str, set[int]] = field(default_factory=dict)
    _blank: SunSpecImage | VendorImage | None = None
    _refreshed: dt.datetime | None = None
    _rng: random.Random = field(default_factory=lambda: random.Random(7))  # noqa: S311 - simulated noise, not security

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        """Recompute point boundaries and writable addresses (after changing the image layout)."""
        self._boundaries = self.image.boundaries()
        self._blank = None
        self._writable = set()
        if isinstance(self.image, SunSpecImage):
            for address, table, length in self.image.models.values():
                for p in table.points:
                    if p.writable and p.end <= length + 2:
                        self._writable.update(range(address + p.offset, address + p.end))
        else:
            for p in self.image.vmap.points:
                if p.writable and p.table == HOLDING:
                    self._writable.update(range(p.offset, p.end))
            self._covered = {table: self.image.covered(table) for table in (HOLDING, INPUT)}

    def simdevice(self) -> SimDevice:
        """The pymodbus SimDevice serving this unit (one register block from base to end + 1 invalid)."""
        return SimDevice(
            id=self.unit_id,
            action=self._action,
            simdata=[SimData(self.image.base, values=[0] * len(self.image.words), datatype=DataType.REGISTERS)],
        )

    def _refused(self, table: str, address: int, count: int, write: bool) -> bool:
        """True if a request must be answered with exception 2: off point boundaries (strict), or a read touching
        registers no point covers on a device that refuses gaps."""
        if self.strict and (address not in self._boundaries or address + count not in self._boundaries):
            return True
        covered = self._covered.get(table, set())
        return not write and self.rejects_gaps and not set(range(address, address + count)) <= covered

    def _fault_words(self, table: str, address: int, count: int) -> list[int] | None:
        kind = self.fault.kind
        if kind == "garbage":
            return [self._rng.randint(0x4000, 0x7FFF) for _ in range(count)]
        if kind == "sentinel":
            if self._blank is None:
                self._blank = self.image.blank()
            return self._blank.serve(table, address, count)
        if kind == "sf_change" and isinstance(self.image, SunSpecImage):
            for model_id, sf_name in ((103, "W_SF"), (701, "W_SF"), (203, "W_SF")):
                if model_id in self.image.models:
                    current = self.image.get_words(self.image.address_of(model_id, sf_name)[0], 1)[0]
                    self.image.set_sf(model_id, sf_name, (current + 1) % 2 + 0 if current in (0, 1) else 0)
        return None

    async def _action(
        self, fc: int, start: int, address: int, count: int, regs: list[int], values: list[int] | list[bool] | None
    ) -> ExcCodes | None:
        self.requests += 1
        table = INPUT if fc == READ_INPUT_REGISTERS else HOLDING
        kind = self.fault.kind
        if kind in {"no_answer", "drop"}:
            if kind == "drop" and self.server is not None:
                self.server.drop_connections()
            await asyncio.Event().wait()  # never answers; the task is cancelled when the loop ends
        if kind == "slow":
            await asyncio.sleep(self.fault.delay_s)
        if kind in ("exception", "gateway"):
            return ExcCodes(0x0B if kind == "gateway" else self.fault.code)
        if self._refused(table if values is None else HOLDING, address, count, values is not None):
            return ExcCodes.ILLEGAL_ADDRESS
        now = self.clock()
        if values is not None:
            if not set(range(address, address + count)) <= self._writable:
                return ExcCodes.ILLEGAL_ADDRESS
            self.image.set_words(address, [int(v) for v in values])
            if self.handler is not None:
                self.handler.on_write(now)
                self._refreshed = None  # the next read shows the effect at once
            return None
        if self.handler is not None and (
            self._refreshed is None or (now - self._refreshed).total_seconds() >= self.refresh_s
        ):
            self.handler.refresh(now)
            self._refreshed = now
        words = self._fault_words(table, address, count)
        if words is None:
            words = self.image.serve(table, address, count)
        regs[address - start : address - start + count] = words
        return None


class SimServer:
    """A Modbus TCP server on ``host:port`` (port 0 = ephemeral) for one or more simulated units.

    ``missing_units``: "exception" (pymodbus answers exception 4), "silent" (no answer) or "gateway"
    (exception 0x0B, gateway target failed to respond), for unit ids no device has.
    ``single_connection``: a new client connection closes the older ones (Huawei/SolarEdge behaviour).
    """

    def __init__(
        self,
        devices: list[SimulatedDevice],
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        missing_units: str = "exception",
        single_connection: bool = False,
    ) -> None:
        self.devices, self.host, self.port = devices, host, port
        self.missing_units, self.single_connection = missing_units, single_connection
        self._server: ModbusTcpServer | None = None
        self._watch: asyncio.Task[None] | None = None
        for device in devices:
            device.server = self

    async def start(self) -> int:
        """Start listening; returns the bound port."""
        if self.missing_units not in ("exception", "silent", "gateway"):
            raise ValueError(f"missing_units {self.missing_units!r}: use exception, silent or gateway")
        simdevices = [d.simdevice() for d in self.devices]
        if self.missing_units != "exception" and all(d.unit_id != 0 for d in self.devices):
            simdevices.append(
                SimDevice(
                    id=0, simdata=[SimData(0, count=65535, datatype=DataType.REGISTERS)], action=self._missing_unit
                )
            )
        self._server = ModbusTcpServer(simdevices, address=(self.host, self.port))
        await self._server.serve_forever(background=True)
        transport = self._server.transport
        sockets = getattr(transport, "sockets", None)
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        if self.single_connection:
            self._watch = asyncio.create_task(self._kick_old_connections())
        return self.port

    async def _missing_unit(
        self,
        _fc: int,
        _start: int,
        _address: int,
        _count: int,
        _regs: list[int],
        _values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        if self.missing_units == "gateway":
            return ExcCodes.GATEWAY_NO_RESPONSE
        await asyncio.Event().wait()  # silent: never answers
        return None

    async def _kick_old_connections(self) -> None:
        while self._server is not None:
            connections = list(self._server.active_connections.values())
            for old in connections[:-1]:
                old.close()
            await asyncio.sleep(0.02)

    def drop_connections(self) -> None:
        """Close every client connection (fault 'drop', or a test killing the link)."""
        if self._server is not None:
            for connection in list(self._server.active_connections.values()):
                connection.close()

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        if self._server is not None:
            self.drop_connections()
            await self._server.shutdown()  # type: ignore[no-untyped-call]
            self._server = None
