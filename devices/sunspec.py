"""SunSpec discovery and point access over a :class:`~devices.modbus_client.ModbusConnection`.

Discovery probes 0-based addresses 40000, 0 and 50000 for "SunS" (0x5375 0x6E53) and walks the model
chain (each model: ID, L, then L registers; the next model starts at address + 2 + L) until the end
marker 0xFFFF, an illegal-address exception (some maps have no end marker) or a read beyond 65535.
Model 1 may report L=65 (older devices, no final pad) or 66. A repeated model 1 starts a new logical
device. A model whose L is shorter than its definition is kept but flagged; unknown models are skipped
by their L.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from devices.modbus_client import DeviceExceptionError, ModbusConnection
from devices.readplan import Block, Decoded, PlacedPoint, decode_block, plan_blocks
from devices.registermap import ModelDef, sunspec_models

SUNS = (0x5375, 0x6E53)
BASE_ADDRESSES = (40000, 0, 50000)
END_ID = 0xFFFF
ILLEGAL_ADDRESS = 2
logger = logging.getLogger(__name__)


class DiscoveryError(Exception):
    """No SunSpec map found, or the model chain is malformed."""


@dataclass(frozen=True)
class ModelInstance:
    """A model found on a device: id, 0-based address of its ID register, reported L, definition if known."""

    model_id: int
    address: int
    length: int
    definition: ModelDef | None
    logical_device: int = 0

    @property
    def short(self) -> bool:
        """True if L is shorter than the definition (model 1 with L=65 is accepted, not short)."""
        if self.definition is None:
            return False
        allowed = self.definition.length - (1 if self.model_id == 1 else 0)
        return self.length < allowed


@dataclass
class SunSpecMap:
    """The discovered map of one unit: base address and the model chain."""

    base_address: int
    models: list[ModelInstance]
    warnings: list[str] = field(default_factory=list)

    def find(self, model_id: int, logical_device: int = 0) -> ModelInstance | None:
        """The first instance of ``model_id`` in a logical device, or None."""
        for model in self.models:
            if model.model_id == model_id and model.logical_device == logical_device:
                return model
        return None

    @property
    def model_ids(self) -> list[int]:
        """Model ids in chain order."""
        return [m.model_id for m in self.models]


async def find_base(conn: ModbusConnection, unit: int, candidates: Sequence[int] = BASE_ADDRESSES) -> int:
    """The first candidate address holding "SunS"; DiscoveryError if none does.

    Exceptions (illegal address) move on to the next candidate; time-outs propagate (device dead).
    """
    for base in candidates:
        try:
            words = await conn.read(base, 2, unit)
        except DeviceExceptionError as exc:
            logger.debug("%s unit %d: no SunS at %d (%s)", conn.label, unit, base, exc)
            continue
        if tuple(words) == SUNS:
            return base
    raise DiscoveryError(f"{conn.label} unit {unit}: no 'SunS' marker at {list(candidates)}")


async def walk_chain(conn: ModbusConnection, unit: int, base: int) -> SunSpecMap:
    """Walk the model chain starting after the SunS marker at ``base``."""
    known = sunspec_models()
    result = SunSpecMap(base_address=base, models=[])
    address, logical = base + 2, -1
    while address + 2 <= 0x10000:
        try:
            model_id, length = await conn.read(address, 2, unit)
        except DeviceExceptionError as exc:
            if exc.code == ILLEGAL_ADDRESS and result.models:
                result.warnings.append(f"no end marker: illegal address after the last model at {address}")
                break
            raise
        if model_id == END_ID:
            break
        if model_id == 1:
            logical += 1
        instance = ModelInstance(model_id, address, length, known.get(model_id), max(logical, 0))
        if instance.short:
            result.warnings.append(f"model {model_id} at {address}: L={length} shorter than its definition")
        if instance.definition is None:
            result.warnings.append(f"model {model_id} at {address}: unknown, skipped (L={length})")
        result.models.append(instance)
        address += 2 + length
    if not result.models or result.models[0].model_id != 1:
        raise DiscoveryError(f"{conn.label} unit {unit}: model chain at {base} does not start with model 1")
    return result


async def discover(conn: ModbusConnection, unit: int, base_address: int | None = None) -> SunSpecMap:
    """Find the SunSpec base (or use ``base_address``) and walk the model chain."""
    base = await find_base(conn, unit, (base_address,) if base_address is not None else BASE_ADDRESSES)
    return await walk_chain(conn, unit, base)


def place(smap: SunSpecMap, wanted: Sequence[tuple[int, str]], logical_device: int = 0) -> list[PlacedPoint]:
    """Absolute addresses of ``(model_id, point_name)`` pairs; absent models and points past a short L are left out.

    Keys are ``"<model_id>.<point>"``.
    """
    placed: list[PlacedPoint] = []
    for model_id, name in wanted:
        model = smap.find(model_id, logical_device)
        if model is None or model.definition is None:
            continue
        point = model.definition.point(name)
        if point.end > model.length + 2:
            continue
        sf_point = model.definition.point(point.sf) if isinstance(point.sf, str) else None
        if sf_point is not None and sf_point.end > model.length + 2:
            sf_point = None
        placed.append(
            PlacedPoint(
                f"{model_id}.{name}",
                point,
                model.address + point.offset,
                sf_point,
                model.address + sf_point.offset if sf_point is not None else None,
            )
        )
    return placed


async def read_blocks(conn: ModbusConnection, unit: int, blocks: Sequence[Block], word_order: str = "big") -> Decoded:
    """Read every block (one request each, in order) and decode them into one result."""
    merged = Decoded(values={}, invalid=[])
    for block in blocks:
        words = await conn.read(block.address, block.count, unit)
        decoded = decode_block(block, words, word_order)
        merged.values.update(decoded.values)
        merged.invalid.extend(decoded.invalid)
    return merged


def plan(smap: SunSpecMap, wanted: Sequence[tuple[int, str]], logical_device: int = 0) -> list[Block]:
    """The read blocks for ``wanted`` points on a discovered map."""
    return plan_blocks(place(smap, wanted, logical_device))
