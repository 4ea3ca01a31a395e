"""Loading and validating vendor map files: the packaged ones (``devices/maps/*.yaml``) and user folders.

:class:`MapLibrary` finds a map by name in the user folders first (so an operator can ship a map for a device this
project does not know, or a corrected one for a firmware), then in the package. Every problem of a map file is a
:class:`MapError` naming the file and the field (``points[3].type``, ``capabilities.battery.read.soc``) and the
fix; a name that is no map is a :class:`MapNotFoundError` listing the known ones. The folders are passed in
(the ``EMS_DEVICE_MAPS`` setting at the entry points); library code never reads the environment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from devices.capabilities import FIELDS
from devices.codec import SIZES
from devices.registermap import HOLDING, INPUT, MAPS_DIR, Point
from devices.vendormap import (
    FIELD_UNITS,
    Capability,
    FieldSource,
    ModeSpec,
    SetpointSpec,
    VendorMap,
    field_unit,
    unit_factor,
)
from scenarios.device_identity import DeviceKind

POINT_KEYS = {"name", "address", "type", "size", "table", "word_order", "scale", "scale_exp", "sign", "units"}
POINT_KEYS |= {"access", "min", "max", "invalid", "note"}
MAP_KEYS = {"name", "description", "source", "word_order", "invalid", "points", "capabilities"}
SETPOINT_KEYS = {"point", "mode", "charge", "discharge", "enable", "watchdog", "before"}
TYPES = sorted([*SIZES, "string"])


class MapError(ValueError):
    """A vendor map file is malformed; the message names the file, the field and the fix."""


class MapNotFoundError(KeyError):
    """No vendor map has this name; the message lists the known ones."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _fail(path: Path, where: str, message: str) -> MapError:
    return MapError(f"{path.name}: {where}: {message}")


def _number(path: Path, where: str, raw: object) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise _fail(path, where, f"{raw!r} is not a number")
    return float(raw)


def _invalid(path: Path, where: str, raw: object) -> tuple[int, ...]:
    values = raw if isinstance(raw, list) else [raw]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
        raise _fail(path, where, f"{raw!r}: give the raw register value(s) as unsigned integers, e.g. 0x7FFFFFFF")
    return tuple(values)


def _factor(path: Path, where: str, raw: Mapping[str, Any]) -> float:
    exponent = raw.get("scale_exp", 0)
    if not isinstance(exponent, int) or isinstance(exponent, bool):
        raise _fail(path, f"{where}.scale_exp", f"{exponent!r}: an integer power of ten, e.g. -1 for x 0.1")
    factor = _number(path, f"{where}.scale", raw.get("scale", 1.0)) * 10.0**exponent
    sign = raw.get("sign", 1)
    if sign not in (1, -1):
        raise _fail(path, f"{where}.sign", f"{sign!r} must be 1 or -1 (-1: the device counts the other way)")
    return factor * float(sign)


def parse_point(path: Path, i: int, raw: object, defaults: Mapping[str, tuple[int, ...]]) -> Point:
    """One entry of ``points``, checked key by key."""
    where = f"points[{i}]"
    if not isinstance(raw, dict):
        raise _fail(path, where, "each point is a mapping {name, address, type, ...}")
    for key in ("name", "address", "type"):
        if key not in raw:
            raise _fail(path, where, f"lacks '{key}'")
    unknown = sorted(set(raw) - POINT_KEYS)
    if unknown:
        raise _fail(path, f"{where}.{unknown[0]}", f"unknown key; use {sorted(POINT_KEYS)}")
    ptype, table, order = raw["type"], raw.get("table", HOLDING), raw.get("word_order")
    if ptype not in TYPES:
        raise _fail(path, f"{where}.type", f"{ptype!r} unknown; use one of {TYPES}")
    if table not in (HOLDING, INPUT):
        raise _fail(path, f"{where}.table", f"{table!r}: use 'holding' (function 3) or 'input' (function 4)")
    if order not in (None, "big", "little"):
        raise _fail(path, f"{where}.word_order", f"{order!r}: use 'big' (high word first) or 'little'")
    address = raw["address"]
    if not isinstance(address, int) or not 0 <= address <= 0xFFFF:
        raise _fail(path, f"{where}.address", f"{address!r}: a 0-based register address 0..65535")
    access = raw.get("access", "R")
    if access not in ("R", "RW"):
        raise _fail(path, f"{where}.access", f"{access!r}: use R or RW")
    invalid = _invalid(path, f"{where}.invalid", raw["invalid"]) if "invalid" in raw else defaults.get(ptype)
    return Point(
        name=str(raw["name"]),
        offset=address,
        size=int(raw.get("size", SIZES.get(ptype, 1))),
        type=ptype,
        units=raw.get("units"),
        access=access,
        table=table,
        factor=_factor(path, where, raw),
        word_order=order,
        invalid=invalid,
        minimum=_number(path, f"{where}.min", raw["min"]) if "min" in raw else None,
        maximum=_number(path, f"{where}.max", raw["max"]) if "max" in raw else None,
    )


