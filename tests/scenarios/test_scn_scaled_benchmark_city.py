"""The benchmarks' scaled city (Yamaguchi repeated N times) must stay a valid scenario as the built-in one grows:
copies carry no device endpoints (Modbus, ECHONET Lite, OCPP), which two facilities may not share."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from bench_optimizer import scaled_scenario


def test_scaled_city_is_valid_and_copies_have_no_endpoints() -> None:
    scenario, origin = scaled_scenario(3)
    originals = [f for f in scenario.facilities if origin[f.id] == f.id]
    copies = [f for f in scenario.facilities if origin[f.id] != f.id]
    assert len(copies) == 2 * len(originals)
    for facility in copies:
        for asset in [*facility.pv_arrays, *facility.batteries, *facility.ev_chargers, *facility.meters]:
            for endpoint in ("modbus", "echonet", "ocpp"):
                assert getattr(asset, endpoint, None) is None, (facility.id, endpoint)
    assert any(getattr(b, "echonet", None) is not None for f in originals for b in f.batteries)
