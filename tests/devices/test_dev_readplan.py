"""Conformance 4: ≤125 registers per read, no point split, each value with its SF in the same request."""

from __future__ import annotations

import pytest

from devices.readplan import PlacedPoint, plan_blocks
from devices.registermap import Point, sunspec_model


def _placed(model_id: int, base: int, names: list[str] | None = None) -> list[PlacedPoint]:
    model = sunspec_model(model_id)
    out = []
    for p in model.points:
        if names is not None and p.name not in names:
            continue
        sf = model.point(p.sf) if isinstance(p.sf, str) else None
        out.append(PlacedPoint(p.name, p, base + p.offset, sf, base + sf.offset if sf else None))
    return out


@pytest.mark.parametrize("model_id", [701, 704, 203, 802, 1])
def test_whole_models_split_at_point_boundaries_with_their_sfs(model_id: int) -> None:
    placed = _placed(model_id, 40002)
    blocks = plan_blocks(placed)
    starts = {p.address for p in placed} | {40002 + sunspec_model(model_id).length + 2}
    for block in blocks:
        assert 1 <= block.count <= 125
        assert block.address in starts
        assert block.address + block.count in starts
        for p in block.points:
            s, e = p.span
            assert block.address <= s
            assert e <= block.address + block.count
    assert sum(len(b.points) for b in blocks) == len(placed)
    if sunspec_model(model_id).length + 2 > 125:
        assert len(blocks) >= 2


def test_far_apart_points_use_two_requests_and_near_ones_one() -> None:
    p = Point("a", 0, 1, "uint16")
    near = plan_blocks([PlacedPoint("a", p, 100), PlacedPoint("b", p, 224)])
    far = plan_blocks([PlacedPoint("a", p, 100), PlacedPoint("b", p, 225)])
    assert [(b.address, b.count) for b in near] == [(100, 125)]
    assert [(b.address, b.count) for b in far] == [(100, 1), (225, 1)]


def test_int32_at_the_edge_is_not_split() -> None:
    one, two = Point("a", 0, 1, "uint16"), Point("b", 0, 2, "int32")
    blocks = plan_blocks([PlacedPoint("a", one, 0), PlacedPoint("b", two, 124)])
    assert [(b.address, b.count) for b in blocks] == [(0, 1), (124, 2)]


def test_value_too_far_from_its_sf_is_refused() -> None:
    p, sf = Point("v", 0, 1, "int16", sf="SF"), Point("SF", 0, 1, "sunssf")
    with pytest.raises(ValueError, match="span"):
        plan_blocks([PlacedPoint("v", p, 0, sf, 200)])


def test_value_whose_sf_is_absent_is_missing_not_raw() -> None:
    from devices.readplan import decode_block

    scaled, plain = Point("W", 0, 1, "int16", sf="W_SF"), Point("St", 1, 1, "enum16")
    # a short model: W's SF register lies beyond L, so discovery placed it without an SF
    block = plan_blocks([PlacedPoint("103.W", scaled, 10), PlacedPoint("103.St", plain, 11)])[0]
    decoded = decode_block(block, [1234, 4])
    assert decoded.values == {"103.W": None, "103.St": 4}  # never the raw 1234 as if it were watts
