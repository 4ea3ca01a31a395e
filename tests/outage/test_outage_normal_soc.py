"""The survival analysis's normal-operation SoC is the day-ahead rule-based baseline's battery trajectory: on
tiny's centre (battery, PV, no car; its load lowered so that PV charges the battery) over two days the two
agree slot by slot."""

from __future__ import annotations

import datetime as dt

import numpy as np

from optimizer.dayahead.baseline import baseline_dispatch
from optimizer.outage.from_scenario import aggregate_battery
from optimizer.outage.survival_from_scenario import normal_operation_kwh
from runtime.facades.dayahead_planning import day_index, plan_inputs
from scenarios.loader import load_scenario


def test_normal_operation_soc_equals_the_day_ahead_baseline() -> None:
    tiny = load_scenario("tiny")
    small = tiny.facility("centre").model_copy(
        update={"load": tiny.facility("centre").load.model_copy(update={"annual_kwh": 3000.0})}  # type: ignore[union-attr]
    )
    tiny = tiny.model_copy(update={"facilities": [small if f.id == "centre" else f for f in tiny.facilities]})
    index = day_index(dt.date(2024, 8, 1), 96)
    inputs = plan_inputs(tiny, index)
    baseline = baseline_dispatch(inputs)
    (b,) = [i for i, bat in enumerate(inputs.batteries) if bat.facility == "centre"]
    centre = next(f for f in inputs.facilities if f.id == "centre")
    facility = tiny.facility("centre")
    battery = aggregate_battery(facility)
    levels = normal_operation_kwh([facility], (battery,), centre.load_kw[:, None], centre.pv_kw[:, None], len(index))[
        :, 0
    ]
    # the baseline stores the state at each slot's END, survival the state at each slot's START
    np.testing.assert_allclose(levels[1:], baseline.bat_soc_kwh[b, :-1], atol=1e-9)
    assert levels.max() - levels.min() > 1.0  # it does move: PV charges it, the evening load draws it