def _ref(path: Path, where: str, name: object, points: Mapping[str, Point], writable: bool = False) -> str:
    if not isinstance(name, str) or name not in points:
        raise _fail(path, where, f"point {name!r} is not in points (known: {sorted(points)})")
    if writable and not points[name].writable:
        raise _fail(path, where, f"point {name!r} is written here but has access R; give it access: RW")
    return name


def _source(path: Path, where: str, field: str, raw: object, points: Mapping[str, Point]) -> FieldSource:
    if isinstance(raw, dict):
        name = _ref(path, f"{where}.point", raw.get("point"), points)
        values = raw.get("values")
        if not isinstance(values, dict) or not values:
            raise _fail(path, f"{where}.values", "give the lookup {raw value: field value}")
        table = {_number(path, where, k): _number(path, where, v) for k, v in values.items()}
        return FieldSource(name, table)
    name = _ref(path, where, raw, points)
    family, units = field_unit(field), points[name].units
    if unit_factor(units, family) is None:
        raise _fail(path, where, f"point {name!r} has units {units!r}; {field} needs one of {_allowed(family)}")
    return FieldSource(name)


def _allowed(family: str) -> list[str]:
    return [u or "(none)" for u in FIELD_UNITS[family]]


def _setpoint(path: Path, where: str, raw: object, points: Mapping[str, Point]) -> SetpointSpec:
    if not isinstance(raw, dict):
        raise _fail(path, where, "a mapping {point | mode+charge+discharge, enable, watchdog, before}")
    unknown = sorted(set(raw) - SETPOINT_KEYS)
    if unknown:
        raise _fail(path, f"{where}.{unknown[0]}", f"unknown key; use {sorted(SETPOINT_KEYS)}")
    if ("point" in raw) == ("mode" in raw):
        raise _fail(path, where, "give either 'point' (one signed set-point) or 'mode' with 'charge'/'discharge'")
    mode = None
    if "mode" in raw:
        m = raw["mode"] if isinstance(raw["mode"], dict) else {}
        values = {
            k: _number(path, f"{where}.mode.{k}", m[k]) for k in ("charge", "discharge", "hold", "release") if k in m
        }
        mode = ModeSpec(_ref(path, f"{where}.mode.point", m.get("point"), points, True), **values)
    enable = raw.get("enable")
    if enable is not None:
        if not isinstance(enable, dict) or len(enable) != 1:
            raise _fail(path, f"{where}.enable", "one {point: value} written last")
        ((name, value),) = enable.items()
        enable = (_ref(path, f"{where}.enable", name, points, True), _number(path, f"{where}.enable", value))
    before = raw.get("before") or {}
    if not isinstance(before, dict):
        raise _fail(path, f"{where}.before", "a mapping {point: value} written first")
    return SetpointSpec(
        point=_ref(path, f"{where}.point", raw["point"], points, True) if "point" in raw else None,
        mode=mode,
        charge=_ref(path, f"{where}.charge", raw["charge"], points, True) if "charge" in raw else None,
        discharge=_ref(path, f"{where}.discharge", raw["discharge"], points, True) if "discharge" in raw else None,
        enable=enable,
        watchdog=_ref(path, f"{where}.watchdog", raw["watchdog"], points, True) if "watchdog" in raw else None,
        before=tuple(
            (_ref(path, f"{where}.before", k, points, True), _number(path, where, v)) for k, v in before.items()
        ),
    )


