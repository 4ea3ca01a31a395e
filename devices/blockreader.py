"""Reading a read plan from one device, learning which merged reads the device refuses.

The planner (:mod:`devices.readplan`) merges points into as few requests as possible, reading across unmapped
registers between them. Many devices answer such a read with exception 2 (illegal data address), e.g. Huawei
inverters for the holes in their map. :class:`BlockReader` then splits the refused block at its gaps (or, if it
has none, in two) and retries at once; a single point the device still refuses is not supported by this device
and decodes as None from then on. What it learns is kept for the device, so the cost is paid once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from devices.modbus_client import DeviceExceptionError, ModbusConnection
from devices.readplan import Block, Decoded, PlacedPoint, Registers, decode_points

ILLEGAL_ADDRESS = 2
logger = logging.getLogger(__name__)


def _block(points: Sequence[PlacedPoint], table: str) -> Block:
    start = min(p.span[0] for p in points)
    end = max(p.span[1] for p in points)
    return Block(start, end - start, tuple(points), table)


def split(block: Block) -> list[Block]:
    """The block cut at every gap between its points (registers no point covers), or, without gaps, in two
    halves by point; [] for a block of one point."""
    points = sorted(block.points, key=lambda p: p.span)
    if len(points) < 2:
        return []
    runs: list[list[PlacedPoint]] = [[points[0]]]
    end = points[0].span[1]
    for placed in points[1:]:
        if placed.span[0] > end:
            runs.append([placed])
        else:
            runs[-1].append(placed)
        end = max(end, placed.span[1])
    if len(runs) == 1:
        half = len(points) // 2
        runs = [points[:half], points[half:]]
    return [_block(run, block.table) for run in runs]


class BlockReader:
    """A device's read plan that learns: blocks refused with exception 2 are split and retried, points the device
    refuses on their own are dropped (decoded as None), and the learned plan is kept."""

    def __init__(self, blocks: Sequence[Block], word_order: str = "big") -> None:
        self.blocks = list(blocks)
        self.word_order = word_order
        self.points = [p for b in self.blocks for p in b.points]
        self.unsupported: set[str] = set()
        self.splits = 0

    async def read(self, conn: ModbusConnection, unit: int) -> Decoded:
        """Read every block (one request each), learning from refused ones; decode every point of the plan."""
        regs = Registers()
        queue, kept = list(self.blocks), []
        while queue:
            block = queue.pop(0)
            try:
                regs.add(block, await conn.read(block.address, block.count, unit, block.table))
            except DeviceExceptionError as exc:
                if exc.code != ILLEGAL_ADDRESS:
                    raise
                queue[:0] = self._learn(conn, unit, block)
                continue
            kept.append(block)
        self.blocks = kept
        return decode_points(self.points, regs, self.word_order)

    def _learn(self, conn: ModbusConnection, unit: int, block: Block) -> list[Block]:
        parts = split(block)
        if parts:
            self.splits += 1
            logger.info(
                "%s unit %d: read of %d %s registers at %d refused (exception 2); split into %d reads",
                conn.label, unit, block.count, block.table, block.address, len(parts),
            )  # fmt: skip
            return parts
        names = [p.key for p in block.points]
        self.unsupported.update(names)
        logger.warning(
            "%s unit %d: %s refused at %d (exception 2): not read again", conn.label, unit, names, block.address
        )
        return []
