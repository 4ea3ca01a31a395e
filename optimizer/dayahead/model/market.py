"""add_market: JEPX purchase and sale of the balancing group (the procurement plan, 計画値)."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.model.params import ParamValues, declare


def market_params(inputs: PlanInputs) -> ParamValues:
    """price[t] (JPY/kWh). The wheeling charge and the sale fee are constants of the structure."""
    return {"price": {t: float(v) for t, v in enumerate(inputs.price_jpy_per_kwh)}}


def add_market(m: pyo.ConcreteModel, inputs: PlanInputs) -> None:
    """market_buy/market_sell (kW) and market_group_balance[t]:
    plant_out - plant_self + market_buy - market_sell = sum_f (fac_import - fac_export) (the plant's output
    used behind its facility's meter never reaches the grid). Needs add_facility_balance first."""
    values = market_params(inputs)
    declare(m, "price", (m.T,), values["price"], "JEPX price JPY/kWh")
    m.market_buy = pyo.Var(m.T, within=pyo.NonNegativeReals, doc="JEPX purchase kW")
    m.market_sell = pyo.Var(m.T, within=pyo.NonNegativeReals, doc="JEPX sale kW")
    has_plant, has_self = hasattr(m, "plant_out"), hasattr(m, "plant_self")

    def balance(m: pyo.ConcreteModel, t: int) -> pyo.Expression:
        supply = m.market_buy[t] - m.market_sell[t] + (m.plant_out[t] if has_plant else 0)
        if has_self:
            supply = supply - m.plant_self[t]
        return supply == sum(m.fac_import[f, t] - m.fac_export[f, t] for f in m.F)

    m.market_group_balance = pyo.Constraint(m.T, rule=balance)
