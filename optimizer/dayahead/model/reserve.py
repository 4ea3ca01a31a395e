"""add_reserve: shelters keep reserve_hours x critical load in their batteries in every slot (soft)."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.model.params import ParamValues, declare


def reserve_facilities(inputs: PlanInputs) -> list[str]:
    """Facilities with a reserve > 0 kWh and at least one battery (others cannot hold one; reported)."""
    with_bats = {b.facility for b in inputs.batteries}
    return [f.id for f in inputs.facilities if f.reserve_kwh > 0 and f.id in with_bats]


def reserve_params(inputs: PlanInputs) -> ParamValues:
    """reserve_level_kwh[f]: stored energy to keep = reserve + sum of in-service batteries' soc_min (kWh)."""
    ids = set(reserve_facilities(inputs))
    level = {}
    for f in inputs.facilities:
        if f.id in ids:
            mins = sum(b.soc_min_kwh for b in inputs.batteries if b.facility == f.id and b.available)
            level[f.id] = f.reserve_kwh + mins
    return {"reserve_level_kwh": level}


def add_reserve(m: pyo.ConcreteModel, inputs: PlanInputs) -> None:
    """reserve_short[f,t] >= 0 (kWh) and reserve_keep[f,t]: sum in-service bat_soc + short >= level."""
    m.R = pyo.Set(initialize=reserve_facilities(inputs), ordered=True, doc="facilities holding a reserve")
    declare(m, "reserve_level_kwh", (m.R,), reserve_params(inputs)["reserve_level_kwh"], "kWh to keep stored")
    m.reserve_short = pyo.Var(m.R, m.T, within=pyo.NonNegativeReals, doc="kWh below the reserve")
    bats = {f: [b.key for b in inputs.batteries if b.facility == f and b.available] for f in m.R}

    def keep(m: pyo.ConcreteModel, f: str, t: int) -> pyo.Expression:
        stored = sum(m.bat_soc[b, t] for b in bats[f])
        return stored + m.reserve_short[f, t] >= m.reserve_level_kwh[f]

    m.reserve_keep = pyo.Constraint(m.R, m.T, rule=keep)
