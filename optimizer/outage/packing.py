"""Packing routing: which car serves which shelter for the rest of the outage, by a small MILP on energies.

Each usable car goes once (when it is free, along its trip) to one shelter and stays; a shelter takes cars
one after another. Per (car, shelter): the car's energy there E (kWh above its floor after the trip, through
its discharge efficiency, plus a PHEV's fuel kWh) and the tier-1 energy the shelter cannot serve alone from
the car's arrival on, W (kWh; see ``tier1_need``). The MILP chooses a[v,s] (binary) and d[v,s] (kWh) with
d <= min(E, W) a, the cars' d at a shelter at most its W from the earliest arrival, and maximises, in this
order, shelters whose tier 1 is fully served all outage (a car there before the shelter's own PV and battery
run short, and enough energy for all of its need) and then tier-1 kWh, less a little per km driven.

It is a heuristic that gives a routing (``packing_assignment``) for the exact dispatch (solve.py): the energy
arithmetic ignores turn-taking within slots and the battery's help between cars, which the exact dispatch
then settles. Units: kWh, kW per 30-min slot, slots from data.start.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from optimizer.outage.inputs import OutageEV, OutageInput
from optimizer.outage.model import bridges_until_cars
from optimizer.solver import HighsOptions, solve_once

FULL_WEIGHT = 1e4  # kWh-equivalent of one more shelter fully served (above any tier-1 total)
KM_WEIGHT = 1e-3  # kWh-equivalent per km driven: only a tie-breaker


def tier1_need(data: OutageInput, s: int, whole_slot: bool) -> np.ndarray:
    """Tier-1 kW per slot shelter s cannot serve from its own PV and battery (serving only tier 1, storing all
    surplus PV, the battery drawn only when short). whole_slot: a car on a lone V2L outlet replaces PV and
    battery in the slots it feeds, so there it must carry the whole tier-1 load of every short slot."""
    shelter, h = data.shelters[s], data.slot_hours
    bat, pv, need = shelter.battery, shelter.usable_pv_kw, shelter.tier1
    level = bat.start_kwh if bat else 0.0
    out = np.zeros(data.n_slots)
    for t in range(data.n_slots):
        short = float(need[t] - pv[t])
        if short <= 1e-9:
            if bat is not None:
                room = max(bat.ceiling_kwh - level, 0.0) / (bat.charge_efficiency * h)
                level += min(-short, bat.charge_kw, room) * h * bat.charge_efficiency
            continue
        give = 0.0
        if bat is not None:
            give = min(short, bat.discharge_kw, max(level - bat.floor_kwh, 0.0) * bat.discharge_efficiency / h)
            level -= give * h / bat.discharge_efficiency
        if short - give > 1e-9:
            out[t] = float(need[t]) if whole_slot else short - give
    return out


def arrival_slot(data: OutageInput, ev: OutageEV, s: int) -> int:
    """First slot the car delivers at shelter s if it leaves its start site as soon as it can."""
    b0 = data.first_block(ev, s)
    return max(b0 * data.block_slots, ev.available_from_slot) + int(data.travel_slots[ev.site, s])


def car_energy_at(data: OutageInput, ev: OutageEV, s: int) -> float:
    """kWh (AC) the car can deliver at shelter s after driving there: battery above its floor through its
    discharge efficiency, plus engine kWh; < 0 if the trip itself would take it below its floor."""
    left = ev.start_kwh - float(data.distance_km[ev.site, s]) * ev.consumption_kwh_per_km - ev.floor_kwh
    if left < -1e-9:
        return -1.0
    return max(left, 0.0) * ev.discharge_efficiency + ev.engine_kwh


def _pairs(data: OutageInput) -> dict[tuple[int, int], tuple[float, float, int]]:
    """(car, shelter) -> (E kWh, W kWh, arrival slot) for every pair a car can reach and serve."""
    out = {}
    h = data.slot_hours
    needs = {(s, w): tier1_need(data, s, w) for s in range(len(data.shelters)) for w in (False, True)}
    for v, ev in enumerate(data.usable_evs):
        for s, shelter in enumerate(data.shelters):
            if ev.power_at(shelter) <= 0 or not data.reachable(ev.site, s) or data.first_block(ev, s) >= data.n_blocks:
                continue
            energy, first = car_energy_at(data, ev, s), arrival_slot(data, ev, s)
            whole = not ev.uses_v2h(shelter) and not shelter.v2l_parallel
            window = float(needs[s, whole][first:].sum() * h)
            if energy > 1e-6 and window > 1e-6 and first < data.n_slots:
                out[v, s] = (energy, window, first)
    return out


def build_packing(data: OutageInput) -> pyo.ConcreteModel:
    """The packing MILP (see the module docstring)."""
    pairs, h = _pairs(data), data.slot_hours
    m = pyo.ConcreteModel(name="outage_packing")
    m.P = pyo.Set(dimen=2, initialize=sorted(pairs))
    m.a = pyo.Var(m.P, domain=pyo.Binary)
    m.d = pyo.Var(m.P, bounds=lambda _m, v, s: (0.0, min(pairs[v, s][0], pairs[v, s][1])))
    m.link = pyo.Constraint(m.P, rule=lambda _m, v, s: _m.d[v, s] <= min(pairs[v, s][:2]) * _m.a[v, s])
    cars = sorted({v for v, _ in pairs})
    m.one_shelter = pyo.Constraint(cars, rule=lambda _m, v: sum(_m.a[k] for k in pairs if k[0] == v) <= 1)
    shelters = sorted({s for _, s in pairs})
    at = {s: [k for k in pairs if k[1] == s] for s in shelters}
    m.shelter_need = pyo.Constraint(
        shelters, rule=lambda _m, s: sum(_m.d[k] for k in at[s]) <= max(pairs[k][1] for k in at[s])
    )
    bridging = {s: [k for k in at[s] if bridges_until_cars(data, s, pairs[k][2])] for s in shelters}
    fullable = [s for s in shelters if bridging[s]]
    m.full = pyo.Var(fullable, domain=pyo.Binary)
    m.full_early = pyo.Constraint(fullable, rule=lambda _m, s: _m.full[s] <= sum(_m.a[k] for k in bridging[s]))
    whole = {s: float(tier1_need(data, s, True).sum() * h) for s in fullable}
    m.full_energy = pyo.Constraint(
        fullable,
        rule=lambda _m, s: sum(_m.d[k] for k in at[s]) >= min(whole[s], max(pairs[k][1] for k in at[s])) * _m.full[s],
    )
    km = {k: float(data.distance_km[data.usable_evs[k[0]].site, k[1]]) for k in pairs}
    m.objective = pyo.Objective(
        expr=FULL_WEIGHT * sum(m.full[s] for s in fullable) + sum(m.d[k] - KM_WEIGHT * km[k] * m.a[k] for k in pairs),
        sense=pyo.maximize,
    )
    return m


def packing_assignment(data: OutageInput, time_limit_s: float = 10.0) -> np.ndarray | None:
    """Block assignment (cars, blocks) of the packing MILP's solution (a car stays from the block it first
    arrives in; -1 = not sent), None if HiGHS finds no solution in time."""
    m = build_packing(data)
    run = solve_once(m, HighsOptions(time_limit_s=time_limit_s, mip_rel_gap=1e-4))
    if not run.has_solution or run.values is None:
        return None
    out = np.full((len(data.usable_evs), data.n_blocks), -1, dtype=int)
    for (v, s), value in zip(m.a, run.values["a"], strict=True):
        if value > 0.5:
            out[v, data.first_block(data.usable_evs[v], s) :] = s
    return out
