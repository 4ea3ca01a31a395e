"""Generate `sunspec_models.json` (the SunSpec models this EMS knows) from pysunspec2's official JSON models.

Run once when the model set changes: ``python -m devices.maps.generate_sunspec``. The output is data
committed to the repository; ``tests/devices/test_dev_maps.py`` regenerates it in memory and compares.

Each model is stored as its **fixed part** and its **repeating tail**:

* ``points``: the fixed part (top-level points, then fixed groups flattened into points named ``Group.Point``),
  with offsets counted from the model's ID register (offset 0 = ID, 1 = L); ``length`` is the fixed part's L
  (registers after L), which is the whole L of a model without repeating groups.
* ``tail``: what follows the fixed part, in order: repeating groups (``count`` is the name of the count point,
  e.g. ``NCrv``, or 0 = "as many as L allows", the legacy form of 126/129/160) whose ``items`` are points
  and nested repeating groups (fixed groups inside a repeating group are flattened into its items with their
  name as prefix). Offsets inside a repeating group depend on the counts, so items carry none; the layout
  of a discovered device is computed from its count points (:func:`devices.registermap.layout`).

SF names are kept as the definitions give them (all SFs of the stored models are top-level points).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MODEL_IDS: tuple[int, ...] = (
    # common, inverters (integer + SF, float), nameplate, settings, status, controls, storage, grid support, MPPT
    *(1, 101, 102, 103, 111, 112, 113, 120, 121, 122, 123, 124, 126, 129, 160),
    # meters: single/split/wye/delta, integer + SF and float
    *(201, 202, 203, 204, 211, 212, 213, 214),
    # IEEE 1547 DER models
    *range(701, 716),
    # battery base, lithium-ion bank and string
    *(802, 803, 804),
)
OUTPUT = Path(__file__).with_name("sunspec_models.json")
KEEP = ("name", "type", "size", "sf", "units", "access", "mandatory", "static")


def official_models_dir() -> Path:
    """Directory of the official SunSpec JSON models shipped with pysunspec2 (dev dependency)."""
    import sunspec2

    return Path(sunspec2.__file__).parent / "models" / "json"


def _repeating(group: dict[str, Any]) -> bool:
    return group.get("count", 1) not in (1, None)


def _point(point: dict[str, Any], prefix: str) -> dict[str, Any]:
    entry = {key: point[key] for key in KEEP if key in point}
    entry["name"] = prefix + point["name"]
    entry.setdefault("access", "R")
    if "symbols" in point:
        entry["symbols"] = {s["name"]: s["value"] for s in point["symbols"]}
    return entry


def _items(group: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """A group's content in order: points, fixed subgroups flattened, repeating subgroups as groups."""
    items: list[dict[str, Any]] = [{"point": _point(p, prefix)} for p in group["points"]]
    for sub in group.get("groups", []):
        if _repeating(sub):
            items.append({"group": _repeat_group(sub, prefix)})
        else:
            items.extend(_items(sub, f"{prefix}{sub['name']}."))
    return items


def _repeat_group(group: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    count = group["count"]
    return {"name": prefix + group["name"], "count": count if isinstance(count, str) else int(count),
            "items": _items(group, "")}  # fmt: skip


def convert_model(definition: dict[str, Any]) -> dict[str, Any]:
    """One official model definition → our compact form (fixed part with offsets, then the repeating tail)."""
    top = definition["group"]
    fixed: list[dict[str, Any]] = []
    tail: list[dict[str, Any]] = []
    offset = 0
    for item in _items({"points": top["points"], "groups": top.get("groups", [])}, ""):
        if "group" in item or tail:
            tail.append(item)
            continue
        point = item["point"]
        point["offset"] = offset
        offset += int(point["size"])
        fixed.append(point)
    model: dict[str, Any] = {"id": definition["id"], "name": top["name"], "length": offset - 2, "points": fixed}
    if tail:
        model["tail"] = tail
    return model


def build(models_dir: Path | None = None) -> dict[str, Any]:
    """The whole data file as a dict, from the official definitions."""
    source = models_dir or official_models_dir()
    models = {}
    for model_id in MODEL_IDS:
        definition = json.loads((source / f"model_{model_id}.json").read_text(encoding="utf-8"))
        models[str(model_id)] = convert_model(definition)
    return {"source": "SunSpec JSON models as shipped by pysunspec2", "models": models}


def _lines(value: Any, indent: str) -> str:
    if isinstance(value, dict) and ("type" in value or "offset" in value):  # a point: one line
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        inner = indent + " "
        body = ",\n".join(f"{inner}{json.dumps(k)}: {_lines(v, inner)}" for k, v in value.items())
        return "{\n" + body + "\n" + indent + "}"
    if isinstance(value, list) and value:
        inner = indent + " "
        return "[\n" + ",\n".join(inner + _lines(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value, ensure_ascii=False)


def dump(data: dict[str, Any]) -> str:
    """The data file's text: one point per line (compact, diffable)."""
    return _lines(data, "") + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(dump(build()), encoding="utf-8")
