# mypy: allow-untyped-defs, allow-incomplete-defs
"""The offline base map: the Yamaguchi City outline shipped in api/dashboard/geo/ (JMA municipal areas; source and
licence in geo/SOURCE.md) holds the facilities of the Yamaguchi scenario, is drawn under the markers with its
credit, and a scenario without a file ('tiny') is drawn from its coordinates alone; a bad file is refused naming
it."""

from __future__ import annotations

import math
import re

import pytest
from fastapi.testclient import TestClient
from service_fixtures import add_users, login, make_service

from api.app import create_app
from api.dashboard import base_map
from api.dashboard.base_map import outline, svg_path
from api.dashboard.map_data import projection
from runtime.store.db import open_store
from scenarios.loader import load_scenario


def inside(lon: float, lat: float, rings) -> bool:
    """Even-odd rule over every ring (a point in a hole is outside)."""
    hit = False
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
                hit = not hit
    return hit


def test_every_yamaguchi_facility_lies_in_the_city_outline():
    shape = outline("yamaguchi")
    assert shape is not None
    assert shape.name == "山口市"
    assert "気象庁" in shape.attribution
    scenario = load_scenario("yamaguchi")
    rings = [list(r) for r in shape.rings]
    outside = [f for f in scenario.facilities if not inside(f.longitude, f.latitude, rings)]
    # one scenario coordinate, rounded to 34.08 N 131.50 E, falls just over the line into Hofu (JMA's boundary and
    # reversejp agree): it is drawn just outside the outline, within 3 km of it (a scenario data note)
    assert [f.id for f in outside] == ["suzenji-cc"]
    km = min(
        math.dist((f.longitude * 92.4, f.latitude * 111.32), (x * 92.4, y * 111.32))
        for f in outside
        for x, y in shape.points
    )
    assert km < 3.0
    assert not inside(131.25, 34.50, rings)  # north-west corner of the box: Hagi side, not the city
    assert not inside(131.0, 34.0, rings)
    assert outline("tiny") is None


def test_svg_path_uses_the_map_projection():
    shape = outline("yamaguchi")
    assert shape is not None
    proj = projection(shape.points)
    d = svg_path(proj, shape)
    assert d.count("M") == len(shape.rings) == d.count("Z")
    xs = [float(v) for v in re.findall(r"(-?\d+\.\d),", d)]
    assert min(xs) == pytest.approx(40.0, abs=0.1)  # the westmost vertex at the left margin
    assert max(xs) == pytest.approx(860.0, abs=0.1)  # the eastmost at WIDTH - margin


def test_bad_file_is_refused_naming_it(tmp_path, monkeypatch):
    (tmp_path / "broken.json").write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    monkeypatch.setattr(base_map, "GEO", tmp_path)
    outline.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"broken\.json"):
            outline("broken")
    finally:
        outline.cache_clear()


@pytest.mark.parametrize("scenario", ["yamaguchi", "tiny"])
def test_map_page_draws_the_outline_under_the_markers(tmp_path, scenario):
    store = open_store(f"sqlite:///{tmp_path / 'ems.db'}")
    add_users(store)
    with TestClient(create_app(make_service(store, scenario))) as client:
        html = client.get("/map?lang=en", headers=login(client, "op")).text
    store.dispose()
    markers = len(re.findall(r'<g class="marker', html))
    assert markers == len(load_scenario(scenario).facilities)
    if scenario == "tiny":
        assert 'id="city-outline"' not in html
        return
    assert html.index('id="city-outline"') < html.index('<g class="marker')  # drawn first: underneath
    assert "出典：気象庁ホームページ" in html
