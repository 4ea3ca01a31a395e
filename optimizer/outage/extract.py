"""An OutagePlan from a solved outage MILP (model.py): its variable values as the plan's arrays (kW per slot,
kWh at slot starts), the objective recomputed from them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyomo.environ as pyo

from optimizer.outage.inputs import OutageInput
from optimizer.outage.load_following import plan_objective
from optimizer.outage.result import OutagePlan


def extract(m: pyo.ConcreteModel, data: OutageInput, method: str, status: str) -> OutagePlan:
    """Arrays of an OutagePlan from a solved model's variable values."""
    n_t, n_s, n_v = data.n_slots, len(data.shelters), len(data.usable_evs)

    def grid(var: pyo.Var) -> np.ndarray:
        return np.array([[max(pyo.value(var[t, s]), 0.0) for s in range(n_s)] for t in range(n_t)])

    assignment = np.full((n_v, data.n_blocks), -1, dtype=int)
    for v, s, b in m.x:
        if pyo.value(m.x[v, s, b]) > 0.5:
            assignment[v, b] = s
    ev_kw, ev_kwh = np.zeros((n_v, n_t, n_s)), np.zeros((n_v, n_t + 1))
    for v, s, t in m.ev_kw:
        ev_kw[v, t, s] = max(pyo.value(m.ev_kw[v, s, t]), 0.0)
    for v, t in m.ev_kwh:
        ev_kwh[v, t] = pyo.value(m.ev_kwh[v, t])
    for v, ev in enumerate(data.usable_evs):
        if v not in {k[0] for k in m.ev_kwh}:
            ev_kwh[v, :] = ev.start_kwh
    stored = np.zeros((n_t + 1, n_s))
    for t, s in m.bat_kwh:
        stored[t, s] = pyo.value(m.bat_kwh[t, s])
    engine, comfort = np.zeros((n_v, n_t)), np.zeros((n_t, n_s))
    for v, s, t in m.eng_kw:
        engine[v, t] += max(pyo.value(m.eng_kw[v, s, t]), 0.0)
    for t, s in m.comfort:
        comfort[t, s] = max(pyo.value(m.comfort[t, s]), 0.0)
    plan = OutagePlan(
        data=data,
        method=method,
        status=status,
        assignment=assignment,
        served_kw=grid(m.served),
        pv_used_kw=grid(m.pv_used),
        battery_charge_kw=grid(m.bat_charge),
        battery_discharge_kw=grid(m.bat_discharge),
        battery_kwh=stored,
        ev_kw=ev_kw,
        ev_kwh=ev_kwh,
        objective=0.0,
        engine_kw=engine,
        comfort_kw=comfort,
    )
    return replace(plan, objective=plan_objective(plan))
