"""The offline base map under the city map: the scenario's municipal outline from a GeoJSON file shipped in
`geo/` (`<scenario name>.json`, lon/lat degrees WGS 84; source and licence in geo/SOURCE.md), drawn as one SVG path
in the map's projection. No file: the map is drawn from the facilities' coordinates alone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from api.dashboard.map_data import Projection

GEO = Path(__file__).with_name("geo")
Ring = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Outline:
    """A municipality's outline: its rings (lon, lat; outer rings and holes alike, drawn even-odd), name and the
    credit the data's licence asks for."""

    name: str
    rings: tuple[Ring, ...]
    attribution: str

    @property
    def points(self) -> list[tuple[float, float]]:
        """Every vertex (lon, lat), for fitting the projection."""
        return [p for ring in self.rings for p in ring]


def _rings(geometry: dict[str, object]) -> list[Ring]:
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    polygons = coords if kind == "MultiPolygon" else [coords] if kind == "Polygon" else []
    if not isinstance(polygons, list):
        raise ValueError(f"base map: geometry type '{kind}' has no coordinate list")
    return [tuple((float(x), float(y)) for x, y, *_ in ring) for polygon in polygons for ring in polygon]


@lru_cache(maxsize=8)
def outline(scenario_name: str) -> Outline | None:
    """The outline shipped for `scenario_name`, None if there is none; ValueError naming the file if it is not a
    GeoJSON FeatureCollection of (Multi)Polygons."""
    path = GEO / f"{scenario_name}.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    features = data.get("features") if isinstance(data, dict) else None
    if not features:
        raise ValueError(f"{path}: not a GeoJSON FeatureCollection with features")
    rings = [ring for f in features for ring in _rings(f.get("geometry") or {})]
    if not rings:
        raise ValueError(f"{path}: no Polygon or MultiPolygon geometry")
    name = str(features[0].get("properties", {}).get("name", scenario_name))
    return Outline(name, tuple(rings), str(data.get("attribution", "")))


def svg_path(proj: Projection, shape: Outline) -> str:
    """The outline as SVG path data in `proj`'s pixels (one closed subpath per ring, 1 decimal)."""
    parts = []
    for ring in shape.rings:
        xy = [proj.xy(lon, lat) for lon, lat in ring]
        parts.append("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in xy) + " Z")
    return " ".join(parts)
