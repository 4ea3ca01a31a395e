"""Warm starts: the values of a rule-dispatched plan (greedy, or a routing dispatched by the rule) set into
the exact MILP (model.py) or the routing relaxation (routing.py), a feasible point HiGHS starts from.
Powers kW per slot, energies kWh."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from optimizer.outage.result import OutagePlan


def warm_start(m: pyo.ConcreteModel, plan: OutagePlan) -> None:
    """Set every variable to the values of a rule-dispatched plan (a feasible MILP point)."""
    warm_routes(m, plan)
    for v, s, t in m.ev_kw:
        m.ev_kw[v, s, t].set_value(float(plan.ev_kw[v, t, s]))
    engine = plan.engine_kw if plan.engine_kw is not None else np.zeros(plan.ev_kwh[:, :-1].shape)
    for v, s, t in m.eng_kw:
        m.eng_kw[v, s, t].set_value(float(engine[v, t]) if plan.ev_kw[v, t, s] > 1e-9 else 0.0)
    for v, t in m.ev_kwh:
        if not m.ev_kwh[v, t].fixed:
            _set_within(m.ev_kwh[v, t], float(plan.ev_kwh[v, t]))
    for v, s, t in m.plug:
        m.plug[v, s, t].set_value(1.0 if plan.ev_kw[v, t, s] > 1e-9 else 0.0)
    for s, t in m.v2l_on:
        outlet = any(
            plan.ev_kw[v, t, s] > 1e-9 and not e.uses_v2h(plan.data.shelters[s])
            for v, e in enumerate(plan.data.usable_evs)
        )
        m.v2l_on[s, t].set_value(1.0 if outlet else 0.0)
    warm_shelters(m, plan)


def warm_routes(m: pyo.ConcreteModel, plan: OutagePlan) -> None:
    """Stationing x and arcs g (from the start site) and y (between stations) of the plan's assignment."""
    for v, s, b in m.x:
        if m.x[v, s, b].fixed:
            continue
        m.x[v, s, b].set_value(1.0 if plan.assignment[v, b] == s else 0.0)
    for v, s, b in m.g:
        was = plan.assignment[v, b - 1] >= 0 if b > 0 else False
        m.g[v, s, b].set_value(1.0 if plan.assignment[v, b] == s and not was else 0.0)
    for v, r, s, b in m.y:
        m.y[v, r, s, b].set_value(1.0 if plan.assignment[v, b - 1] == r and plan.assignment[v, b] == s else 0.0)


def warm_shelters(m: pyo.ConcreteModel, plan: OutagePlan) -> None:
    """Shelter variables (served, tiers, comfort, PV, battery) of the plan."""
    tier1, full, comfort = plan.tier1_served_kw, plan.tier1_full, plan.comfort_served_kw
    for t, s in m.comfort:
        m.comfort[t, s].set_value(float(comfort[t, s]))
    for s in m.S:
        if not m.full[s].fixed:  # fixed to 0 where no plan can serve tier 1 fully (model.bridges_until_cars)
            m.full[s].set_value(1.0 if full[s] else 0.0)
    for t in m.T:
        for s in m.S:
            m.served1[t, s].set_value(float(tier1[t, s]))
            m.served[t, s].set_value(float(plan.served_kw[t, s]))
            m.pv_used[t, s].set_value(float(plan.pv_used_kw[t, s]))
            m.bat_charge[t, s].set_value(float(plan.battery_charge_kw[t, s]))
            m.bat_discharge[t, s].set_value(float(plan.battery_discharge_kw[t, s]))
    for t, s in m.bat_kwh:
        m.bat_kwh[t, s].set_value(float(plan.battery_kwh[t, s]))


def warm_start_routing(m: pyo.ConcreteModel, plan: OutagePlan) -> None:
    """Set the routing relaxation's variables to the plan's values: block energies per car and station,
    car kWh at block starts, supply per shelter, outlet kind and slot."""
    data, h = plan.data, plan.data.slot_hours
    warm_routes(m, plan)
    n_s, block = len(data.shelters), data.block_slots
    travel = block_travel_kwh(plan)
    for v, s, b in m.e_kwh:
        slots = slice(b * block, min((b + 1) * block, data.n_slots))
        if s < n_s:
            m.e_kwh[v, s, b].set_value(float(plan.ev_kw[v, slots, s].sum() * h))
            continue
        here = plan.assignment[v, b] == s
        gained = plan.ev_kwh[v, slots.stop] - plan.ev_kwh[v, slots.start] + travel[v, b]
        m.e_kwh[v, s, b].set_value(max(float(gained), 0.0) if here else 0.0)
    engine = plan.engine_kw if plan.engine_kw is not None else np.zeros(plan.ev_kwh[:, :-1].shape)
    for v, s, b in m.f_kwh:
        slots = slice(b * block, min((b + 1) * block, data.n_slots))
        here = plan.ev_kw[v, slots, s] > 1e-9
        m.f_kwh[v, s, b].set_value(float(engine[v, slots][here].sum() * h))
    for v, b in m.car_kwh:
        if not m.car_kwh[v, b].fixed:
            _set_within(m.car_kwh[v, b], float(plan.ev_kwh[v, min(b * block, data.n_slots)]))
    for k, s, t in m.q:
        cars = [v for v, e in enumerate(data.usable_evs) if e.uses_v2h(data.shelters[s]) == (k == "v2h")]
        m.q[k, s, t].set_value(float(sum(plan.ev_kw[v, t, s] for v in cars)))
    warm_shelters(m, plan)


def _set_within(var: pyo.Var, value: float) -> None:
    """Set a variable to value clipped into its bounds (the plan's values may stray by rounding)."""
    low, high = var.bounds
    value = max(value, low) if low is not None else value
    var.set_value(min(value, high) if high is not None else value)


def block_travel_kwh(plan: OutagePlan) -> np.ndarray:
    """Travel kWh each car spends at each block start, shape (cars, blocks)."""
    data = plan.data
    out = np.zeros(plan.assignment.shape)
    for v, ev in enumerate(data.usable_evs):
        site = ev.site
        for b in range(data.n_blocks):
            target = int(plan.assignment[v, b])
            if target >= 0 and target != site:
                out[v, b] = data.distance_km[site, target] * ev.consumption_kwh_per_km
                site = target
    return out
