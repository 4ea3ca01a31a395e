"""The one module of ``devices`` that talks to pychonet (pinned ``pychonet>=2.8.2,<2.9``): ECHONET Lite over UDP.

:class:`EchonetClient` owns one UDP socket (pychonet's ``UDPServer``) and one ``ECHONETAPIClient`` for every node
the poller reads; nodes are addressed by IPv4 (the protocol's port is 3610). Requests to one node are serialised
(one in flight), each bounded by its endpoint's time-out. What comes back is told apart as ECHONET Lite does:

* no answer within the time-out → :class:`~devices.modbus_client.DeviceTimeoutError`;
* an answer refusing some properties (``Get_SNA`` 0x52 / ``SetC_SNA`` 0x51, or a property the node does not list
  in its Get/Set property map) → :class:`EchonetRefusedError` naming the EPCs;
* fewer properties than asked for → :class:`EchonetRefusedError` too (a malformed answer).

After a time-out a node backs off exponentially (``backoff_base_s`` × 2^n up to ``backoff_max_s``), like a Modbus
connection: while it backs off a request fails at once with
:class:`~devices.modbus_client.DeviceUnavailableError`, so a dead node costs one time-out per back-off period.

Values come back as raw EDT bytes by EPC; the drivers decode them (:mod:`devices.drivers.echonet_base`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pychonet import ECHONETAPIClient
from pychonet.echonetapiclient import EchonetMaxOpcError
from pychonet.lib.const import ENL_GETMAP, ENL_SETMAP, ENL_STATMAP, GET, SETC
from pychonet.lib.udpserver import UDPServer

from devices.echonet_types import EchonetObject, EchonetRefusedError, PropertyMaps
from devices.modbus_client import DeviceTimeoutError, DeviceUnavailableError

logger = logging.getLogger(__name__)
TICK_S = 0.1
"""pychonet waits for an answer in ticks of 0.1 s."""


class _Socket(UDPServer):  # type: ignore[misc]
    """pychonet's UDP socket, keeping its two background tasks so that :meth:`close` can end them."""

    def __init__(self, local_ip: str) -> None:
        super().__init__(local_ip=local_ip)
        self.tasks: list[asyncio.Future[Any]] = []

    def _run_future(self, *args: Any) -> None:
        self.tasks.extend(asyncio.ensure_future(fut, loop=self.loop) for fut in args)

    def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        fd = self._sock.fileno()
        if fd >= 0:
            self.loop.remove_reader(fd)
            self.loop.remove_writer(fd)
        self._sock.close()


@dataclass
class _NodeState:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    failures: int = 0
    retry_at: float = 0.0