def _capability(path: Path, kind_name: object, raw: object, points: Mapping[str, Point]) -> Capability:
    kinds = [k.value for k in DeviceKind]
    where = f"capabilities.{kind_name}"
    if kind_name not in kinds:
        raise _fail(path, where, f"unknown device kind; use one of {kinds}")
    kind = DeviceKind(kind_name)
    if not isinstance(raw, dict) or not isinstance(raw.get("read"), dict):
        raise _fail(path, f"{where}.read", "give the fields read: {field: point}")
    read = {}
    for field_name, source in raw["read"].items():
        if field_name not in FIELDS[kind]:
            raise _fail(path, f"{where}.read.{field_name}", f"not a {kind} field; use {sorted(FIELDS[kind])}")
        read[field_name] = _source(path, f"{where}.read.{field_name}", field_name, source, points)
    if "power_kw" not in read:
        raise _fail(path, f"{where}.read", "power_kw is required (the main value of every kind)")
    setpoint = _setpoint(path, f"{where}.setpoint", raw["setpoint"], points) if "setpoint" in raw else None
    return Capability(kind, read, setpoint)


def parse_map(path: Path, data: object) -> VendorMap:
    """A whole map file's content, validated; MapError naming the field otherwise."""
    if not isinstance(data, dict):
        raise MapError(f"{path.name}: a map file is a mapping with name, source, points and capabilities")
    unknown = sorted(set(data) - MAP_KEYS)
    if unknown:
        raise _fail(path, unknown[0], f"unknown key; use {sorted(MAP_KEYS)}")
    if not data.get("source"):
        raise _fail(path, "source", "name the public register documentation the map was taken from")
    defaults = {k: _invalid(path, f"invalid.{k}", v) for k, v in (data.get("invalid") or {}).items()}
    raw_points = data.get("points")
    if not isinstance(raw_points, list) or not raw_points:
        raise _fail(path, "points", "give the register points as a list")
    points = {}
    for i, raw in enumerate(raw_points):
        point = parse_point(path, i, raw, defaults)
        if point.name in points:
            raise _fail(path, f"points[{i}].name", f"{point.name!r} twice; point names are unique")
        points[point.name] = point
    caps = data.get("capabilities")
    if not isinstance(caps, dict) or not caps:
        raise _fail(path, "capabilities", "give at least one device kind: {pv_inverter|battery|meter|ev_charger: ...}")
    capabilities = {c.kind: c for c in (_capability(path, k, v, points) for k, v in caps.items())}
    word_order = data.get("word_order", "big")
    if word_order not in ("big", "little"):
        raise _fail(path, "word_order", f"{word_order!r}: use 'big' or 'little'")
    return VendorMap(
        name=str(data.get("name", path.stem)),
        description=str(data.get("description", "")),
        source=str(data["source"]),
        word_order=word_order,
        points=tuple(points.values()),
        capabilities=capabilities,
    )


def load_map(path: Path) -> VendorMap:
    """Read and validate one map file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MapError(f"{path.name}: not valid YAML ({exc})") from None
    return parse_map(path, data)


class MapLibrary:
    """Vendor maps by name: ``user_dirs`` (searched first, in order) and the packaged ``devices/maps``."""

    def __init__(self, user_dirs: Iterable[Path] = ()) -> None:
        self.dirs: list[Path] = [Path(d) for d in user_dirs] + [MAPS_DIR]
        self._cache: dict[str, VendorMap] = {}

    def path(self, name: str) -> Path | None:
        """The file a name resolves to, or None."""
        return next((d / f"{name}.yaml" for d in self.dirs if (d / f"{name}.yaml").is_file()), None)

    def names(self) -> list[str]:
        """Every map name the library resolves."""
        return sorted({p.stem for d in self.dirs if d.is_dir() for p in d.glob("*.yaml")})

    def get(self, name: str) -> VendorMap:
        """The map called ``name``; MapNotFoundError listing the known maps, MapError naming a malformed field."""
        if name not in self._cache:
            path = self.path(name)
            if path is None:
                folders = ", ".join(str(d) for d in self.dirs)
                raise MapNotFoundError(f"no vendor map {name!r} in {folders} (known: {self.names()})")
            self._cache[name] = load_map(path)
        return self._cache[name]

    def problems(self) -> list[str]:
        """Every map file that does not load, with its error (``ems scenario check`` reports them)."""
        found = []
        for name in self.names():
            try:
                self.get(name)
            except MapError as exc:
                found.append(str(exc))
        return found


@cache
def packaged_maps() -> MapLibrary:
    """The library of the packaged maps only (built once)."""
    return MapLibrary()


def library(user_dirs: Sequence[Path] | None) -> MapLibrary:
    """The packaged maps, or a library that also searches ``user_dirs``."""
    return MapLibrary(user_dirs) if user_dirs else packaged_maps()
