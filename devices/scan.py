"""Scanning a SunSpec unit: discover its chain and read every point of every known model (``ems devices scan``).

Repeating groups are read in full (every MPPT module, every curve point); values are scaled by their SFs, points
not implemented are None, and points whose SF register holds garbage are listed per model. Reads go through a
:class:`~devices.blockreader.BlockReader`, so a unit that refuses a merged read is read point by point.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from devices.blockreader import BlockReader
from devices.modbus_client import ModbusConnection
from devices.readplan import plan_blocks
from devices.sunspec import ModelInstance, SunSpecMap, discover, place

ScannedValues = dict[str, float | int | str | None]


@dataclass
class ScannedModel:
    """One model of a scanned unit: id, address of its ID register, reported L, point values by name (scaled;
    None = not implemented) and the points whose SF was garbage."""

    model_id: int
    address: int
    length: int
    values: ScannedValues = field(default_factory=dict)
    garbage: list[str] = field(default_factory=list)
    known: bool = True


@dataclass
class ScanResult:
    """A scanned SunSpec unit: base address, models in chain order, discovery warnings."""

    base_address: int
    models: list[ScannedModel] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


async def read_model(conn: ModbusConnection, unit: int, smap: SunSpecMap, model: ModelInstance) -> ScannedModel:
    """Every point of one discovered model (pads left out)."""
    scanned = ScannedModel(model.model_id, model.address, model.length, known=model.table is not None)
    table = model.table
    if table is None:
        return scanned
    wanted = [(model.model_id, p.name) for p in table.points if p.type != "pad"]
    decoded = await BlockReader(plan_blocks(place(smap, wanted, model.logical_device))).read(conn, unit)
    prefix = f"{model.model_id}."
    scanned.values = {k.removeprefix(prefix): v for k, v in decoded.values.items()}
    scanned.garbage = [k.removeprefix(prefix) for k in decoded.invalid]
    return scanned


async def scan_unit(conn: ModbusConnection, unit: int = 1, base_address: int | None = None) -> ScanResult:
    """Discover a SunSpec unit and read every point of every known model."""
    smap = await discover(conn, unit, base_address)
    result = ScanResult(smap.base_address, warnings=list(smap.warnings))
    for model in smap.models:
        result.models.append(await read_model(conn, unit, smap, model))
    return result
