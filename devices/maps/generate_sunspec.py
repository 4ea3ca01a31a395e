"""Generate `sunspec_models.json` (the SunSpec models this EMS uses) from pysunspec2's official JSON models.

Run once when the model set changes: ``python -m devices.maps.generate_sunspec``. The output is data
committed to the repository; ``tests/devices/test_dev_maps.py`` regenerates it in memory and compares.
Offsets count from the model's ID register (offset 0 = ID, 1 = L); ``length`` is L (registers after L).
Fixed groups (count absent or 1, e.g. 704 PFWInj) are flattened into points named ``Group.Point``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MODEL_IDS: tuple[int, ...] = (1, 101, 103, 120, 121, 123, 124, 201, 203, 701, 702, 704, 713, 802)
OUTPUT = Path(__file__).with_name("sunspec_models.json")
KEEP = ("name", "type", "size", "sf", "units", "access", "mandatory", "static")


def official_models_dir() -> Path:
    """Directory of the official SunSpec JSON models shipped with pysunspec2 (dev dependency)."""
    import sunspec2

    return Path(sunspec2.__file__).parent / "models" / "json"


def _flatten(group: dict[str, Any], prefix: str, offset: int, out: list[dict[str, Any]]) -> int:
    for point in group["points"]:
        entry = {key: point[key] for key in KEEP if key in point}
        entry["name"] = prefix + point["name"]
        entry["offset"] = offset
        entry.setdefault("access", "R")
        if "symbols" in point:
            entry["symbols"] = {s["name"]: s["value"] for s in point["symbols"]}
        out.append(entry)
        offset += int(point["size"])
    for sub in group.get("groups", []):
        count = sub.get("count", 1)
        if count not in (1, None):
            raise ValueError(f"repeating group {sub['name']} (count {count}) is not supported")
        offset = _flatten(sub, f"{prefix}{sub['name']}.", offset, out)
    return offset


def convert_model(definition: dict[str, Any]) -> dict[str, Any]:
    """One official model definition → our compact form (id, name, length L, points with offsets)."""
    points: list[dict[str, Any]] = []
    end = _flatten(definition["group"], "", 0, points)
    for point in points:  # SF names inside a flattened group are relative to the model's top level
        sf = point.get("sf")
        if isinstance(sf, str) and "." in point["name"] and sf not in {p["name"] for p in points}:
            point["sf"] = point["name"].rsplit(".", 1)[0] + "." + sf
    return {"id": definition["id"], "name": definition["group"]["name"], "length": end - 2, "points": points}


def build(models_dir: Path | None = None) -> dict[str, Any]:
    """The whole data file as a dict, from the official definitions."""
    source = models_dir or official_models_dir()
    models = {}
    for model_id in MODEL_IDS:
        definition = json.loads((source / f"model_{model_id}.json").read_text(encoding="utf-8"))
        models[str(model_id)] = convert_model(definition)
    return {"source": "SunSpec JSON models as shipped by pysunspec2", "models": models}


if __name__ == "__main__":
    OUTPUT.write_text(json.dumps(build(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
