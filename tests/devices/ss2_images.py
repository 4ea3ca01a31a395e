"""SunSpec device images built by pysunspec2 (not by this project) and served by a plain pymodbus server.

For each model, pysunspec2 builds a device (model 1 + the model, repeating groups with 2-3 instances) from seeded
values, including points left "not implemented" and one SF at 0x8000; its ``get_mb()`` bytes are served by a plain
pymodbus server (not our simulator). Our discovery lays out the model from its count points and our scan reads
every point; each value must equal pysunspec2's computed value (``cvalue``), including None.

One deliberate difference: pysunspec2 1.3.7 returns a point whose SF is 0x8000 unscaled (as if SF = 0); SunSpec
says such a point is invalid, and we return None. The test expects None there and counts those points.
"""

from __future__ import annotations

import random
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sunspec2.device as ss_device
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from devices.registermap import Point, RepeatGroup, sunspec_model

COUNTS = {"NCrv": 2, "NPt": 3, "NCtl": 2, "NCrvSet": 2, "NPrt": 2, "NStr": 2, "NMod": 3}
LEGACY_INSTANCES = 2


def _value(point: Point, rng: random.Random, sfs: list[str]) -> Any:  # noqa: PLR0911 - one return per type family
    """A plausible value for one point (None now and then: the sentinel)."""
    if point.type == "sunssf":
        sfs.append(point.name)
        return rng.choice([-2, -1, 0, 1])
    if point.name in COUNTS or point.type in ("pad",):
        return COUNTS.get(point.name)
    if rng.random() < 0.1:
        return None
    if point.type == "string":
        return f"S{rng.randint(0, 999)}"[: 2 * point.size]
    if point.type == "float32":
        return struct.unpack(">f", struct.pack(">f", rng.uniform(-5e4, 5e4)))[0]
    if point.type == "enum16" and point.symbols:
        return rng.choice(sorted(point.symbols.values()))
    ranges = {"int16": (-30000, 30000), "int32": (-2 * 10**9, 2 * 10**9), "uint32": (0, 4 * 10**9)}
    ranges |= {"acc32": (1, 4 * 10**9), "acc64": (1, 10**15), "uint64": (0, 10**15), "bitfield32": (0, 2**31)}
    low, high = ranges.get(point.type, (0, 60000))
    return rng.randint(low, high)


def _group_data(group: RepeatGroup, rng: random.Random, sfs: list[str]) -> list[dict[str, Any]]:
    count = COUNTS[group.count] if isinstance(group.count, str) else LEGACY_INSTANCES
    instances = []
    for _ in range(count):
        data: dict[str, Any] = {}
        for item in group.items:
            if isinstance(item, RepeatGroup):
                _nest(data, item.name, _group_data(item, rng, sfs))
            else:
                _nest(data, item.name, _value(item, rng, sfs))
        instances.append(data)
    return instances


def _nest(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Put ``value`` at ``A.B.c`` (our flattened fixed groups) as pysunspec2's nested group dicts."""
    *groups, leaf = dotted.split(".")
    for name in groups:
        data = data.setdefault(name, {})
    data[leaf] = value


def model_data(model_id: int) -> tuple[dict[str, Any], str | None]:
    """Seeded pysunspec2 data for one model, and the SF (if the model has any) left at 0x8000 (not implemented)."""
    rng, sfs = random.Random(model_id), list[str]()  # noqa: S311 - seeded test values, not security
    definition = sunspec_model(model_id)
    data: dict[str, Any] = {"ID": model_id}
    for point in definition.points:
        if point.name not in ("ID", "L"):
            _nest(data, point.name, _value(point, rng, sfs))
    for group in definition.tail:
        data[group.name] = _group_data(group, rng, sfs)
    nulled = rng.choice(sfs) if sfs else None
    if nulled is not None:
        data[nulled] = None  # an SF not implemented: every point it scales reads as None
    return data, nulled


def flatten(group: Any, prefix: str = "") -> dict[str, tuple[Any, str | None]]:
    """pysunspec2's computed values of a model or group with each point's SF name, named as our layouts name them."""
    out = {
        prefix + name: (p.cvalue, p.pdef.get("sf")) for name, p in group.points.items() if p.pdef.get("type") != "pad"
    }
    for name, sub in group.groups.items():
        if isinstance(sub, list):
            for i, g in enumerate(sub, start=1):
                out |= flatten(g, f"{prefix}{name}[{i}].")
        else:
            out |= flatten(sub, f"{prefix}{name}.")
    return out


def device_words(models: list[tuple[int, dict[str, Any]]]) -> tuple[list[int], list[Any]]:
    """SunS + model 1 + ``models`` (id, pysunspec2 data) + end marker as pysunspec2 encodes them, and its models."""
    device = ss_device.Device()
    built = []
    for model_id, data in [(1, {"ID": 1, "Mn": "pysunspec2", "Md": "image"}), *models]:
        model = ss_device.Model(model_id=model_id, data={"ID": model_id, **data})
        assert not model.error_info, model.error_info
        device.add_model(model)
        built.append(model)
    raw = device.get_mb()
    return [0x5375, 0x6E53, *struct.unpack(f">{len(raw) // 2}H", raw), 0xFFFF, 0], built[1:]


def image(model_id: int) -> tuple[list[int], Any, str | None]:
    """SunS + model 1 + the model (seeded values) + end marker; pysunspec2's model; the nulled SF."""
    data, nulled = model_data(model_id)
    words, models = device_words([(model_id, data)])
    return words, models[0], nulled


@asynccontextmanager
async def plain_server(words: list[int]) -> AsyncIterator[int]:
    """A plain pymodbus server (not our simulator) serving ``words`` from 40000; yields its port."""
    server = ModbusTcpServer(
        SimDevice(id=1, simdata=[SimData(40000, values=words, datatype=DataType.REGISTERS)]), address=("127.0.0.1", 0)
    )
    await server.serve_forever(background=True)
    try:
        yield int(server.transport.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
    finally:
        await server.shutdown()  # type: ignore[no-untyped-call]
