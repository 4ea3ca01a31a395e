"""add_supply: the waste-to-energy plant's output between its must-run minimum and its forecast, its ramp
limits, and the part of it used behind its own facility's meter."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.model.params import ParamValues, declare


def supply_params(inputs: PlanInputs) -> ParamValues:
    """plant_forecast_kw[t], plant_min_kw[t] (kW), plant_curtail_cost (JPY/kWh); with ramps plant_ramp_up[t],
    plant_ramp_down[t] and plant_initial_kw (kW); with a facility plant_site_load_kw[t] (its load, kW)."""
    p = inputs.plant
    if p is None:
        return {}
    out: ParamValues = {
        "plant_forecast_kw": {t: float(v) for t, v in enumerate(p.forecast_kw)},
        "plant_min_kw": {t: float(v) for t, v in enumerate(p.min_kw)},
        "plant_curtail_cost": {None: p.curtailment_cost_jpy_per_kwh},
    }
    if p.ramp_up_kw is not None and p.ramp_down_kw is not None:
        out["plant_ramp_up"] = {t: float(v) for t, v in enumerate(p.ramp_up_kw)}
        out["plant_ramp_down"] = {t: float(v) for t, v in enumerate(p.ramp_down_kw)}
        out["plant_initial_kw"] = {None: float(p.initial_kw)}
    if p.facility is not None:
        site = next(f for f in inputs.facilities if f.id == p.facility)
        out["plant_site_load_kw"] = {t: float(v) for t, v in enumerate(site.load_kw)}
    return out


def add_supply(m: pyo.ConcreteModel, inputs: PlanInputs) -> None:
    """plant_out[t] in [plant_min_kw, plant_forecast_kw] (mutable bounds); plant_curtail_kw = forecast - out.

    Output above the forecast is not possible (the furnace burns the waste it gets); below it costs the
    curtailment price. Without a plant, plant_out is absent and the group balance has no plant term.
    Ramps: plant_ramp_up[t]: out[t] - out[t-1] <= up[t]; plant_ramp_down[t]: out[t-1] - out[t] <= down[t]
    (slot 0 against plant_initial_kw). At its facility: plant_self[t] in [0, the facility's load] (kW used
    behind the meter, added to that facility's balance and taken out of the group's) and plant_self_within[t]:
    plant_self <= plant_out.
    """
    values = supply_params(inputs)
    if not values:
        return
    declare(m, "plant_forecast_kw", (m.T,), values["plant_forecast_kw"], "plant forecast output kW")
    declare(m, "plant_min_kw", (m.T,), values["plant_min_kw"], "plant must-run minimum kW")
    declare(m, "plant_curtail_cost", (), values["plant_curtail_cost"], "curtailment cost JPY/kWh")
    m.plant_out = pyo.Var(m.T, bounds=lambda m, t: (m.plant_min_kw[t], m.plant_forecast_kw[t]), doc="plant kW")
    m.plant_curtail_kw = pyo.Expression(m.T, rule=lambda m, t: m.plant_forecast_kw[t] - m.plant_out[t])
    if "plant_ramp_up" in values:
        _add_ramps(m, values)
    if "plant_site_load_kw" in values:
        declare(m, "plant_site_load_kw", (m.T,), values["plant_site_load_kw"], "load at the plant's facility kW")
        m.plant_self = pyo.Var(
            m.T, bounds=lambda m, t: (0, m.plant_site_load_kw[t]), doc="plant kW used behind its facility's meter"
        )
        m.plant_self_within = pyo.Constraint(m.T, rule=lambda m, t: m.plant_self[t] - m.plant_out[t] <= 0)


def _add_ramps(m: pyo.ConcreteModel, values: ParamValues) -> None:
    declare(m, "plant_ramp_up", (m.T,), values["plant_ramp_up"], "most output rise from the slot before kW")
    declare(m, "plant_ramp_down", (m.T,), values["plant_ramp_down"], "most output fall from the slot before kW")
    declare(m, "plant_initial_kw", (), values["plant_initial_kw"], "plant output in the slot before the horizon kW")

    def up(m: pyo.ConcreteModel, t: int) -> pyo.Expression:
        if t == 0:
            return m.plant_out[0] <= m.plant_initial_kw + m.plant_ramp_up[0]
        return m.plant_out[t] - m.plant_out[t - 1] <= m.plant_ramp_up[t]

    def down(m: pyo.ConcreteModel, t: int) -> pyo.Expression:
        if t == 0:
            return -m.plant_out[0] <= m.plant_ramp_down[0] - m.plant_initial_kw
        return m.plant_out[t - 1] - m.plant_out[t] <= m.plant_ramp_down[t]

    m.plant_ramp_up_limit = pyo.Constraint(m.T, rule=up)
    m.plant_ramp_down_limit = pyo.Constraint(m.T, rule=down)
