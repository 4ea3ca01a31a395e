"""The market position as a constraint of the re-plan (optimizer.dayahead.position), solved by hand.

One facility, load [0, 8] kW in two 30-min slots, price [10, 12] JPY/kWh, wheeling 4 JPY/kWh, a 5 kWh / 10 kW
battery with no losses or wear, empty, no terminal value (selling a stored kWh earns 12 - 0.5, less than the 14
it costs, so nothing is sold).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from opt_helpers import solved
from test_opt_small import battery, facility, plan

from optimizer.dayahead.inputs import InputError, PlanInputs
from optimizer.dayahead.position import MarketPosition, PositionedInputs

INF = float("inf")


def base() -> PlanInputs:
    return plan([facility("a", [0.0, 8.0])], [10.0, 12.0], batteries=(battery("a", 5.0, 10.0, 0.0),))


def positioned(net: list[float], cost: list[float], locked: list[bool]) -> PositionedInputs:
    inputs = base()
    fields = {f.name: getattr(inputs, f.name) for f in dataclasses.fields(inputs)}
    position = MarketPosition(np.array(net), np.array(cost), np.array(locked))
    return PositionedInputs(**fields, position=position)


def test_without_a_position_the_battery_buys_everything_in_the_cheap_slot() -> None:
    # 4 kWh needed in slot 1: bought in slot 0 at 10 + 4 = 14 JPY/kWh (not 12 + 4) -> 8 kW in slot 0, 56 JPY.
    result = solved(base())
    assert result.dispatch.buy_kw.tolist() == pytest.approx([8.0, 0.0], abs=1e-6)
    assert result.solver_objective_jpy == pytest.approx(56.0, abs=1e-6)


def test_a_locked_slot_keeps_its_submitted_net_and_the_rest_is_traded_at_the_deviation_cost() -> None:
    # Slot 0 past gate closure, locked (hard) to 6 kW: the battery must take 3 kWh there. Slot 1's day-ahead fill
    # is 0; each kWh beyond it costs 2 JPY/kWh more (intraday). Slot 1: battery 6 kW (3 kWh) + buy 2 kW (1 kWh).
    # Money 3 x 14 + 1 x 16 = 58 JPY; the solver objective adds the deviation 1 kWh x 2 = 2 -> 60 JPY.
    result = solved(positioned([6.0, 0.0], [INF, 2.0], [True, False]))
    d = result.dispatch
    assert d.buy_kw.tolist() == pytest.approx([6.0, 2.0], abs=1e-6)
    assert d.bat_charge_kw[0].tolist() == pytest.approx([6.0, 0.0], abs=1e-6)
    assert result.objective_jpy == pytest.approx(58.0, abs=1e-6)
    assert result.solver_objective_jpy == pytest.approx(60.0, abs=1e-6)


def test_the_filled_position_holds_where_deviating_costs_more_than_it_saves() -> None:
    # Fill: 0 kW in slot 0, 8 kW in slot 1, both open. Moving the 4 kWh to slot 0 saves 16 - 14 = 2 JPY/kWh but
    # costs 2 x 25 = 50 JPY/kWh of deviation (buy 8 kW more in slot 0, 8 kW less in slot 1): the fill holds.
    held = solved(positioned([0.0, 8.0], [25.0, 25.0], [False, False]))
    assert held.dispatch.buy_kw.tolist() == pytest.approx([0.0, 8.0], abs=1e-6)
    # At 0.5 JPY/kWh each way (1 per kWh moved < 2 saved) the plan moves it all: 56 + 2 x 4 kWh x 0.5 = 60 JPY.
    moved = solved(positioned([0.0, 8.0], [0.5, 0.5], [False, False]))
    assert moved.dispatch.buy_kw.tolist() == pytest.approx([8.0, 0.0], abs=1e-6)
    assert moved.solver_objective_jpy == pytest.approx(60.0, abs=1e-6)


def test_a_position_of_the_wrong_length_or_a_negative_cost_is_refused_naming_the_field() -> None:
    with pytest.raises(InputError, match="position"):
        positioned([6.0], [INF], [True])
    with pytest.raises(InputError, match="deviation_jpy_per_kwh"):
        MarketPosition(np.array([0.0]), np.array([-1.0]), np.array([False]))