class EchonetClient:
    """One UDP socket for every ECHONET Lite node; ``bind`` is (address, port) of the local socket.

    The specification answers to port 3610, so a real deployment binds ``("0.0.0.0", 3610)``; the tests and the
    simulators bind ``("127.0.0.1", 0)`` (the simulated nodes answer to the sender's port). Started lazily by the
    first request (inside the running event loop).
    """

    def __init__(
        self,
        bind: tuple[str, int] = ("0.0.0.0", 3610),  # noqa: S104 - ECHONET Lite listens on every interface
        *,
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 60.0,
    ) -> None:
        self.bind, self.backoff_base_s, self.backoff_max_s = bind, backoff_base_s, backoff_max_s
        self._socket: _Socket | None = None
        self._api: Any = None
        self._nodes: dict[str, _NodeState] = {}

    def _start(self) -> Any:
        if self._api is None:
            host, port = self.bind
            self._socket = _Socket(local_ip="127.0.0.1" if host.startswith("127.") else host)
            self._socket.run(host, port, loop=asyncio.get_running_loop())
            self._api = ECHONETAPIClient(self._socket)
            self._api.configure(logger=logger.debug)
        return self._api

    def _instance_state(self, obj: EchonetObject) -> dict[int, Any]:
        gc, cc, ci = obj.eoj
        state: dict[int, Any] = self._api.state[obj.host]["instances"][gc][cc][ci]
        return state

    def _node(self, host: str) -> _NodeState:
        return self._nodes.setdefault(host, _NodeState())

    async def discover(self, obj: EchonetObject, timeout_s: float) -> PropertyMaps:
        """Read the object's property maps (0x9D/0x9E/0x9F): the EPCs it lets us get and set."""
        api = self._start()
        if obj.host not in api.state or not _has_instance(api.state[obj.host], obj.eoj):
            api.register_instance(obj.host, *obj.eoj, [], [], [])
        raw = await self._request(obj, GET, [{"EPC": e} for e in (ENL_STATMAP, ENL_SETMAP, ENL_GETMAP)], timeout_s)
        if ENL_GETMAP not in raw:
            raise EchonetRefusedError(f"{obj}: no Get property map (0x9F) in the answer")
        state = self._instance_state(obj)
        return PropertyMaps(frozenset(state.get(ENL_GETMAP, [])), frozenset(state.get(ENL_SETMAP, [])))

    async def get(self, obj: EchonetObject, epcs: Iterable[int], timeout_s: float) -> dict[int, bytes]:
        """Read properties (one Get request); EDT bytes by EPC. Refusal of any EPC raises EchonetRefusedError."""
        wanted = sorted(set(epcs))
        raw = await self._request(obj, GET, [{"EPC": e} for e in wanted], timeout_s)
        missing = [e for e in wanted if e not in raw]
        if missing:
            raise EchonetRefusedError(f"{obj}: Get refused for EPC {_hex(missing)} (Get_SNA)")
        return raw

    async def set(self, obj: EchonetObject, values: Mapping[int, bytes], timeout_s: float) -> None:
        """Write properties (one SetC request, EDT bytes by EPC); EchonetRefusedError names any refused EPC."""
        opc = [{"EPC": epc, "PDC": len(edt), "EDT": int.from_bytes(edt, "big")} for epc, edt in values.items()]
        raw = await self._request(obj, SETC, opc, timeout_s)
        refused = [epc for epc, edt in values.items() if raw.get(epc) != edt]
        if refused:
            raise EchonetRefusedError(f"{obj}: SetC refused for EPC {_hex(refused)} (SetC_SNA)")

    async def _request(
        self, obj: EchonetObject, esv: int, opc: list[dict[str, Any]], timeout_s: float
    ) -> dict[int, bytes]:
        """Send one request and collect the properties the answer carried (EDT bytes by EPC)."""
        api, node = self._start(), self._node(obj.host)
        if time.monotonic() < node.retry_at:
            raise DeviceUnavailableError(f"{obj}: backing off after {node.failures} time-outs")
        async with node.lock:
            state = self._instance_state(obj)
            for item in opc:
                state.pop(item["EPC"], None)  # what the answer sets again is this request's, never an old value
            sent_at = time.monotonic()
            api.configure(message_timeout=max(1, math.ceil(timeout_s / TICK_S)))
            try:
                ok = await api.echonetMessage(obj.host, *obj.eoj, esv, opc)
            except EchonetMaxOpcError as exc:
                raise EchonetRefusedError(f"{obj}: answer carried {exc.args[0]} of {len(opc)} properties") from exc
            answered = (api.last_activity(obj.host) or 0.0) >= sent_at
            if ok is None:
                raise DeviceUnavailableError(f"{obj}: request queue busy")
            if not ok and not answered:
                self._failed(obj, node, timeout_s)
            node.failures, node.retry_at = 0, 0.0
            return {item["EPC"]: bytes(state[item["EPC"]]) for item in opc if item["EPC"] in state}

    def _failed(self, obj: EchonetObject, node: _NodeState, timeout_s: float) -> None:
        node.failures += 1
        delay = min(self.backoff_base_s * 2 ** (node.failures - 1), self.backoff_max_s)
        node.retry_at = time.monotonic() + delay
        raise DeviceTimeoutError(f"{obj}: no answer within {timeout_s:g} s (backing off {delay:g} s)")

    def close(self) -> None:
        """Close the socket and end its tasks."""
        if self._socket is not None:
            self._socket.close()
        self._socket, self._api = None, None


def _has_instance(node_state: Mapping[str, Any], eoj: tuple[int, int, int]) -> bool:
    gc, cc, ci = eoj
    return ci in node_state.get("instances", {}).get(gc, {}).get(cc, {})


def _hex(epcs: Iterable[int]) -> str:
    return ", ".join(f"0x{e:02X}" for e in epcs)
