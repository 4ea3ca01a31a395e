"""add_facility_balance: every facility's energy balance at its meter in every slot (hard)."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.model.params import ParamValues, declare


def facility_params(inputs: PlanInputs) -> ParamValues:
    """pv_kw and load_kw forecasts per facility and slot (kW)."""
    pv: dict[object, float] = {}
    load: dict[object, float] = {}
    for f in inputs.facilities:
        for t in range(inputs.n_slots):
            load[f.id, t] = float(f.load_kw[t])
            if f.has_pv:
                pv[f.id, t] = float(f.pv_kw[t])
    return {"pv_kw": pv, "load_kw": load}


def add_facility_balance(m: pyo.ConcreteModel, inputs: PlanInputs) -> None:
    """fac_import, fac_export (kW at the meter; export within the facility's reverse-flow limit), fac_pv_used
    (<= forecast, facilities with PV only; the rest is curtailed) and fac_balance[f,t]: import - export +
    pv_used + discharge - charge + link received - link sent (+ the plant's output used behind the meter at its
    facility) = load."""
    values = facility_params(inputs)
    declare(m, "pv_kw", (m.FPV, m.T), values["pv_kw"], "PV forecast kW")
    declare(m, "load_kw", (m.F, m.T), values["load_kw"], "load forecast kW")
    m.fac_import = pyo.Var(m.F, m.T, within=pyo.NonNegativeReals, doc="grid import kW")
    limit = {f.id: f.export_limit_kw for f in inputs.facilities}  # part of the structure key
    m.fac_export = pyo.Var(m.F, m.T, bounds=lambda m, f, t: (0, limit[f]), doc="grid export kW (reverse flow)")
    m.fac_pv_used = pyo.Var(m.FPV, m.T, bounds=lambda m, f, t: (0, m.pv_kw[f, t]), doc="PV used kW")
    has_pv = set(m.FPV)
    bats = {f.id: [b.key for b in inputs.batteries if b.facility == f.id] for f in inputs.facilities}
    evs = {f.id: [e.id for e in inputs.evs if e.facility == f.id] for f in inputs.facilities}
    # per facility: (link id, kept share 1 - loss) of the links it is the 'b' end / the 'a' end of
    at_b = {f.id: [(lk.id, 1 - lk.loss_fraction) for lk in inputs.links if lk.b == f.id] for f in inputs.facilities}
    at_a = {f.id: [(lk.id, 1 - lk.loss_fraction) for lk in inputs.links if lk.a == f.id] for f in inputs.facilities}
    plant_site = inputs.plant.facility if inputs.plant is not None else None

    def balance(m: pyo.ConcreteModel, f: str, t: int) -> pyo.Expression:
        # one flat sum of terms, the load (a Param) alone on the right: the cheapest form to compile
        terms = [m.fac_import[f, t], -m.fac_export[f, t]]
        if f in has_pv:
            terms.append(m.fac_pv_used[f, t])
        terms += [m.bat_discharge[b, t] for b in bats[f]] + [-m.bat_charge[b, t] for b in bats[f]]
        terms += [m.ev_discharge[e, t] for e in evs[f]] + [-m.ev_charge[e, t] for e in evs[f]]
        terms += [kept * m.link_ab[k, t] for k, kept in at_b[f]] + [-m.link_ba[k, t] for k, _ in at_b[f]]
        terms += [-m.link_ab[k, t] for k, _ in at_a[f]] + [kept * m.link_ba[k, t] for k, kept in at_a[f]]
        if f == plant_site:
            terms.append(m.plant_self[t])
        return pyo.quicksum(terms) == m.load_kw[f, t]

    m.fac_balance = pyo.Constraint(m.F, m.T, rule=balance)
