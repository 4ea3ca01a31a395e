"""Upper bounds on priority-weighted served critical energy (kWh) of an outage.

* perfect-relocation bound: the fleet's usable energy (above floors, through discharge efficiency, PHEV engine
  fuel kWh, no travel
  energy, plus what every charge point's chargers could put in over the whole outage) is a pool any shelter
  can draw from at any slot, limited per slot by the fleet's total power and per shelter by the power the
  cars could deliver there at once through its chargers and outlets. Every feasible plan satisfies this LP.
* LP relaxation of the MILP (binaries relaxed) for the same candidate sets.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyomo.environ as pyo

from optimizer.outage.inputs import OutageInput, OutageShelter
from optimizer.outage.model import add_batteries, add_shelters, build_model
from optimizer.solver import HighsOptions, solve_once


def _solve_max(m: pyo.ConcreteModel) -> float:
    """Optimal value of a maximising LP (RuntimeError naming HiGHS's status if it has none)."""
    run = solve_once(m, HighsOptions(time_limit_s=600.0, mip_rel_gap=0.0))
    if not run.optimal or run.bound is None:
        raise RuntimeError(f"bound LP ended {run.termination} without a bound")
    return float(run.bound)


def outlet_power(data: OutageInput, shelter: OutageShelter) -> float:
    """Most kW the whole fleet could deliver at once at the shelter: the strongest cars on its V2H chargers
    plus its V2L outlets (one unless the wiring sums them); an upper bound, as V2L alone excludes the rest."""
    v2h = sorted((e.power_at(shelter) for e in data.usable_evs if e.uses_v2h(shelter)), reverse=True)
    v2l = [e.power_at(shelter) for e in data.usable_evs if not e.uses_v2h(shelter)]
    outlets = sum(v2l) if shelter.v2l_parallel else max(v2l, default=0.0)
    return sum(v2h[: shelter.chargers]) + outlets


def perfect_relocation_bound(data: OutageInput, slot_weighted: bool = True) -> float:
    """Max priority-weighted served kWh if fleet energy could be anywhere, any time (a valid upper bound);
    slot_weighted: weigh slots as the objective does (a bound on the objective before move penalties),
    else a bound on priority-weighted kWh."""
    evs, h = data.usable_evs, data.slot_hours
    m = pyo.ConcreteModel(name="perfect_relocation")
    m.T = pyo.RangeSet(0, data.n_slots - 1)
    m.T1 = pyo.RangeSet(0, data.n_slots)
    m.S = pyo.RangeSet(0, len(data.shelters) - 1)
    add_shelters(m, data)
    add_batteries(m, data)
    shelter_power = [outlet_power(data, s) for s in data.shelters]
    m.pool = pyo.Var(m.T, m.S, bounds=lambda _m, t, s: (0.0, shelter_power[s]))
    fleet_power = sum(max(e.power_at(s) for s in data.shelters) for e in evs)
    fleet_kwh = sum((e.start_kwh - e.floor_kwh) * e.discharge_efficiency + e.engine_kwh for e in evs)
    if data.charge_points and evs:  # every charger busy all outage, at the best efficiencies
        eff = max(e.charge_efficiency for e in evs) * max(e.discharge_efficiency for e in evs)
        fleet_kwh += sum(c.chargers * c.charger_kw for c in data.charge_points) * data.n_slots * h * eff
    m.fleet_power = pyo.Constraint(m.T, rule=lambda _m, t: sum(_m.pool[t, s] for s in _m.S) <= fleet_power)
    m.fleet_energy = pyo.Constraint(expr=h * sum(m.pool[t, s] for t in m.T for s in m.S) <= fleet_kwh)
    m.energy_balance = pyo.Constraint(
        m.T,
        m.S,
        rule=lambda _m, t, s: (
            _m.pv_used[t, s] + _m.bat_discharge[t, s] + _m.pool[t, s] == _m.served[t, s] + _m.bat_charge[t, s]
        ),
    )
    w = data.slot_weights if slot_weighted else [1.0] * data.n_slots
    weighted = sum(data.shelters[s].priority * w[t] * h * m.served[t, s] for t in m.T for s in m.S)
    m.objective = pyo.Objective(expr=weighted, sense=pyo.maximize)
    return _solve_max(m)


def lp_relaxation_bound(data: OutageInput, candidates: Mapping[int, list[int]]) -> float:
    """Objective of the MILP with binaries relaxed to [0, 1] (a bound for that candidate set)."""
    m = build_model(data, candidates)
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(m)
    return _solve_max(m)
