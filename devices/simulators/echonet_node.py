"""A simulated ECHONET Lite node: one UDP socket on (127.0.0.x, 3610) answering Get and SetC for its objects.

The frame codec here is this module's own (ECHONET Lite specification, part II, chapter 3: EHD1 0x10, EHD2 0x81,
TID, SEOJ, DEOJ, ESV, OPC, then EPC/PDC/EDT per property), so the drivers, which go through pychonet, are tested
against an implementation that does not share their code. Answers go to the sender's address and port.

Faults (:class:`EchonetFault`) are injectable per node: no answer at all, SNA answers refusing some (or all)
properties, and stale values (every Get answers the values frozen at the moment the fault was set).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import cast

logger = logging.getLogger(__name__)

EHD = b"\x10\x81"
GET, SETC, SETI = 0x62, 0x61, 0x60
GET_RES, SET_RES, GET_SNA, SETC_SNA = 0x72, 0x71, 0x52, 0x51
NODE_PROFILE = (0x0E, 0xF0, 0x01)
CONTROLLER = (0x05, 0xFF, 0x01)
STATMAP, SETMAP, GETMAP, INSTANCE_LIST = 0x9D, 0x9E, 0x9F, 0xD6

Getter = Callable[[], bytes]
Setter = Callable[[bytes], bool]
"""Takes the EDT written; False refuses it (the node answers SetC_SNA for that property)."""


@dataclass(frozen=True)
class Frame:
    """One ECHONET Lite frame (format 1): transaction id, source/destination objects, service, properties."""

    tid: int
    seoj: tuple[int, int, int]
    deoj: tuple[int, int, int]
    esv: int
    props: tuple[tuple[int, bytes], ...]

    def encode(self) -> bytes:
        """The frame's bytes."""
        out = bytearray(EHD + self.tid.to_bytes(2, "big") + bytes(self.seoj) + bytes(self.deoj))
        out += bytes([self.esv, len(self.props)])
        for epc, edt in self.props:
            out += bytes([epc, len(edt)]) + edt
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes) -> Frame:
        """Parse a frame; ValueError on a wrong header or a truncated property list."""
        if len(data) < 12 or data[:2] != EHD:
            raise ValueError(f"not an ECHONET Lite format-1 frame: {data[:4].hex()}")
        props, at = [], 12
        for _ in range(data[11]):
            if at + 2 > len(data) or at + 2 + data[at + 1] > len(data):
                raise ValueError("truncated property list")
            pdc = data[at + 1]
            props.append((data[at], bytes(data[at + 2 : at + 2 + pdc])))
            at += 2 + pdc
        seoj, deoj = (data[4], data[5], data[6]), (data[7], data[8], data[9])
        return cls(int.from_bytes(data[2:4], "big"), seoj, deoj, data[10], tuple(props))


def property_map(epcs: set[int]) -> bytes:
    """A property map EDT: the count, then the EPCs (< 16) or the 16-byte bitmap (spec appendix 1)."""
    if len(epcs) < 16:
        return bytes([len(epcs), *sorted(epcs)])
    bitmap = bytearray(16)
    for epc in epcs:
        bitmap[epc & 0x0F] |= 1 << ((epc >> 4) - 8)
    return bytes([len(epcs)]) + bytes(bitmap)


@dataclass
class SimObject:
    """One object of a node: class code (e.g. 0x027D), instance, readable and writable properties."""

    class_code: int
    instance: int
    getters: dict[int, Getter]
    setters: dict[int, Setter] = field(default_factory=dict)

    @property
    def eoj(self) -> tuple[int, int, int]:
        """(group, class, instance)."""
        return self.class_code >> 8, self.class_code & 0xFF, self.instance

    def get(self, epc: int) -> bytes | None:
        """EDT of a readable property (the maps included), None if it has none."""
        if epc == GETMAP:
            return property_map(set(self.getters) | {STATMAP, SETMAP, GETMAP})
        if epc == SETMAP:
            return property_map(set(self.setters))
        if epc == STATMAP:
            return property_map({0x80} & set(self.getters))
        getter = self.getters.get(epc)
        return None if getter is None else getter()


@dataclass
class EchonetFault:
    """Faults of a node: ``no_answer`` drops every request; ``refuse`` lists EPCs answered with SNA (``refuse_all``:
    every one); ``stale`` answers every Get with the values frozen when the fault was set."""

    no_answer: bool = False
    refuse: frozenset[int] = frozenset()
    refuse_all: bool = False
    stale: bool = False


