# mypy: allow-untyped-defs, allow-incomplete-defs
"""Issue 7: P10/P50/P90 for the optimiser's reserve sizing. With --uncertainty-reserve each shelter's reserve
target grows by the P90-P50 spread of its critical load over its reserve hours; without it nothing changes."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app
from forecasts.uncertainty import ErrorQuantiles
from optimizer.dayahead.from_scenario import Overrides
from optimizer.dayahead.inputs import InputError
from optimizer.dayahead.model.reserve import reserve_params
from runtime.facades import dayahead_planning as planning
from scenarios.loader import load_scenario

DAY = dt.date(2024, 8, 1)


def _model() -> ErrorQuantiles:
    """Relative error quantiles: 0-1 h (q50 0, q90 +50 %), 1-3 h (+10 %, +20 %), 3-6 h (0, +25 %), later 0."""
    labels = ["0-1 h", "1-3 h", "3-6 h", "6-12 h", "12-24 h", "24-48 h"]
    rows = {"0-1 h": (-0.2, 0.0, 0.5), "1-3 h": (-0.1, 0.1, 0.2), "3-6 h": (-0.1, 0.0, 0.25)}
    table = pd.DataFrame(
        [rows.get(label, (0.0, 0.0, 0.0)) for label in labels], index=labels, columns=["q10", "q50", "q90"]
    )
    return ErrorQuantiles(table=table)


def test_margin_by_hand_over_the_shelters_reserve_hours():
    # tiny: the only shelter 'centre', critical 2 kW, reserve 4 h = 8 slots from 00:00 (no evening factor).
    # leads 0.5, 1.0 h -> 0-1 h: 2 slots x 2 kW x (0.5 - 0.0); 1.5..3.0 h -> 1-3 h: 4 x 2 x (0.2 - 0.1);
    # 3.5, 4.0 h -> 3-6 h: 2 x 2 x 0.25. Energy: 0.5 h x (2.0 + 0.8 + 1.0) kW = 1.9 kWh.
    margin = planning.uncertainty_reserve(load_scenario("tiny"), planning.day_index(DAY, 48), _model())
    assert margin.extra_kwh == {"centre": pytest.approx(1.9)}
    assert margin.window_h == {"centre": 4.0}
    assert margin.total_kwh == pytest.approx(1.9)


def test_margin_follows_the_evening_critical_load_and_a_given_window():
    # from 16:00 JST for 2 h: 16:00, 16:30 at 2 kW, 17:00, 17:30 at 2 x 1.3 = 2.6 kW (evening factor);
    # 0.5 h x (2 x 2.0 x 0.5 + 2 x 2.6 x (0.2 - 0.1)) = 0.5 x 2.52 = 1.26 kWh
    index = pd.date_range("2024-08-01 16:00", periods=12, freq="30min", tz="Asia/Tokyo", name="slot_start")
    margin = planning.uncertainty_reserve(load_scenario("tiny"), index, _model(), hours=2.0)
    assert margin.extra_kwh["centre"] == pytest.approx(1.26)
    with pytest.raises(ValueError, match="hours"):
        planning.uncertainty_reserve(load_scenario("tiny"), index, _model(), hours=0.0)


def test_run_plan_raises_shelter_targets_by_exactly_the_margin():
    scenario = load_scenario("tiny")
    plain = planning.run_plan(scenario, DAY, 48)
    wider = planning.run_plan(scenario, DAY, 48, uncertainty=True, error_model=_model())
    before = {f.id: f.reserve_kwh for f in plain.result.inputs.facilities}
    after = {f.id: f.reserve_kwh for f in wider.result.inputs.facilities}
    assert before["centre"] == pytest.approx(8.0)  # reserve_hours x critical load
    assert after == {**before, "centre": pytest.approx(8.0 + 1.9)}
    level_before = reserve_params(plain.result.inputs)["reserve_level_kwh"]
    level_after = reserve_params(wider.result.inputs)["reserve_level_kwh"]
    assert level_after["centre"] - level_before["centre"] == pytest.approx(1.9)  # the model's target
    assert wider.summary().uncertainty_reserve_kwh == pytest.approx(1.9)
    assert plain.summary().uncertainty_reserve_kwh == 0.0
    assert plain.uncertainty is None


def test_without_the_flag_the_inputs_are_unchanged():
    scenario = load_scenario("tiny")
    index = planning.day_index(DAY, 8)
    default = planning.plan_inputs(scenario, index)
    empty = planning.plan_inputs(scenario, index, overrides=Overrides())
    assert [f.reserve_kwh for f in default.facilities] == [f.reserve_kwh for f in empty.facilities]
    assert reserve_params(default) == reserve_params(empty)


def test_extra_reserve_for_a_non_shelter_is_refused():
    scenario, index = load_scenario("tiny"), planning.day_index(DAY, 4)
    with pytest.raises(InputError, match=r"extra_reserve_kwh: 'office' is not a supplied shelter"):
        planning.plan_inputs(scenario, index, overrides=Overrides(extra_reserve_kwh={"office": 1}))
    with pytest.raises(InputError, match=r"extra_reserve_kwh\[centre\]"):
        planning.plan_inputs(scenario, index, overrides=Overrides(extra_reserve_kwh={"centre": -1}))


def test_cli_flag_reports_the_extra_kwh(tmp_path, monkeypatch):
    monkeypatch.setattr(planning, "load_error_model", _model)  # the learned model takes ~8 s; same code path
    args = ["plan", "--scenario", "tiny", "--date", "2024-08-01", "--horizon", "12", "--out", str(tmp_path)]
    result = CliRunner().invoke(app, [*args, "--uncertainty-reserve"])
    assert result.exit_code == 0, result.output
    assert "uncertainty reserve (kWh)" in result.output
    assert "centre +1.9" in result.output
    off = CliRunner().invoke(app, args)
    assert off.exit_code == 0
    assert "centre +" not in off.output
