"""Read planning and decoding: which register blocks to request so that every point is read whole and with its SF.

Pure functions. A block never exceeds 125 registers, starts and ends on point boundaries, reads one register
table (holding or input), and holds each wanted value together with its scale-factor point (SFs can change
between reads, so a value and its SF come from the same answer). The one exception is a value whose SF lies
more than 125 registers away (the repeating curves of models 705-712, whose SFs are static): it is placed with
``sf_outside`` and its SF is read by another block of the same cycle.

Decoding works on the registers of every answer of a cycle (:class:`Registers`): value × 10^SF × factor,
sentinels and the map's invalid values → None, garbage SFs reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from devices.codec import apply_sf, decode, scale_factor
from devices.registermap import HOLDING, Point

MAX_BLOCK = 125


@dataclass(frozen=True)
class PlacedPoint:
    """A point at an absolute 0-based address, with its SF point (if the SF is a point) placed too.

    ``sf_outside``: the SF is not inside this point's span (too far away); another placed point reads it.
    """

    key: str
    point: Point
    address: int
    sf_point: Point | None = None
    sf_address: int | None = None
    sf_outside: bool = False

    @property
    def table(self) -> str:
        """The register table the point lives in (holding or input)."""
        return self.point.table

    @property
    def span(self) -> tuple[int, int]:
        """First address and one past the last address covering the value and (unless outside) its SF."""
        start, end = self.address, self.address + self.point.size
        if self.sf_point is not None and self.sf_address is not None and not self.sf_outside:
            start, end = min(start, self.sf_address), max(end, self.sf_address + self.sf_point.size)
        return start, end


@dataclass(frozen=True)
class Block:
    """One read request: ``count`` registers of ``table`` from ``address``, and the points decoded from it."""

    address: int
    count: int
    points: tuple[PlacedPoint, ...]
    table: str = HOLDING


def _plan_table(points: list[PlacedPoint], table: str, max_block: int) -> list[Block]:
    ordered = sorted(points, key=lambda p: p.span)
    blocks: list[Block] = []
    current: list[PlacedPoint] = []
    start = end = 0
    for placed in ordered:
        p_start, p_end = placed.span
        if p_end - p_start > max_block:
            raise ValueError(f"{placed.key}: value and SF span {p_end - p_start} registers > {max_block}")
        if current and max(end, p_end) - start <= max_block and p_start >= start:
            current.append(placed)
            end = max(end, p_end)
            continue
        if current:
            blocks.append(Block(start, end - start, tuple(current), table))
        current, start, end = [placed], p_start, p_end
    if current:
        blocks.append(Block(start, end - start, tuple(current), table))
    return blocks


def plan_blocks(points: Iterable[PlacedPoint], max_block: int = MAX_BLOCK) -> list[Block]:
    """Group points into as few blocks as possible, each ≤ ``max_block`` registers of one table, in address order
    (holding registers first).

    Raises ValueError if one value and its in-span SF lie further apart than ``max_block``.
    """
    by_table: dict[str, list[PlacedPoint]] = {}
    for placed in points:
        by_table.setdefault(placed.table, []).append(placed)
    return [b for table in sorted(by_table) for b in _plan_table(by_table[table], table, max_block)]


@dataclass
class Decoded:
    """Values decoded from blocks: engineering values (``None`` = not implemented) and garbage flags."""

    values: dict[str, float | int | str | None]
    invalid: list[str]


@dataclass
class Registers:
    """The answers of one cycle: per table, (first address, words) of each block read."""

    answers: dict[str, list[tuple[int, Sequence[int]]]] = field(default_factory=dict)

    def add(self, block: Block, answer: Sequence[int]) -> None:
        """Record the answer to one block."""
        self.answers.setdefault(block.table, []).append((block.address, answer))

    def get(self, table: str, address: int, count: int) -> Sequence[int] | None:
        """``count`` words from ``address`` out of one answer, or None if no answer covers them."""
        for start, words in self.answers.get(table, ()):
            offset = address - start
            if offset >= 0 and offset + count <= len(words):
                return words[offset : offset + count]
        return None


def _scale(
    placed: PlacedPoint, raw: float | int | str | None, regs: Registers
) -> tuple[float | int | str | None, bool]:
    """The engineering value of a decoded raw value and whether its SF register held garbage."""
    point = placed.point
    if placed.sf_point is not None and placed.sf_address is not None:
        sf_words = regs.get(placed.table, placed.sf_address, 1)
        sf_raw = decode("sunssf", sf_words) if sf_words is not None else None
        sf = scale_factor(sf_raw if isinstance(sf_raw, int) else None)
        value = apply_sf(raw if isinstance(raw, (int, float)) else None, sf)
        return (None if value is None else value * point.factor), sf is None and sf_raw is not None
    if isinstance(point.sf, str):  # scaled by an SF the device does not provide (short model): unknown
        return None, False
    if isinstance(raw, (int, float)) and (isinstance(point.sf, int) or point.factor != 1.0):
        value = apply_sf(raw, point.sf if isinstance(point.sf, int) else 0)
        return (None if value is None else value * point.factor), False
    return raw, False


def decode_points(placed: Iterable[PlacedPoint], regs: Registers, word_order: str = "big") -> Decoded:
    """Decode every placed point from the registers of a cycle (value × 10^SF × factor; sentinels and the
    point's invalid values → None). A point whose SF register holds neither a value in −10..10 nor the 0x8000
    sentinel is reported in ``invalid`` (garbage) and decoded as ``None``; a point not read decodes as None."""
    out = Decoded(values={}, invalid=[])
    for p in placed:
        words = regs.get(p.table, p.address, p.point.size)
        if words is None:
            out.values[p.key] = None
            continue
        raw = decode(p.point.type, words, p.point.word_order or word_order, p.point.invalid)
        value, garbage = _scale(p, raw, regs)
        out.values[p.key] = value
        if garbage:
            out.invalid.append(p.key)
    return out


def decode_block(block: Block, words: Sequence[int], word_order: str = "big") -> Decoded:
    """Decode every point of one block from its answer ``words`` (see :func:`decode_points`)."""
    regs = Registers()
    regs.add(block, words)
    return decode_points(block.points, regs, word_order)
