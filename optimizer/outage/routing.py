"""Block-level routing MILP: a relaxation of the outage MILP (model.py) that decides where cars go.

Same time-expanded network flow per car (model.add_ev_assignment), same shelters, batteries and 30-min
energy balance per shelter, same lexicographic objective; but a car's delivery is one energy per (station,
block), e_kwh[v,s,b] (kWh, AC), and the cars' supply to a shelter one power per slot and outlet kind,
q_v2h[s,t] / q_v2l[s,t] (kW), instead of one power and one plug binary per car and slot. Every plan of
model.py maps onto this model with the same objective (sum its kW over slots and cars), so the optimum and
HiGHS's dual bound here bound the exact problem from above, stage by stage:

* e_kwh[v,s,b] <= h x car power x the slots of block b after the car arrived (arc by arc);
* sum of e_kwh at s in b by V2H cars = h x sum of q_v2h over b's slots (same for V2L);
* q_v2h[s,t] <= min(chargers x rating, sum of the powers of the V2H cars arrived by t);
* q_v2l[s,t] <= the strongest V2L outlet (all arrived outlets with v2l_parallel wiring), and only while a
  car is there;
* car kWh at block starts: start - (delivered - engine) / discharge efficiency + charged x charge efficiency
  - travel, within [floor, top] (the exact model holds this in every slot); a PHEV's engine kWh per (shelter,
  block) f_kwh <= e_kwh and engine_kw x h x slots, in all at most its fuel's kWh;
* served + comfort tier + battery charge = PV + battery + cars per shelter and slot (comfort stage last);
* relaxed: turn-taking of cars within a slot and the rule that a lone V2L outlet excludes PV and battery.

Solve the exact dispatch for the routing found with model.py and the routing fixed (solve.py).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyomo.environ as pyo

from optimizer.outage.inputs import OutageInput
from optimizer.outage.model import (
    add_batteries,
    add_ev_assignment,
    add_index_sets,
    add_objective,
    add_shelters,
    arcs_into,
    arrived_terms,
    comfort_at,
    shelter_candidates,
)


def build_routing_model(data: OutageInput, candidates: Mapping[int, list[int]]) -> pyo.ConcreteModel:
    """The block-level routing relaxation for `data` with candidate stations per car (index into usable_evs)."""
    m = pyo.ConcreteModel(name="outage_routing")
    add_index_sets(m, data)
    add_shelters(m, data)
    add_batteries(m, data)
    add_ev_assignment(m, data, candidates)
    add_block_energy(m, data, candidates)
    add_shelter_supply(m, data, candidates)
    add_objective(m, data)
    return m


def _block_slots(data: OutageInput, b: int) -> range:
    """Slots of relocation block b."""
    return range(b * data.block_slots, min((b + 1) * data.block_slots, data.n_slots))


def add_block_energy(m: pyo.ConcreteModel, data: OutageInput, cand: Mapping[int, list[int]]) -> None:
    """e_kwh[v,s,b] delivered (shelters) or charged (charge points, kWh into the car) per block, limited by
    the slots after arrival (``block_arrived``); car kWh at block starts (``block_car_energy``) within
    [floor, top]; at most `chargers` cars per charge point and block (``charge_point_chargers``)."""
    evs, h, n_s = data.usable_evs, data.slot_hours, len(data.shelters)
    points = {c.site: c for c in data.charge_points}

    def power(v: int, s: int) -> float:
        if s >= n_s:
            return min(evs[v].charge_kw, points[s].charger_kw) * evs[v].charge_efficiency
        return evs[v].power_at(data.shelters[s])

    m.e_kwh = pyo.Var(m.VSB, bounds=lambda _m, v, s, b: (0.0, power(v, s) * h * len(_block_slots(data, b))))
    arcs_in = arcs_into(m, data)

    def arrived(_m: pyo.ConcreteModel, v: int, s: int, b: int) -> pyo.Expression:
        slots = [arrived_terms(_m, data, arcs_in, v, s, t) for t in _block_slots(data, b)]
        terms = [var for ts in slots for var in ts]
        if not terms:
            return _m.e_kwh[v, s, b] <= 0
        return _m.e_kwh[v, s, b] <= power(v, s) * h * sum(terms)

    m.block_arrived = pyo.Constraint(m.VSB, rule=arrived)
    top = {v: evs[v].ceiling_kwh if any(s >= n_s for s in cand[v]) else evs[v].start_kwh for v in cand}
    vb1 = [(v, b) for v in cand for b in range(data.n_blocks + 1)]
    m.car_kwh = pyo.Var(vb1, bounds=lambda _m, v, b: (evs[v].floor_kwh, top[v]))
    for v in cand:
        m.car_kwh[v, 0].fix(evs[v].start_kwh)
    km = data.distance_km

    def balance(_m: pyo.ConcreteModel, v: int, b: int) -> pyo.Expression:
        ev = evs[v]
        home = sum(km[ev.site, s] * _m.g[v, s, b] for s in cand[v] if (v, s, b) in _m.HOME)
        moves = sum(km[r, s] * _m.y[v, r, s, b] for r in cand[v] for s in cand[v] if r != s and (v, r, s, b) in _m.ARC)
        engine = sum(_m.f_kwh[v, s, b] for s in cand[v] if (v, s, b) in _m.VSBE)
        out = (sum(_m.e_kwh[v, s, b] for s in cand[v] if s < n_s) - engine) / ev.discharge_efficiency
        charged = sum(_m.e_kwh[v, c, b] for c in cand[v] if c >= n_s)
        return _m.car_kwh[v, b + 1] == _m.car_kwh[v, b] - out + charged - ev.consumption_kwh_per_km * (home + moves)

    add_block_engines(m, data, cand)
    m.block_car_energy = pyo.Constraint([(v, b) for v in cand for b in range(data.n_blocks)], rule=balance)
    cb = [(c, b) for c in points for b in range(data.n_blocks) if any(c in cand[v] for v in cand)]
    m.charge_point_chargers = pyo.Constraint(
        cb, rule=lambda _m, c, b: sum(_m.x[v, c, b] for v in cand if c in cand[v]) <= points[c].chargers
    )


def add_block_engines(m: pyo.ConcreteModel, data: OutageInput, cand: Mapping[int, list[int]]) -> None:
    """f_kwh[v,s,b]: kWh of a PHEV's block delivery e_kwh at shelter s made by its engine (``block_engine``:
    at most e_kwh; bounded by engine_kw x h x the block's slots), in all at most its fuel's kWh
    (``block_engine_fuel``); the exact model's eng_kw summed over each block is a point of this."""
    evs, h, n_s = data.usable_evs, data.slot_hours, len(data.shelters)
    keys = [(v, s, b) for v, s, b in m.VSB if s < n_s and evs[v].engine_kwh > 0]
    m.VSBE = pyo.Set(dimen=3, initialize=keys)
    m.f_kwh = pyo.Var(m.VSBE, bounds=lambda _m, v, s, b: (0.0, evs[v].engine_kw * h * len(_block_slots(data, b))))
    m.block_engine = pyo.Constraint(m.VSBE, rule=lambda _m, v, s, b: _m.f_kwh[v, s, b] <= _m.e_kwh[v, s, b])
    phev = sorted({v for v, _, _ in keys})
    m.block_engine_fuel = pyo.Constraint(
        phev, rule=lambda _m, v: sum(_m.f_kwh[k] for k in keys if k[0] == v) <= evs[v].engine_kwh
    )


