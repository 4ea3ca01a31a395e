"""add_capacity: the balancing group's summed 30-minute demand in the capacity-contribution seasons (money).

容量拠出金 is allocated by the retailer's peak demand in summer (Jul-Sep) and winter (Dec-Feb); the group's
demand in a slot is the sum of its facilities' 30-min demands (meter imports, a partial first slot counting
the energy already metered, as in ``add_peak``). A kW above the season's peak so far costs
``PlanInputs.capacity_jpy_per_kw``. Only slots in those months (``capacity_slots``) get rows.
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.model.params import ParamValues, declare
from scenarios.timegrid import SLOT_HOURS


def capacity_params(inputs: PlanInputs) -> ParamValues:
    """cap_ref_kw: the season's summed-demand peak so far (kW); cap_metered_kwh: the facilities' kWh already
    imported in slot 0 before the plan starts. Empty when the plan has no capacity rows."""
    if not inputs.capacity_slots:
        return {}
    return {
        "cap_ref_kw": {None: inputs.capacity_peak_so_far_kw},
        "cap_metered_kwh": {None: float(sum(f.metered_kwh_first_slot for f in inputs.facilities))},
    }


def add_capacity(m: pyo.ConcreteModel, inputs: PlanInputs) -> None:
    """Over CT (capacity slots): cap_peak >= sum_f demand[f,t] (cap_track[t]) and cap_excess >= cap_peak -
    cap_ref_kw (cap_above_reference). Without capacity slots or price, the family is empty."""
    values = capacity_params(inputs)
    slots = list(inputs.capacity_slots) if values else []
    m.CT = pyo.Set(initialize=slots, ordered=True, doc="slots in capacity-contribution months")
    if not slots:
        return
    declare(m, "cap_ref_kw", (), values["cap_ref_kw"], "season peak of summed demand so far kW")
    declare(m, "cap_metered_kwh", (), values["cap_metered_kwh"], "kWh imported in slot 0 before the plan")
    m.cap_peak = pyo.Var(within=pyo.NonNegativeReals, doc="highest summed 30-min demand kW in season slots")
    m.cap_excess = pyo.Var(within=pyo.NonNegativeReals, doc="kW above the season's peak so far")

    def track(m: pyo.ConcreteModel, t: int) -> pyo.Expression:
        if t == 0:
            share = m.hours_first / SLOT_HOURS
            body = pyo.quicksum([share * m.fac_import[f, 0] for f in m.F] + [-m.cap_peak])
            return body <= -m.cap_metered_kwh / SLOT_HOURS
        return pyo.quicksum([m.fac_import[f, t] for f in m.F] + [-m.cap_peak]) <= 0

    m.cap_track = pyo.Constraint(m.CT, rule=track)
    m.cap_above_reference = pyo.Constraint(expr=m.cap_peak - m.cap_excess <= m.cap_ref_kw)
