"""add_objective: total cost in JPY as named Expressions (one per term), minimised.

Terms match ``optimizer.dayahead.costs.cost_breakdown`` (the same cost function prices the rule-based baseline).
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.model.params import ParamValues, declare
from optimizer.dayahead.model.sets import slot_hours

TERMS = (
    "energy",
    "wheeling",
    "link",
    "wear",
    "demand",
    "capacity",
    "curtailment",
    "penalty_ev_departure",
    "penalty_ev_trip",
    "penalty_reserve",
    "terminal_value",
)


def terminal_prices(inputs: PlanInputs) -> dict[str, float]:
    """JPY per kWh stored at each facility at the horizon end: its own terminal price, else the plan's."""
    default = inputs.terminal_price_jpy_per_kwh
    return {
        f.id: default if f.terminal_price_jpy_per_kwh is None else f.terminal_price_jpy_per_kwh
        for f in inputs.facilities
    }


def terminal_params(inputs: PlanInputs) -> ParamValues:
    """Value (JPY per stored kWh) of energy left at the horizon end: the facility's terminal price x discharge
    efficiency minus the battery's throughput cost; EVs: terminal price x charger efficiency."""
    tp = terminal_prices(inputs)
    return {
        "bat_terminal_value": {
            b.key: max(0.0, tp[b.facility] * b.discharge_efficiency - b.degradation_jpy_per_kwh)
            for b in inputs.batteries
        },
        "ev_terminal_value": {e.id: tp[e.facility] * e.efficiency for e in inputs.evs},
    }


def add_objective(m: pyo.ConcreteModel, inputs: PlanInputs) -> None:
    """cost_<term> Expressions and the Objective ``total_cost`` (JPY) = sum of terms (terminal value < 0)."""
    values = terminal_params(inputs)
    declare(m, "bat_terminal_value", (m.B,), values["bat_terminal_value"], "JPY per kWh left")
    declare(m, "ev_terminal_value", (m.E,), values["ev_terminal_value"], "JPY per kWh left")
    pen = inputs.penalties
    fee, wheeling = inputs.sale_discount_jpy_per_kwh, inputs.wheeling_jpy_per_kwh
    h = {t: slot_hours(m, t) for t in m.T}
    deg = {b.key: b.degradation_jpy_per_kwh for b in inputs.batteries}
    last = inputs.n_slots - 1
    # flat sums of coefficient x variable (quicksum, linear): the cheapest form to compile
    m.cost_energy = pyo.Expression(
        expr=pyo.quicksum(
            [(h[t] * m.price[t]) * m.market_buy[t] for t in m.T]
            + [-(h[t] * (m.price[t] - fee)) * m.market_sell[t] for t in m.T],
        )
    )
    m.cost_wheeling = pyo.Expression(
        expr=pyo.quicksum([(wheeling * h[t]) * m.fac_import[f, t] for f in m.F for t in m.T])
    )
    charge = {lk.id: lk.charge_jpy_per_kwh for lk in inputs.links}
    m.cost_link = pyo.Expression(
        expr=pyo.quicksum(
            [(charge[k] * h[t]) * var[k, t] for k in m.L for t in m.T for var in (m.link_ab, m.link_ba) if charge[k]]
        )
    )
    wear = {e.id: e.degradation_jpy_per_kwh for e in inputs.evs}
    m.cost_wear = pyo.Expression(
        expr=pyo.quicksum(
            [(deg[b] * h[t]) * var[b, t] for b in m.B for t in m.T for var in (m.bat_charge, m.bat_discharge)]
            + [(wear[e] * h[t]) * m.ev_discharge[e, t] for e in m.E for t in m.T if wear[e]],
        )
    )
    bills = {f.id: inputs.demand_charge_jpy_per_kw_month * f.demand_bills for f in inputs.facilities}
    m.cost_demand = pyo.Expression(expr=pyo.quicksum([bills[f] * m.peak_excess[f] for f in m.FP]))
    m.cost_capacity = pyo.Expression(expr=inputs.capacity_jpy_per_kw * m.cap_excess if len(m.CT) else 0.0)
    m.cost_curtailment = pyo.Expression(
        expr=sum(m.plant_curtail_cost * h[t] * m.plant_curtail_kw[t] for t in m.T) if hasattr(m, "plant_out") else 0.0
    )
    m.cost_penalty_ev_departure = pyo.Expression(
        expr=pen.ev_departure_jpy_per_kwh * sum(m.ev_departure_short[e, t] for e in m.E for t in m.T)
    )
    m.cost_penalty_ev_trip = pyo.Expression(
        expr=pen.ev_trip_jpy_per_kwh * sum(m.ev_trip_short[e, t] for e in m.E for t in m.T)
    )
    m.cost_penalty_reserve = pyo.Expression(
        expr=pen.reserve_jpy_per_kwh_h * sum(h[t] * m.reserve_short[f, t] for f in m.R for t in m.T)
    )
    m.cost_terminal_value = pyo.Expression(
        expr=-(
            sum(m.bat_terminal_value[b] * m.bat_soc[b, last] for b in m.B)
            + sum(m.ev_terminal_value[e] * m.ev_soc[e, last] for e in m.E)
        )
    )
    m.total_cost = pyo.Objective(expr=sum(getattr(m, f"cost_{term}") for term in TERMS), sense=pyo.minimize)
