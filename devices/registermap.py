"""Register maps as data: SunSpec model definitions (``maps/sunspec_models.json``) and vendor YAML maps.

A :class:`Point` is one typed value at a register offset; a :class:`ModelDef` is a SunSpec model
(offsets from its ID register) and a :class:`VendorMap` a flat map with absolute addresses and fixed
scale exponents. Both expose the same point interface so the read planner and codec do not care.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import yaml

from devices.codec import SIZES
from scenarios.device_identity import DeviceKind

MAPS_DIR = Path(__file__).parent / "maps"


@dataclass(frozen=True)
class Point:
    """One point. ``offset`` counts from the model's ID register (SunSpec) or is absolute (vendor maps).

    ``sf`` is the name of the SF point, a fixed integer exponent, or ``None`` (no scaling).
    """

    name: str
    offset: int
    size: int
    type: str
    sf: str | int | None = None
    units: str | None = None
    access: str = "R"
    symbols: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

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
class ModelDef(PointTable):
    """A SunSpec model: id, name, L (registers after ID and L) and points by offset."""

    id: int
    name: str
    length: int
    points: tuple[Point, ...]

    @property
    def label(self) -> str:
        """'model <id> (<name>)'."""
        return f"model {self.id} ({self.name})"


def _point(raw: dict[str, Any]) -> Point:
    return Point(
        name=raw["name"],
        offset=int(raw["offset"]),
        size=int(raw["size"]),
        type=raw["type"],
        sf=raw.get("sf"),
        units=raw.get("units"),
        access=raw.get("access", "R"),
        symbols=dict(raw.get("symbols", {})),
    )


@cache
def sunspec_models() -> dict[int, ModelDef]:
    """All SunSpec models stored in ``maps/sunspec_models.json``, by model id."""
    data = json.loads((MAPS_DIR / "sunspec_models.json").read_text(encoding="utf-8"))
    return {
        int(k): ModelDef(
            id=int(k), name=m["name"], length=int(m["length"]), points=tuple(_point(p) for p in m["points"])
        )
        for k, m in data["models"].items()
    }


def sunspec_model(model_id: int) -> ModelDef:
    """One SunSpec model definition; KeyError with the known ids if unknown."""
    models = sunspec_models()
    if model_id not in models:
        raise KeyError(f"SunSpec model {model_id} is not in maps/sunspec_models.json (known: {sorted(models)})")
    return models[model_id]


@dataclass(frozen=True)
class VendorMap(PointTable):
    """A vendor register map of one device kind (holding registers, absolute 0-based addresses, fixed scale
    exponents)."""

    name: str
    kind: DeviceKind
    description: str
    word_order: str
    points: tuple[Point, ...]
    watchdog_point: str | None = None

    @property
    def label(self) -> str:
        """ "vendor map '<name>'"."""
        return f"vendor map {self.name!r}"


def vendor_map_names() -> list[str]:
    """Names of the packaged vendor maps (``devices/maps/*.yaml``)."""
    return sorted(p.stem for p in MAPS_DIR.glob("*.yaml"))


def _map_kind(path: Path, raw: object) -> DeviceKind:
    kinds = [k.value for k in DeviceKind]
    if raw not in kinds:
        raise ValueError(f"{path.name}: kind {raw!r} must be one of {kinds} (the device kind the map is for)")
    return DeviceKind(raw)


def _vendor_point(path: Path, i: int, raw: dict[str, Any]) -> Point:
    for key in ("name", "address", "type"):
        if key not in raw:
            raise ValueError(f"{path.name}: points[{i}] lacks '{key}'")
    if raw["type"] not in SIZES and raw["type"] != "string":
        raise ValueError(f"{path.name}: points[{i}].type {raw['type']!r} unknown; use one of {sorted(SIZES)}")
    return Point(
        name=raw["name"],
        offset=int(raw["address"]),
        size=int(raw.get("size", SIZES.get(raw["type"], 1))),
        type=raw["type"],
        sf=raw.get("scale_exp", 0),
        units=raw.get("units"),
        access=raw.get("access", "R"),
    )


@cache
def vendor_map(name: str) -> VendorMap:
    """Load ``maps/<name>.yaml``; KeyError naming the known maps if absent, ValueError naming the field if
    malformed."""
    path = MAPS_DIR / f"{name}.yaml"
    if not path.exists():
        raise KeyError(f"register_map {name!r} not found in devices/maps (known vendor maps: {vendor_map_names()})")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return VendorMap(
        name=data.get("name", name),
        kind=_map_kind(path, data.get("kind")),
        description=data.get("description", ""),
        word_order=data.get("word_order", "big"),
        points=tuple(_vendor_point(path, i, raw) for i, raw in enumerate(data.get("points", []))),
        watchdog_point=data.get("watchdog_point"),
    )
