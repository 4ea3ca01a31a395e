"""The one module of ``devices`` that talks to pymodbus as a client (pinned pymodbus==3.16.1).

:class:`ModbusConnection` owns one TCP connection to one endpoint (host:port) and serialises every
request on it (one request in flight). Each request gets the connection's timeout (seconds) and its
own retries; a request never asks for more than 125 registers (callers split on point boundaries).
After a failure the connection backs off exponentially (``backoff_base_s`` × 2^n up to
``backoff_max_s``): while backing off a request fails at once with :class:`DeviceUnavailableError`, so a
dead device costs at most ``timeout_s × (retries + 1)`` once per back-off period and never slows
other connections. Lost connections are closed and re-opened on the next attempt.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException

MAX_READ = 125
MAX_WRITE = 123
logger = logging.getLogger(__name__)


def quiet_pymodbus(level: int = logging.CRITICAL) -> None:
    """Raise pymodbus's own log threshold to ``level``: our DeviceError messages carry the context, and a dead
    device or an injected simulator fault would otherwise log on every request. Called by the entry points
    (the CLI's device commands and service start, benchmarks, the tests' conftest), never at import."""
    logging.getLogger("pymodbus").setLevel(level)


class DeviceError(Exception):
    """A request to a device failed; ``kind`` is one of timeout, exception, connection, unavailable."""

    kind = "error"


class DeviceTimeoutError(DeviceError):
    """No answer within the time-out (after retries)."""

    kind = "timeout"


class DeviceConnectionError(DeviceError):
    """TCP connection refused or lost."""

    kind = "connection"


class DeviceUnavailableError(DeviceError):
    """The connection is backing off after failures; no request was sent."""

    kind = "unavailable"


EXCEPTION_NAMES = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "server device failure",
    5: "acknowledge",
    6: "server device busy",
    8: "memory parity error",
    10: "gateway path unavailable",
    11: "gateway target device failed to respond",
}
"""Modbus exception codes by number (Modbus Application Protocol v1.1b3, section 7)."""


def exception_name(code: int) -> str:
    """'exception 0x04 (server device failure)'."""
    return f"exception {code:#04x} ({EXCEPTION_NAMES.get(code, 'unknown')})"


class DeviceExceptionError(DeviceError):
    """The device answered with a Modbus exception (``code``: 2 illegal address, 4 device failure, 6 busy,
    11 gateway target not responding; see :data:`EXCEPTION_NAMES`)."""

    kind = "exception"

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class ConnectionStats:
    """Counters of one connection (requests sent, failures, reconnects)."""

    requests: int = 0
    failures: int = 0
    connects: int = 0


class ModbusConnection:
    """One Modbus TCP connection with one request in flight, time-out, retries, reconnect and back-off.

    Args:
        host, port: the endpoint.
        timeout_s: seconds to wait for each answer.
        retries: extra attempts after a time-out (0 = one attempt).
        backoff_base_s, backoff_max_s: first and longest back-off after a failure, seconds.
        connect_delay_s: pause after (re)connecting before the first request (single-connection devices).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout_s: float = 1.0,
        retries: int = 0,
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 60.0,
        connect_delay_s: float = 0.0,
    ) -> None:
        self.host, self.port = host, port
        self.timeout_s, self.retries = timeout_s, retries
        self.backoff_base_s, self.backoff_max_s = backoff_base_s, backoff_max_s
        self.connect_delay_s = connect_delay_s
        self.stats = ConnectionStats()
        self.shared: dict[object, object] = {}
        """What drivers of several units or capabilities behind this endpoint share (e.g. a discovered SunSpec map
        per unit, so a hybrid inverter's PV and battery drivers walk its chain once)."""
        self._client: AsyncModbusTcpClient | None = None
        self._lock = asyncio.Lock()
        self._failures = 0
        self._retry_at = 0.0

    @property
    def label(self) -> str:
        """host:port."""
        return f"{self.host}:{self.port}"

    @property
    def backing_off(self) -> bool:
        """True while failed requests are refused without touching the network."""
        return time.monotonic() < self._retry_at

    async def _ensure_connected(self) -> AsyncModbusTcpClient:
        if self._client is not None and self._client.connected:
            return self._client
        if self._client is not None:  # the peer closed it (kicked, dropped): back off before reconnecting
            self.close()
            raise DeviceConnectionError(f"{self.label}: connection closed by the device")
        client = AsyncModbusTcpClient(
            self.host, port=self.port, timeout=self.timeout_s, retries=0, reconnect_delay=0, reconnect_delay_max=0
        )
        self._client = client
        try:
            ok = await asyncio.wait_for(client.connect(), timeout=self.timeout_s)
        except TimeoutError:
            ok = False
        if not ok:
            client.close()
            self._client = None
            raise DeviceConnectionError(f"{self.label}: cannot connect")
        self.stats.connects += 1
        if self.connect_delay_s:
            await asyncio.sleep(self.connect_delay_s)
        return client

    def _failed(self) -> None:
        self._failures += 1
        self.stats.failures += 1
        delay = min(self.backoff_base_s * 2 ** (self._failures - 1), self.backoff_max_s)
        self._retry_at = time.monotonic() + delay

    def close(self) -> None:
        """Close the TCP connection (it re-opens on the next request)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    async def read(self, address: int, count: int, unit: int = 1, table: str = "holding") -> list[int]:
        """Read ``count`` (1..125) registers at 0-based ``address`` of unit ``unit``: holding registers (function 3)
        or, with ``table="input"``, input registers (function 4)."""
        if not 1 <= count <= MAX_READ:
            raise ValueError(f"count {count} outside 1..{MAX_READ}: split the read on point boundaries")
        if table not in ("holding", "input"):
            raise ValueError(f"table {table!r}: use 'holding' or 'input'")
        return await self._request(address, count, unit, None, table == "input")

    async def write(self, address: int, values: list[int], unit: int = 1) -> None:
        """Write 1..123 holding registers (function 16) at 0-based ``address``; no retries (writes are not repeated)."""
        if not 1 <= len(values) <= MAX_WRITE:
            raise ValueError(f"{len(values)} registers outside 1..{MAX_WRITE}")
        await self._request(address, len(values), unit, values)

    async def _request(
        self, address: int, count: int, unit: int, values: list[int] | None, inputs: bool = False
    ) -> list[int]:
        if self.backing_off:
            raise DeviceUnavailableError(f"{self.label}: backing off after {self._failures} failure(s)")
        async with self._lock:
            if self.backing_off:  # another request failed while this one waited
                raise DeviceUnavailableError(f"{self.label}: backing off after {self._failures} failure(s)")
            attempts = 1 if values is not None else self.retries + 1
            try:
                result = await self._attempts(address, count, unit, values, attempts, inputs)
            except DeviceExceptionError:
                raise  # the device answered: no back-off
            except DeviceError:
                self._failed()
                raise
            self._failures, self._retry_at = 0, 0.0
            return result

    async def _attempts(
        self, address: int, count: int, unit: int, values: list[int] | None, attempts: int, inputs: bool
    ) -> list[int]:
        for attempt in range(attempts):
            client = await self._ensure_connected()
            self.stats.requests += 1
            try:
                if values is None and inputs:
                    response = await client.read_input_registers(address, count=count, device_id=unit)
                elif values is None:
                    response = await client.read_holding_registers(address, count=count, device_id=unit)
                else:
                    response = await client.write_registers(address, values, device_id=unit)
            except ConnectionException as exc:
                self.close()
                raise DeviceConnectionError(f"{self.label}: connection lost ({exc})") from None
            except ModbusException as exc:  # no answer in time (ModbusIOException) or a malformed one
                if attempt + 1 < attempts:
                    continue
                if not client.connected:
                    self.close()
                raise DeviceTimeoutError(f"{self.label} unit {unit}: no answer at {address} ({exc})") from None
            if response.isError():
                code = int(getattr(response, "exception_code", 0))
                raise DeviceExceptionError(code, f"{self.label} unit {unit}: {exception_name(code)} at {address}")
            return [] if values is not None else list(response.registers)
        raise AssertionError("unreachable")  # pragma: no cover
