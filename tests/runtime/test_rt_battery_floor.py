"""One battery floor: the real-time follower and the plan stop discharging at the same SoC,
max(soc_min, reserve_soc) (issue 12: the plan drew three Yamaguchi batteries to 0.10 against floors of
0.3/0.3/0.5)."""

from __future__ import annotations

import pandas as pd
import pytest

from optimizer.dayahead.from_scenario import build_inputs
from runtime.loop.following import BatteryState, distribute_correction
from scenarios.loader import load_builtin


def test_follower_and_plan_share_the_floor_of_every_yamaguchi_battery() -> None:
    scenario = load_builtin("yamaguchi")
    index = pd.date_range(pd.Timestamp("2024-08-01", tz="Asia/Tokyo"), periods=2, freq="30min")
    zero = {f.id: pd.Series(0.0, index=index) for f in scenario.supplied}
    planned = {b.key: b for b in build_inputs(scenario, index, zero, zero, pd.Series(10.0, index=index)).batteries}
    raised = 0
    for f in scenario.supplied:
        for b in f.batteries:
            floor = max(b.soc_min, b.reserve_soc)
            raised += floor > b.soc_min
            assert planned[f"{f.id}/{b.id}"].floor_kwh == pytest.approx(floor * b.capacity_kwh)
            # the follower asked for 100 kW more discharge: nothing at the floor, something just above it
            at_floor = BatteryState(f.id, b, planned_kw=0.0, soc=floor, hours_left=0.25)
            above = BatteryState(f.id, b, planned_kw=0.0, soc=floor + 0.05, hours_left=0.25)
            assert distribute_correction(100.0, [at_floor])[(f.id, b.id)] == 0.0
            assert distribute_correction(100.0, [above])[(f.id, b.id)] > 0.0
    assert raised >= 3  # city hall 0.3, konkon park 0.3, the branch office 0.5 and the centres' 0.5
