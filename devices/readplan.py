"""Read planning: which register blocks to request so that every point is read whole and with its SF.

Pure functions. A block never exceeds 125 registers, starts and ends on point boundaries, and holds
each wanted value together with its scale-factor point (SFs can change between reads, so a value and
its SF must come from the same answer).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from devices.codec import apply_sf, decode, scale_factor
from devices.registermap import Point

MAX_BLOCK = 125


@dataclass(frozen=True)
class PlacedPoint:
    """A point at an absolute 0-based address, with its SF point (if the SF is a point) placed too."""

    key: str
    point: Point
    address: int
    sf_point: Point | None = None
    sf_address: int | None = None

    @property
    def span(self) -> tuple[int, int]:
        """First address and one past the last address covering the value and its SF."""
        start, end = self.address, self.address + self.point.size
        if self.sf_point is not None and self.sf_address is not None:
            start, end = min(start, self.sf_address), max(end, self.sf_address + self.sf_point.size)
        return start, end


@dataclass(frozen=True)
class Block:
    """One read request: ``count`` registers from ``address``, and the points decoded from it."""

    address: int
    count: int
    points: tuple[PlacedPoint, ...]


def plan_blocks(points: Iterable[PlacedPoint], max_block: int = MAX_BLOCK) -> list[Block]:
    """Group points into as few blocks as possible, each ≤ ``max_block`` registers, in address order.

    Raises ValueError if one value and its SF lie further apart than ``max_block``.
    """
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
            blocks.append(Block(start, end - start, tuple(current)))
        current, start, end = [placed], p_start, p_end
    if current:
        blocks.append(Block(start, end - start, tuple(current)))
    return blocks


@dataclass
class Decoded:
    """Values decoded from blocks: engineering values (``None`` = not implemented) and garbage flags."""

    values: dict[str, float | int | str | None]
    invalid: list[str]


def decode_block(block: Block, words: Sequence[int], word_order: str = "big") -> Decoded:
    """Decode every point of ``block`` from the answer ``words`` (value × 10^SF, sentinels → None).

    A point whose SF register holds neither a value in −10..10 nor the 0x8000 sentinel is reported in
    ``invalid`` (garbage) and decoded as ``None``.
    """
    values: dict[str, float | int | str | None] = {}
    invalid: list[str] = []
    for placed in block.points:
        point = placed.point
        offset = placed.address - block.address
        raw = decode(point.type, words[offset : offset + point.size], word_order)
        if placed.sf_point is not None and placed.sf_address is not None:
            sf_off = placed.sf_address - block.address
            sf_raw = decode("sunssf", words[sf_off : sf_off + 1])
            sf = scale_factor(sf_raw if isinstance(sf_raw, int) else None)
            if sf is None and sf_raw is not None:
                invalid.append(placed.key)
            values[placed.key] = apply_sf(raw if isinstance(raw, (int, float)) else None, sf)
        elif isinstance(point.sf, str):  # scaled by an SF the device does not provide (short model): unknown
            values[placed.key] = None
        elif isinstance(point.sf, int) and isinstance(raw, (int, float)):
            values[placed.key] = apply_sf(raw, point.sf)
        else:
            values[placed.key] = raw
    return Decoded(values, invalid)
