"""Rule-based dispatch for a given car assignment (load-following), used by the greedy planner.

Per slot and shelter: the rule of `slot_rule.dispatch_slot` (PV, battery, cars on V2H chargers in turn,
V2L outlets as the wiring allows, a PHEV's engine after its battery, the comfort tier from spare PV) over the
cars stationed there that have arrived, in fleet order. Powers in kW per
30-min slot, energies in kWh. Travel energy is taken from a car when it departs (block start).
"""

from __future__ import annotations

import numpy as np

from optimizer.outage.arrivals import arrival_slots
from optimizer.outage.inputs import OutageInput
from optimizer.outage.result import OutagePlan
from optimizer.outage.slot_rule import SlotCar, dispatch_slot


class InfeasibleMoveError(ValueError):
    """A car was assigned a move it has not the energy (above its floor) to drive."""


def travel_energy(data: OutageInput, assignment: np.ndarray) -> np.ndarray:
    """Travel kWh taken from each car at each block start, shape (cars, blocks)."""
    evs = data.usable_evs
    energy = np.zeros(assignment.shape)
    for v, ev in enumerate(evs):
        site = ev.site
        for b in range(data.n_blocks):
            target = int(assignment[v, b])
            if target >= 0 and target != site:
                energy[v, b] = data.distance_km[site, target] * ev.consumption_kwh_per_km
                site = target
    return energy


def simulate(data: OutageInput, assignment: np.ndarray, method: str = "rule") -> OutagePlan:
    """Dispatch the assignment by the load-following rule; the plan's objective uses data.move_penalty."""
    evs, h = data.usable_evs, data.slot_hours
    n_t, n_s, n_v = data.n_slots, len(data.shelters), len(evs)
    load, pv = data.critical_matrix(), data.pv_matrix()
    first, trip = arrival_slots(data, assignment), travel_energy(data, assignment)
    served, pv_used = np.zeros((n_t, n_s)), np.zeros((n_t, n_s))
    charge, discharge, stored = np.zeros((n_t, n_s)), np.zeros((n_t, n_s)), np.zeros((n_t + 1, n_s))
    ev_kw, ev_kwh = np.zeros((n_v, n_t, n_s)), np.zeros((n_v, n_t + 1))
    engine_kw, comfort_kw, comfort = np.zeros((n_v, n_t)), np.zeros((n_t, n_s)), data.comfort_matrix()
    fuel = np.array([e.engine_kwh for e in evs])
    ev_kwh[:, 0] = [e.start_kwh for e in evs]
    stored[0] = [s.battery.start_kwh if s.battery else 0.0 for s in data.shelters]
    for t in range(n_t):
        b = data.block_of(t)
        energy = ev_kwh[:, t].copy()
        if t == b * data.block_slots:
            energy -= trip[:, b]
            for v, ev in enumerate(evs):
                if energy[v] < ev.floor_kwh - 1e-6:
                    raise InfeasibleMoveError(f"ev {ev.id}: too little energy above its floor to move at block {b}")
        for j, shelter in enumerate(data.shelters):
            present = [
                SlotCar(v, ev, float(energy[v]), float(fuel[v]))
                for v, ev in enumerate(evs)
                if int(assignment[v, b]) == j and t >= first[v, b]
            ]
            out = dispatch_slot(
                shelter, float(load[t, j]), float(pv[t, j]), float(stored[t, j]), present, h, float(comfort[t, j])
            )
            served[t, j], pv_used[t, j], comfort_kw[t, j] = out.served, out.pv_used, out.comfort
            charge[t, j], discharge[t, j] = out.charge, out.discharge
            bat = shelter.battery
            stored[t + 1, j] = stored[t, j] + (
                h * (bat.charge_efficiency * out.charge - out.discharge / bat.discharge_efficiency) if bat else 0.0
            )
            for v, give in out.gives.items():
                ev_kw[v, t, j], engine_kw[v, t] = give, out.engine.get(v, 0.0)
                energy[v] -= (give - engine_kw[v, t]) * h / evs[v].discharge_efficiency
                fuel[v] -= engine_kw[v, t] * h
        recharge(data, assignment, first, b, t, energy)
        ev_kwh[:, t + 1] = energy
    plan = OutagePlan(
        data=data,
        method=method,
        status="feasible",
        assignment=assignment.copy(),
        served_kw=served,
        pv_used_kw=pv_used,
        battery_charge_kw=charge,
        battery_discharge_kw=discharge,
        battery_kwh=stored,
        ev_kw=ev_kw,
        ev_kwh=ev_kwh,
        objective=0.0,
        engine_kw=engine_kw,
        comfort_kw=comfort_kw,
    )
    return _with_objective(plan)


def recharge(data: OutageInput, assignment: np.ndarray, first: np.ndarray, b: int, t: int, energy: np.ndarray) -> None:
    """Cars at a charge point that have arrived charge in slot t (at most min(car, charger) kW, up to their
    capacity; in place on `energy`, kWh)."""
    h = data.slot_hours
    for v, ev in enumerate(data.usable_evs):
        point = data.charge_point_at(int(assignment[v, b])) if assignment[v, b] >= len(data.shelters) else None
        if point is None or t < first[v, b]:
            continue
        room = max(ev.ceiling_kwh - energy[v], 0.0)
        energy[v] += min(min(ev.charge_kw, point.charger_kw) * h * ev.charge_efficiency, room)


def plan_objective(plan: OutagePlan) -> float:
    """Priority- and slot-weighted served kWh minus move_penalty per move."""
    return plan.value - plan.data.move_penalty * len(plan.moves)


def _with_objective(plan: OutagePlan) -> OutagePlan:
    from dataclasses import replace

    return replace(plan, objective=plan_objective(plan))