class EchonetNode(asyncio.DatagramProtocol):
    """A node at ``host``:3610 (or ``port``) serving ``objects`` and its node profile."""

    def __init__(self, host: str, objects: list[SimObject], port: int = 3610) -> None:
        self.host, self.port, self.objects = host, port, {o.eoj: o for o in objects}
        self.fault = EchonetFault()
        self.frozen: dict[tuple[tuple[int, int, int], int], bytes] = {}
        self.requests = 0
        self.transport: asyncio.DatagramTransport | None = None

    def set_fault(self, fault: EchonetFault) -> None:
        """Inject (or clear with ``EchonetFault()``) a fault; ``stale`` freezes the current values."""
        self.fault = fault
        self.frozen = {}
        if fault.stale:
            for eoj, obj in self.objects.items():
                for epc in obj.getters:
                    self.frozen[(eoj, epc)] = obj.getters[epc]()

    async def start(self) -> None:
        """Bind the UDP socket."""
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, local_addr=(self.host, self.port))

    def stop(self) -> None:
        """Close the socket."""
        if self.transport is not None:
            self.transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the socket's transport (a datagram transport, although CPython 3.11's does not subclass it)."""
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        """Answer one request (unless a fault drops it)."""
        self.requests += 1
        try:
            frame = Frame.decode(data)
        except ValueError as exc:
            logger.debug("%s: dropped a frame: %s", self.host, exc)
            return
        if self.fault.no_answer or self.transport is None:
            return
        answer = self.answer(frame)
        if answer is not None:
            self.transport.sendto(answer.encode(), addr)

    def _node_profile(self, epc: int) -> bytes | None:
        if epc == INSTANCE_LIST:
            eojs = sorted(self.objects)
            return bytes([len(eojs)]) + b"".join(bytes(e) for e in eojs)
        if epc == 0x8A:
            return b"\x00\x00\x77"  # manufacturer code: experimental
        if epc == GETMAP:
            return property_map({0x8A, INSTANCE_LIST, GETMAP})
        return None

    def _refused(self, epc: int) -> bool:
        return self.fault.refuse_all or epc in self.fault.refuse

    def answer(self, frame: Frame) -> Frame | None:
        """The answer to a request (None for SetI and unknown objects or services)."""
        obj = self.objects.get(frame.deoj)
        if frame.deoj == NODE_PROFILE and frame.esv == GET:
            props = tuple((epc, self._node_profile(epc) or b"") for epc, _ in frame.props)
            return Frame(frame.tid, NODE_PROFILE, frame.seoj, GET_RES, props)
        if obj is None or frame.esv not in (GET, SETC):
            return None
        if frame.esv == GET:
            return self._get(frame, obj)
        return self._set(frame, obj)

    def _get(self, frame: Frame, obj: SimObject) -> Frame:
        props = []
        for epc, _ in frame.props:
            value = None if self._refused(epc) else self.frozen.get((obj.eoj, epc)) or obj.get(epc)
            props.append((epc, value if value is not None else b""))
        esv = GET_RES if all(edt for _, edt in props) else GET_SNA
        return Frame(frame.tid, obj.eoj, frame.seoj, esv, tuple(props))

    def _set(self, frame: Frame, obj: SimObject) -> Frame:
        props = []
        for epc, edt in frame.props:
            setter = obj.setters.get(epc)
            accepted = setter is not None and not self._refused(epc) and setter(edt)
            props.append((epc, b"" if accepted else edt))
        esv = SET_RES if all(not edt for _, edt in props) else SETC_SNA
        return Frame(frame.tid, obj.eoj, frame.seoj, esv, tuple(props))


def u(value: float, size: int) -> bytes:
    """An unsigned big-endian integer EDT of ``size`` bytes, clipped to its range (rounded)."""
    top: int = 256**size - 3
    return max(0, min(round(value), top)).to_bytes(size, "big")


def s(value: float, size: int) -> bytes:
    """A signed big-endian integer EDT of ``size`` bytes, clipped to its range (rounded)."""
    half: int = 256**size // 2
    return max(-half + 1, min(round(value), half - 3)).to_bytes(size, "big", signed=True)


def constants(values: Mapping[int, bytes]) -> dict[int, Getter]:
    """Getters of fixed values."""
    return {epc: _constant(edt) for epc, edt in values.items()}


def _constant(edt: bytes) -> Getter:
    def get() -> bytes:
        return edt

    return get
