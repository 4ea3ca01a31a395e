"""The base of the SunSpec drivers: discovery once per unit, learned read plans, validated writes with read-back.

Discovery is shared by every driver of one unit (a hybrid inverter's PV and battery drivers walk the chain once):
the map is kept on the unit's connection. Writes are prepared whole before the first register is written
(:meth:`SunSpecDriver.prepare`: every SF read and every value encoded), so a value that cannot be written (an SF
not implemented, an overflow) leaves the device untouched instead of half-configured.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Self

from devices.blockreader import BlockReader
from devices.capabilities import Values
from devices.codec import CodecError, decode, encode, scale_factor
from devices.modbus_client import ModbusConnection
from devices.registermap import PointTable
from devices.sunspec import ModelInstance, SunSpecMap, discover, plan, read_blocks

if TYPE_CHECKING:
    from devices.inventory import DeviceSpec
    from devices.registry import Transports

RawValues = dict[str, float | int | str | None]
Wanted = list[tuple[int, str]]
Prepared = list[tuple[int, list[int]]]
"""Writes ready to send: (absolute address, words), in order."""


class SunSpecDriver(ABC):
    """Discovers the model chain once, then reads ``FAST`` points every cycle and ``SLOW`` ones on full reads.

    Points are ``(model id, point name)``; decoded values are keyed ``"<model>.<point>"`` and scaled by their SF.
    Subclasses may add points that depend on the discovered layout by overriding :meth:`wanted`.
    """

    FAST: ClassVar[tuple[tuple[int, str], ...]] = ()
    SLOW: ClassVar[tuple[tuple[int, str], ...]] = ()

    def __init__(self, conn: ModbusConnection, unit: int = 1, base_address: int | None = None) -> None:
        self.conn, self.unit, self.base_address = conn, unit, base_address
        self.map: SunSpecMap | None = None
        self._readers: dict[bool, BlockReader] = {}

    @classmethod
    def from_spec(cls, spec: DeviceSpec, transports: Transports) -> Self:
        """The driver of one device: its endpoint's shared connection, unit id and SunSpec base (None = probe)."""
        endpoint = spec.modbus
        return cls(transports.modbus(endpoint), endpoint.unit_id, endpoint.base_address)

    def wanted(self, full: bool) -> Wanted:
        """The points to read: fast ones, plus the slow ones on full reads (the map is discovered)."""
        return list(self.FAST + self.SLOW) if full else list(self.FAST)

    async def connect(self) -> None:
        """Discover the model chain (once per unit: drivers of one unit share the map on their connection)."""
        if self.map is not None:
            return
        key = ("sunspec", self.unit, self.base_address)
        smap = self.conn.shared.get(key)
        if not isinstance(smap, SunSpecMap):
            smap = await discover(self.conn, self.unit, self.base_address)
            self.conn.shared[key] = smap
        self.map = smap
        self._readers = {full: BlockReader(plan(smap, self.wanted(full))) for full in (False, True)}

    async def read_raw(self, full: bool) -> tuple[RawValues, list[str]]:
        """Point values keyed ``"<model>.<point>"`` (scaled) and the keys that decoded as garbage."""
        await self.connect()
        decoded = await self._readers[full].read(self.conn, self.unit)
        return decoded.values, decoded.invalid

    def _model(self, model_id: int) -> tuple[ModelInstance, PointTable]:
        model = self.map.find(model_id) if self.map else None
        table = model.table if model is not None else None
        if model is None or table is None:
            raise KeyError(f"device {self.conn.label} unit {self.unit} has no SunSpec model {model_id}")
        return model, table

    def has(self, model_id: int) -> bool:
        """True if the discovered chain holds ``model_id``."""
        return self.map is not None and self.map.find(model_id) is not None

    async def read_point(self, model_id: int, name: str) -> float | int | str | None:
        """Read one point together with its SF (one request)."""
        await self.connect()
        if self.map is None:
            raise RuntimeError(f"{self}: no SunSpec map discovered")
        decoded = await read_blocks(self.conn, self.unit, plan(self.map, [(model_id, name)]))
        return decoded.values.get(f"{model_id}.{name}")

    async def _sf(self, model: ModelInstance, table: PointTable, sf_name: str) -> int | None:
        words = await self.conn.read(model.address + table.point(sf_name).offset, 1, self.unit)
        raw = decode("sunssf", words)
        return scale_factor(raw if isinstance(raw, int) else None)

    async def prepare(self, model_id: int, values: Sequence[tuple[str, float]]) -> Prepared:
        """Encode writes of RW points of one model, in order, reading each SF they use (SFs may change) first.

        Raises PermissionError (read-only point), KeyError (no such model or point) or CodecError (SF not
        implemented, overflow, sentinel) before anything is written.
        """
        await self.connect()
        model, table = self._model(model_id)
        sfs: dict[str, int | None] = {}
        prepared: Prepared = []
        for name, value in values:
            point = table.point(name)
            if not point.writable:
                raise PermissionError(f"model {model_id} point {name} is read-only")
            sf: int | None = 0
            if isinstance(point.sf, str):
                if point.sf not in sfs:
                    sfs[point.sf] = await self._sf(model, table, point.sf)
                sf = sfs[point.sf]
                if sf is None:
                    raise_sf_not_implemented(model_id, name, point.sf)
            prepared.append((model.address + point.offset, encode(point.type, value, sf, point.size)))
        return prepared

    async def write_prepared(self, *batches: Prepared) -> None:
        """Send prepared writes in order (one request per point)."""
        for batch in batches:
            for address, words in batch:
                await self.conn.write(address, words, self.unit)

    async def write_point(self, model_id: int, name: str, value: float) -> None:
        """Scale and write one RW point (its SF read first: SFs may change)."""
        await self.write_prepared(await self.prepare(model_id, [(name, value)]))

    @abstractmethod
    async def read(self, full: bool) -> tuple[Values, list[str]]:
        """Capability values (fields of the kind, see ``FIELDS``) and the keys that decoded as garbage."""


def raise_sf_not_implemented(model_id: int, name: str, sf_name: str) -> None:
    """Refuse a write whose scale factor is 0x8000 (not implemented), naming the point and its SF."""
    raise CodecError(
        f"model {model_id} {name}: scale factor {sf_name} not implemented (0x8000): the point cannot be written"
    )
