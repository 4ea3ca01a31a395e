"""Register maps as data: SunSpec model definitions (``maps/sunspec_models.json``) and their device layouts.

A :class:`Point` is one typed value at a register offset; a :class:`ModelDef` is a SunSpec model (a fixed part
with offsets from its ID register, then repeating groups whose counts the device reports) and a
:class:`ModelLayout` the points of one model on one device (repeating groups expanded with its counts). Vendor
maps (:mod:`devices.vendormap`) expose the same :class:`PointTable` interface, so the read planner and the
codec do not care where a point comes from.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from pathlib import Path
from typing import Any

MAPS_DIR = Path(__file__).parent / "maps"
HOLDING, INPUT = "holding", "input"


@dataclass(frozen=True)
class Point:
    """One point. ``offset`` counts from the model's ID register (SunSpec) or is absolute (vendor maps).

    ``sf`` is the name of the SF point, a fixed integer exponent, or ``None`` (no scaling). Vendor-map points
    also carry their register ``table`` (holding or input), a ``factor`` applied after 10^sf (any scale and the
    sign: value = raw × 10^sf × factor), their ``word_order`` (None: the map's), the raw values that mean "not
    available" (``invalid``; None: the SunSpec sentinel of the type) and, if writable, the engineering limits
    ``minimum``/``maximum``.
    """

    name: str
    offset: int
    size: int
    type: str
    sf: str | int | None = None
    units: str | None = None
    access: str = "R"
    symbols: dict[str, int] = field(default_factory=dict, compare=False, hash=False)
    table: str = HOLDING
    factor: float = 1.0
    word_order: str | None = None
    invalid: tuple[int, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None

    @property
    def end(self) -> int:
        """Offset one past the last register of the point."""
        return self.offset + self.size

    @property
    def writable(self) -> bool:
        """True if the definition allows writing (access RW)."""
        return self.access == "RW"


class PointTable:
    """Lookup by name over a map's ``points`` (shared by SunSpec models and vendor maps)."""

    points: tuple[Point, ...]

    @property
    def label(self) -> str:
        """How errors name this map."""
        raise NotImplementedError

    @cached_property
    def by_name(self) -> dict[str, Point]:
        """Points by name."""
        return {p.name: p for p in self.points}

    def point(self, name: str) -> Point:
        """The point called ``name``; KeyError naming the map if absent."""
        try:
            return self.by_name[name]
        except KeyError:
            raise KeyError(f"{self.label} has no point {name!r}") from None


@dataclass(frozen=True)
class RepeatGroup:
    """A repeating group of a SunSpec model: ``count`` names the count point (e.g. ``NCrv``) or is 0 (as many
    as the model's L allows: the legacy form of models 126, 129, 160). ``items`` are its points (offsets
    relative to nothing: laid out in order) and nested repeating groups."""

    name: str
    count: str | int
    items: tuple[Point | RepeatGroup, ...]

    def count_points(self) -> Iterator[str]:
        """Names of the count points this group and its nested groups depend on."""
        if isinstance(self.count, str):
            yield self.count
        for item in self.items:
            if isinstance(item, RepeatGroup):
                yield from item.count_points()

    @property
    def fixed_size(self) -> int | None:
        """Registers of one instance if it has no nested repeating groups, else None."""
        if any(isinstance(i, RepeatGroup) for i in self.items):
            return None
        return sum(i.size for i in self.items if isinstance(i, Point))


@dataclass(frozen=True)
class ModelDef(PointTable):
    """A SunSpec model: id, name, the fixed part's L (registers after ID and L), its points by offset, and the
    repeating groups that follow it (``tail``; empty for most models, whose L is then ``length``)."""

    id: int
    name: str
    length: int
    points: tuple[Point, ...]
    tail: tuple[RepeatGroup, ...] = ()

    @property
    def label(self) -> str:
        """'model <id> (<name>)'."""
        return f"model {self.id} ({self.name})"

    @property
    def count_points(self) -> list[str]:
        """The fixed-part points whose values size the repeating groups (read at discovery)."""
        return sorted({name for group in self.tail for name in group.count_points()})


@dataclass(frozen=True)
class ModelLayout(PointTable):
    """The points of one model on one device: the fixed part and every repeating instance, with offsets from the
    model's ID register. Repeating points are named ``Group[i].Point`` (1-based, nested: ``Crv[1].Pt[2].V``);
    their SF names point at the model's top-level SF points. ``length`` is the L this layout fills."""

    definition: ModelDef
    length: int
    points: tuple[Point, ...]

    @property
    def id(self) -> int:
        """The model id."""
        return self.definition.id

    @property
    def label(self) -> str:
        """'model <id> (<name>)'."""
        return self.definition.label


def _instances(
    group: RepeatGroup, counts: Mapping[str, int], offset: int, room: int, prefix: str
) -> tuple[list[Point], int]:
    if isinstance(group.count, str):
        count = max(counts.get(group.count, 0), 0)
    else:  # legacy count 0: as many whole instances as the remaining L holds
        size = group.fixed_size or 0
        count = room // size if size else 0
    points: list[Point] = []
    for i in range(1, count + 1):
        inner = f"{prefix}{group.name}[{i}]."
        for item in group.items:
            if isinstance(item, RepeatGroup):
                nested, offset = _instances(item, counts, offset, 0, inner)
                points += nested
            else:
                points.append(replace(item, name=inner + item.name, offset=offset))
                offset += item.size
    return points, offset


def layout(definition: ModelDef, counts: Mapping[str, int] | None = None, length: int | None = None) -> ModelLayout:
    """The layout of ``definition`` with the device's ``counts`` (count point → value) and its reported L
    (``length``; needed to size legacy count-0 groups, default: the fixed part's L)."""
    if not definition.tail:
        return ModelLayout(definition, definition.length if length is None else length, definition.points)
    counts = counts or {}
    offset = definition.length + 2
    points = list(definition.points)
    for group in definition.tail:
        room = (length if length is not None else definition.length) + 2 - offset
        expanded, offset = _instances(group, counts, offset, max(room, 0), "")
        points += expanded
    return ModelLayout(definition, offset - 2, tuple(points))


def _point(raw: dict[str, Any], offset: int = 0) -> Point:
    return Point(
        name=raw["name"],
        offset=int(raw.get("offset", offset)),
        size=int(raw["size"]),
        type=raw["type"],
        sf=raw.get("sf"),
        units=raw.get("units"),
        access=raw.get("access", "R"),
        symbols=dict(raw.get("symbols", {})),
    )


def _group(raw: dict[str, Any]) -> RepeatGroup:
    items: list[Point | RepeatGroup] = []
    for item in raw["items"]:
        items.append(_group(item["group"]) if "group" in item else _point(item["point"]))
    return RepeatGroup(raw["name"], raw["count"], tuple(items))


@cache
def sunspec_models() -> dict[int, ModelDef]:
    """All SunSpec models stored in ``maps/sunspec_models.json``, by model id."""
    data = json.loads((MAPS_DIR / "sunspec_models.json").read_text(encoding="utf-8"))
    return {
        int(k): ModelDef(
            id=int(k),
            name=m["name"],
            length=int(m["length"]),
            points=tuple(_point(p) for p in m["points"]),
            tail=tuple(_group(item["group"]) for item in m.get("tail", [])),
        )
        for k, m in data["models"].items()
    }


def sunspec_model(model_id: int) -> ModelDef:
    """One SunSpec model definition; KeyError with the known ids if unknown."""
    models = sunspec_models()
    if model_id not in models:
        raise KeyError(f"SunSpec model {model_id} is not in maps/sunspec_models.json (known: {sorted(models)})")
    return models[model_id]
