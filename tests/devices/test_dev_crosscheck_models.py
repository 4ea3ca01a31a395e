"""Every SunSpec model this EMS knows, cross-checked against images built by pysunspec2 (not by this project).

For each model, pysunspec2 builds a device (model 1 + the model, repeating groups with 2-3 instances) from seeded
values, including points left "not implemented" and one SF at 0x8000; its ``get_mb()`` bytes are served by a plain
pymodbus server (not our simulator). Our discovery lays out the model from its count points and our scan reads
every point; each value must equal pysunspec2's computed value (``cvalue``), including None.

One deliberate difference: pysunspec2 1.3.7 returns a point whose SF is 0x8000 unscaled (as if SF = 0); SunSpec
says such a point is invalid, and we return None. The test expects None there.
"""

from __future__ import annotations

from typing import Any

import pytest
from ss2_images import flatten, image, plain_server

from devices.maps.generate_sunspec import MODEL_IDS
from devices.modbus_client import ModbusConnection
from devices.scan import scan_unit


def _same(ours: Any, theirs: Any) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if isinstance(ours, float) or isinstance(theirs, float):
        return abs(float(ours) - float(theirs)) <= 1e-9 * max(1.0, abs(float(theirs)))
    return bool(ours == theirs)


@pytest.mark.parametrize("model_id", [m for m in MODEL_IDS if m != 1])
async def test_every_point_of_the_model_reads_as_pysunspec2_computes_it(model_id: int) -> None:
    words, model, nulled = image(model_id)
    theirs = flatten(model)
    async with plain_server(words) as port:
        conn = ModbusConnection("127.0.0.1", port, timeout_s=2.0)
        scanned = await scan_unit(conn, 1)
        conn.close()
    ours = next(m for m in scanned.models if m.model_id == model_id)
    assert ours.length == model.points["L"].value
    assert not any("shorter" in w for w in scanned.warnings), scanned.warnings
    assert set(ours.values) == set(theirs), sorted(set(ours.values) ^ set(theirs))[:5]
    expected = {name: None if sf == nulled and sf is not None else value for name, (value, sf) in theirs.items()}
    wrong = [
        (name, ours.values[name], expected[name]) for name in theirs if not _same(ours.values[name], expected[name])
    ]
    assert wrong == []
    assert ours.garbage == []
    assert any(v is None for v in expected.values())  # the image has sentinels, so None is checked, not only values
