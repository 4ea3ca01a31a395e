"""SunSpec discovery and point access over a :class:`~devices.modbus_client.ModbusConnection`.

Discovery probes 0-based addresses 40000, 0 and 50000 for "SunS" (0x5375 0x6E53) and walks the model
chain (each model: ID, L, then L registers; the next model starts at address + 2 + L) until the end
marker 0xFFFF, an illegal-address exception (some maps have no end marker) or a read beyond 65535.
Model 1 may report L=65 (older devices, no final pad) or 66. A repeated model 1 starts a new logical
device. A model whose L is shorter than its definition is kept but flagged; unknown models are skipped
by their L. Models with repeating groups (160 MPPT modules, 126/129 curves, 705-712 curves, 714 ports,
803/804 strings and modules) are laid out after the walk from their count points (or, for the legacy count-0
form, from L); a layout longer than L is flagged like a short model.

Finding the marker: an illegal-function/address/value exception (1, 2, 3) at a candidate means "no map here"
and the next candidate is tried; any other exception (4 device failure, 6 busy, 0x0B gateway target not
responding, ...) is raised as what it is, naming the address, never reported as a missing marker.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from devices.modbus_client import DeviceExceptionError, ModbusConnection, exception_name
from devices.readplan import MAX_BLOCK, Block, Decoded, PlacedPoint, Registers, decode_points, plan_blocks
from devices.registermap import ModelDef, ModelLayout, PointTable, layout, sunspec_models

SUNS = (0x5375, 0x6E53)
BASE_ADDRESSES = (40000, 0, 50000)
END_ID = 0xFFFF
ILLEGAL_ADDRESS = 2
NOT_HERE = {1, 2, 3}
"""Exception codes that mean "nothing at this address" while probing for the SunS marker."""
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
    layout: ModelLayout | None = None

    @property
    def table(self) -> PointTable | None:
        """The points of this model on this device: its layout (repeating groups expanded) or its definition."""
        return self.layout if self.layout is not None else self.definition

    @property
    def short(self) -> bool:
        """True if L is shorter than the definition or its layout (model 1 with L=65 is accepted, not short)."""
        if self.definition is None:
            return False
        needed = self.layout.length if self.layout is not None else self.definition.length
        allowed = needed - (1 if self.model_id == 1 else 0)
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
            if exc.code not in NOT_HERE:
                message = f"{conn.label} unit {unit}: {exception_name(exc.code)} while looking for 'SunS' at {base}"
                raise DeviceExceptionError(exc.code, message) from exc
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


async def _counts(conn: ModbusConnection, unit: int, model: ModelInstance) -> dict[str, int]:
    """The values of a model's count points (N, NCrv, NPt, ...); a count not implemented counts as 0."""
    definition = model.definition
    if definition is None:
        return {}
    placed = [
        PlacedPoint(name, definition.point(name), model.address + definition.point(name).offset)
        for name in definition.count_points
        if definition.point(name).end <= model.length + 2
    ]
    values = (await read_blocks(conn, unit, plan_blocks(placed))).values if placed else {}
    return {name: int(v) if isinstance(v, (int, float)) else 0 for name, v in values.items()}


async def lay_out(conn: ModbusConnection, unit: int, smap: SunSpecMap) -> None:
    """Lay out every model with repeating groups from its count points (read from the device) and its L."""
    for i, model in enumerate(smap.models):
        if model.definition is None or not model.definition.tail:
            continue
        counts = await _counts(conn, unit, model)
        laid = replace(model, layout=layout(model.definition, counts, model.length))
        smap.models[i] = laid
        if laid.short:
            smap.warnings.append(
                f"model {model.model_id} at {model.address}: L={model.length} shorter than its counts {counts} need"
            )


async def discover(conn: ModbusConnection, unit: int, base_address: int | None = None) -> SunSpecMap:
    """Find the SunSpec base (or use ``base_address``), walk the model chain and lay out repeating groups."""
    base = await find_base(conn, unit, (base_address,) if base_address is not None else BASE_ADDRESSES)
    smap = await walk_chain(conn, unit, base)
    await lay_out(conn, unit, smap)
    return smap


def _placed(model: ModelInstance, table: PointTable, name: str) -> PlacedPoint | None:
    point = table.point(name)
    if point.end > model.length + 2:
        return None
    sf_point = table.point(point.sf) if isinstance(point.sf, str) else None
    if sf_point is not None and sf_point.end > model.length + 2:
        sf_point = None
    sf_address = model.address + sf_point.offset if sf_point is not None else None
    far = sf_address is not None and (
        max(model.address + point.end, sf_address + 1) - min(model.address + point.offset, sf_address) > MAX_BLOCK
    )
    return PlacedPoint(f"{model.model_id}.{name}", point, model.address + point.offset, sf_point, sf_address, far)


def place(smap: SunSpecMap, wanted: Sequence[tuple[int, str]], logical_device: int = 0) -> list[PlacedPoint]:
    """Absolute addresses of ``(model_id, point_name)`` pairs; absent models and points past a short L are left out.

    Keys are ``"<model_id>.<point>"`` (repeating points: ``"160.module[2].DCW"``). A value whose SF lies more
    than 125 registers away gets its SF placed as a point of its own (read in the same cycle).
    """
    placed: dict[str, PlacedPoint] = {}
    for model_id, name in wanted:
        model = smap.find(model_id, logical_device)
        table = model.table if model is not None else None
        if model is None or table is None:
            continue
        one = _placed(model, table, name)
        if one is None:
            continue
        placed[one.key] = one
        if one.sf_outside and one.sf_point is not None:
            sf = _placed(model, table, one.sf_point.name)
            if sf is not None:
                placed.setdefault(sf.key, sf)
    return list(placed.values())


async def read_blocks(conn: ModbusConnection, unit: int, blocks: Sequence[Block], word_order: str = "big") -> Decoded:
    """Read every block (one request each, in order) and decode all their points from the answers."""
    regs = Registers()
    for block in blocks:
        regs.add(block, await conn.read(block.address, block.count, unit, block.table))
    return decode_points((p for b in blocks for p in b.points), regs, word_order)


def plan(smap: SunSpecMap, wanted: Sequence[tuple[int, str]], logical_device: int = 0) -> list[Block]:
    """The read blocks for ``wanted`` points on a discovered map."""
    return plan_blocks(place(smap, wanted, logical_device))