def add_shelter_supply(m: pyo.ConcreteModel, data: OutageInput, cand: Mapping[int, list[int]]) -> None:
    """Cars' kW into each shelter per slot through V2H chargers and V2L outlets (``supply_v2h``,
    ``supply_v2l``: no more than the cars there could give), the block energies they add up to
    (``supply_energy``), and the shelter balance PV + battery + cars = served + battery charge."""
    h, evs = data.slot_hours, data.usable_evs
    at = shelter_candidates(data, cand)
    kinds = {"v2h": True, "v2l": False}
    cars = {
        (k, s): [v for v in at if s in at[v] and evs[v].uses_v2h(data.shelters[s]) == is_v2h]
        for k, is_v2h in kinds.items()
        for s in m.S
    }
    m.KS = pyo.Set(dimen=2, initialize=[(k, s) for k, s in cars if cars[k, s]])
    m.KST = pyo.Set(dimen=3, initialize=[(k, s, t) for k, s in m.KS for t in m.T])
    m.q = pyo.Var(m.KST, bounds=lambda _m, k, s, t: (0.0, _cap(data, k, s, cars[k, s])))
    arcs_in = arcs_into(m, data)

    def present(_m: pyo.ConcreteModel, k: str, s: int, t: int) -> pyo.Expression:
        there = [(evs[v].power_at(data.shelters[s]), arrived_terms(_m, data, arcs_in, v, s, t)) for v in cars[k, s]]
        terms = [p * var for p, ts in there for var in ts]
        if not terms:
            return _m.q[k, s, t] <= 0
        return _m.q[k, s, t] <= sum(terms)

    m.supply_present = pyo.Constraint(m.KST, rule=present)
    ksb = [(k, s, b) for k, s in m.KS for b in range(data.n_blocks)]
    m.supply_energy = pyo.Constraint(
        ksb,
        rule=lambda _m, k, s, b: (
            sum(_m.e_kwh[v, s, b] for v in cars[k, s]) == h * sum(_m.q[k, s, t] for t in _block_slots(data, b))
        ),
    )

    def balance(_m: pyo.ConcreteModel, t: int, s: int) -> pyo.Expression:
        supply = sum(_m.q[k, s, t] for k in kinds if (k, s) in _m.KS)
        served = _m.served[t, s] + comfort_at(_m, t, s)
        return _m.pv_used[t, s] + _m.bat_discharge[t, s] + supply == served + _m.bat_charge[t, s]

    m.energy_balance = pyo.Constraint(m.T, m.S, rule=balance)


def _cap(data: OutageInput, kind: str, s: int, cars: list[int]) -> float:
    """Most kW the cars can put into shelter s at once through its V2H chargers or its V2L outlet(s)."""
    shelter = data.shelters[s]
    powers = sorted((data.usable_evs[v].power_at(shelter) for v in cars), reverse=True)
    if kind == "v2h":
        return sum(powers[: shelter.chargers])
    return sum(powers) if shelter.v2l_parallel else powers[0]


def routing_assignment(m: pyo.ConcreteModel, data: OutageInput) -> np.ndarray:
    """Station index per car and block from the solved x (-1 = not deployed), shape (cars, blocks)."""
    out = np.full((len(data.usable_evs), data.n_blocks), -1, dtype=int)
    for v, s, b in m.x:
        if pyo.value(m.x[v, s, b]) > 0.5:
            out[v, b] = s
    return out
