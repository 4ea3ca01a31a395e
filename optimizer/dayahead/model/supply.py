"""add_supply: the waste-to-energy plant's output between its must-run minimum and its forecast."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.model.params import ParamValues, declare


def supply_params(inputs: PlanInputs) -> ParamValues:
    """plant_forecast_kw[t], plant_min_kw[t] (kW) and plant_curtail_cost (JPY/kWh)."""
    p = inputs.plant
    if p is None:
        return {}
    return {
        "plant_forecast_kw": {t: float(v) for t, v in enumerate(p.forecast_kw)},
        "plant_min_kw": {t: float(v) for t, v in enumerate(p.min_kw)},
        "plant_curtail_cost": {None: p.curtailment_cost_jpy_per_kwh},
    }


def add_supply(m: pyo.ConcreteModel, inputs: PlanInputs) -> None:
    """plant_out[t] in [plant_min_kw, plant_forecast_kw] (mutable bounds); plant_curtail_kw = forecast - out.

    Output above the forecast is not possible (the furnace burns the waste it gets); below it costs the
    curtailment price. Without a plant, plant_out is absent and the group balance has no plant term.
    """
    values = supply_params(inputs)
    if not values:
        return
    declare(m, "plant_forecast_kw", (m.T,), values["plant_forecast_kw"], "plant forecast output kW")
    declare(m, "plant_min_kw", (m.T,), values["plant_min_kw"], "plant must-run minimum kW")
    declare(m, "plant_curtail_cost", (), values["plant_curtail_cost"], "curtailment cost JPY/kWh")
    m.plant_out = pyo.Var(m.T, bounds=lambda m, t: (m.plant_min_kw[t], m.plant_forecast_kw[t]), doc="plant kW")
    m.plant_curtail_kw = pyo.Expression(m.T, rule=lambda m, t: m.plant_forecast_kw[t] - m.plant_out[t])
