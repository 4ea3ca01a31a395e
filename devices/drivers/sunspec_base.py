"""The base of the SunSpec drivers: discovery once, cached read plans, point reads and writes with read-back."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar, Self

from devices.capabilities import Values
from devices.codec import decode, encode, scale_factor
from devices.modbus_client import ModbusConnection
from devices.readplan import Block
from devices.sunspec import ModelInstance, SunSpecMap, discover, plan, read_blocks

if TYPE_CHECKING:
    from devices.inventory import DeviceSpec
    from devices.registry import Transports

RawValues = dict[str, float | int | str | None]


class SunSpecDriver(ABC):
    """Discovers the model chain once, then reads ``FAST`` points every cycle and ``SLOW`` ones on full reads.

    Points are ``(model id, point name)``; decoded values are keyed ``"<model>.<point>"`` and scaled by their SF.
    """

    FAST: ClassVar[tuple[tuple[int, str], ...]] = ()
    SLOW: ClassVar[tuple[tuple[int, str], ...]] = ()

    def __init__(self, conn: ModbusConnection, unit: int = 1, base_address: int | None = None) -> None:
        self.conn, self.unit, self.base_address = conn, unit, base_address
        self.map: SunSpecMap | None = None
        self._plans: dict[bool, list[Block]] = {}

    @classmethod
    def from_spec(cls, spec: DeviceSpec, transports: Transports) -> Self:
        """The driver of one device: its endpoint's shared connection, unit id and SunSpec base (None = probe)."""
        endpoint = spec.endpoint
        return cls(transports.modbus(endpoint), endpoint.unit_id, endpoint.base_address)

    async def connect(self) -> None:
        """Discover the model chain (once)."""
        if self.map is None:
            self.map = await discover(self.conn, self.unit, self.base_address)
            self._plans = {False: plan(self.map, self.FAST), True: plan(self.map, self.FAST + self.SLOW)}

    async def read_raw(self, full: bool) -> tuple[RawValues, list[str]]:
        """Point values keyed ``"<model>.<point>"`` (scaled) and the keys that decoded as garbage."""
        await self.connect()
        decoded = await read_blocks(self.conn, self.unit, self._plans[full])
        return decoded.values, decoded.invalid

    def _model(self, model_id: int) -> ModelInstance:
        model = self.map.find(model_id) if self.map else None
        if model is None or model.definition is None:
            raise KeyError(f"device {self.conn.label} unit {self.unit} has no SunSpec model {model_id}")
        return model

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

    async def write_point(self, model_id: int, name: str, value: float) -> None:
        """Scale and write one RW point; the SF is read first (same request as nothing else: SFs may change)."""
        await self.connect()
        model = self._model(model_id)
        if model.definition is None:
            raise RuntimeError(f"model {model_id} has no definition")
        point = model.definition.point(name)
        if not point.writable:
            raise PermissionError(f"model {model_id} point {name} is read-only")
        sf: int | None = 0
        if isinstance(point.sf, str):
            sf_point = model.definition.point(point.sf)
            words = await self.conn.read(model.address + sf_point.offset, 1, self.unit)
            raw_sf = decode("sunssf", words)
            sf = scale_factor(raw_sf if isinstance(raw_sf, int) else None)
        words = encode(point.type, value, sf, point.size)
        await self.conn.write(model.address + point.offset, words, self.unit)

    @abstractmethod
    async def read(self, full: bool) -> tuple[Values, list[str]]:
        """Capability values (fields of the kind, see ``FIELDS``) and the keys that decoded as garbage."""
