"""The stored SunSpec subset equals pysunspec2's official models; spot checks against the reference layouts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devices.maplibrary import MapNotFoundError, packaged_maps
from devices.maps.generate_sunspec import MODEL_IDS, build
from devices.registermap import MAPS_DIR, sunspec_model
from scenarios.device_identity import DeviceKind


def test_stored_models_equal_a_fresh_generation_from_pysunspec2() -> None:
    stored = json.loads((MAPS_DIR / "sunspec_models.json").read_text(encoding="utf-8"))
    assert stored == json.loads(json.dumps(build()))
    assert sorted(int(k) for k in stored["models"]) == sorted(MODEL_IDS)


def test_lengths_and_offsets_match_the_official_definitions() -> None:
    from sunspec2 import mdef  # independent parser of the same files

    for model_id in MODEL_IDS:
        official = mdef.from_json_file(str(Path(mdef.__file__).parent / "models" / "json" / f"model_{model_id}.json"))
        points = official["group"]["points"]
        ours = sunspec_model(model_id)
        offset = 0
        for p in points:
            assert ours.point(p["name"]).offset == offset, (model_id, p["name"])
            assert ours.point(p["name"]).type == p["type"]
            offset += p["size"]


@pytest.mark.parametrize(
    ("model_id", "name", "offset", "ptype", "sf"),
    [
        (1, "SN", 50, "string", None),
        (103, "W", 14, "int16", "W_SF"),
        (103, "WH", 24, "acc32", "WH_SF"),
        (123, "WMaxLimPct", 5, "uint16", "WMaxLimPct_SF"),
        (124, "OutWRte", 12, "int16", "InOutWRte_SF"),
        (701, "W", 10, "int16", "W_SF"),
        (701, "W_SF", 116, "sunssf", None),
        (704, "WSet", 24, "int32", "WSet_SF"),
        (704, "WSetRvrtTms", 31, "uint32", None),
        (713, "SoC", 4, "uint16", "Pct_SF"),
        (802, "SoC", 11, "uint16", "SoC_SF"),
        (203, "W", 18, "int16", "W_SF"),
        (702, "WChaRteMax", 34, "uint16", "W_SF"),
    ],
)
def test_reference_layout(model_id: int, name: str, offset: int, ptype: str, sf: str | None) -> None:
    point = sunspec_model(model_id).point(name)
    assert (point.offset, point.type, point.sf) == (offset, ptype, sf)


def test_model_lengths() -> None:
    assert {m: sunspec_model(m).length for m in (1, 103, 120, 121, 123, 124, 701, 702, 704, 713, 802, 203)} == {
        1: 66,
        103: 50,
        120: 26,
        121: 30,
        123: 24,
        124: 24,
        701: 153,
        702: 50,
        704: 65,
        713: 7,
        802: 62,
        203: 105,
    }


def test_vendor_map_loads_and_unknown_map_is_named() -> None:
    vmap = packaged_maps().get("ev_charger_generic")
    assert vmap.point("setpoint_w").writable
    assert not vmap.point("power_w").writable
    assert vmap.point("power_w").size == 2
    setpoint = vmap.capability(DeviceKind.EV).setpoint
    assert setpoint is not None
    assert setpoint.watchdog == "watchdog_s"
    with pytest.raises(MapNotFoundError, match="ev_charger_generic"):
        packaged_maps().get("no_such_charger")


def test_ev_session_energy_zero_is_a_real_value_not_missing() -> None:
    """A new charging session starts at 0 Wh; only the uint32 sentinel means 'not implemented'."""
    from devices.codec import decode

    point = next(p for p in packaged_maps().get("ev_charger_generic").points if p.name == "session_energy_wh")
    assert decode(point.type, [0, 0]) == 0
    assert decode(point.type, [0, 1500]) == 1500
    assert decode(point.type, [0xFFFF, 0xFFFF]) is None
