"""Greedy outage plan: each car, largest first, goes at the outage start (or when it is free) to the
reachable shelter where it adds most, ranked as plans are (OutagePlan.score): shelters with tier 1 fully
served, then tier-1 kWh, then priority- and slot-weighted served energy (ties: the shelter that goes dark
first), and stays there. The slot weights (OutageInput.early_weight) make a second car at a shelter, which
only starts when the first is empty, worth less than a car at a shelter that is dark now: cars spread.

This is the fallback when the MILP finds nothing in its time limit and the baseline it is measured against.
Energies in kWh, powers in kW, slots of data.slot_hours.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from optimizer.outage.inputs import OutageEV, OutageInput, OutageShelter
from optimizer.outage.load_following import simulate
from optimizer.outage.result import SHED_TOLERANCE_KW, OutagePlan
from optimizer.outage.slot_rule import SlotCar, dispatch_slot

Served = tuple[float, int, float, int]


def shelter_served(
    shelter: OutageShelter, cars: list[tuple[OutageEV, int, float]], weights: np.ndarray, h: float
) -> Served:
    """Slot-weighted served kWh, first dark slot (len(weights) if never), tier-1 kWh served and 1 if tier 1
    is fully served all outage (else 0), of one shelter under the load-following rule
    (`slot_rule.dispatch_slot`, a PHEV's engine included). cars: (car, first slot it can deliver, kWh it holds
    on arrival), in discharge order.
    """
    n_slots = len(weights)
    bat = shelter.battery
    level = bat.start_kwh if bat else 0.0
    energy = [e for _, _, e in cars]
    fuel = [car.engine_kwh for car, _, _ in cars]
    served, dark, tier1_kwh, full = 0.0, n_slots, 0.0, 1
    pv_usable, tier1 = shelter.usable_pv_kw, shelter.tier1
    for t in range(n_slots):
        load = float(shelter.critical_kw[t])
        present = [SlotCar(i, car, energy[i], fuel[i]) for i, (car, first, _) in enumerate(cars) if t >= first]
        out = dispatch_slot(shelter, load, float(pv_usable[t]), level, present, h)
        if bat is not None:
            level += h * (bat.charge_efficiency * out.charge - out.discharge / bat.discharge_efficiency)
        for i, give in out.gives.items():
            engine = out.engine.get(i, 0.0)
            energy[i] -= (give - engine) * h / cars[i][0].discharge_efficiency
            fuel[i] -= engine * h
        served += out.served * h * weights[t]
        tier1_kwh += min(out.served, float(tier1[t])) * h
        if out.served < float(tier1[t]) - SHED_TOLERANCE_KW:
            full = 0
        if out.served < load - SHED_TOLERANCE_KW and dark == n_slots:
            dark = t
    return served, dark, tier1_kwh, full


def greedy_assignment(data: OutageInput) -> np.ndarray:
    """Block assignment (cars, blocks) of the greedy rule; -1 where a car is not worth sending."""
    evs, h = data.usable_evs, data.slot_hours
    assignment = np.full((len(evs), data.n_blocks), -1, dtype=int)
    placed: dict[int, list[tuple[OutageEV, int, float]]] = {j: [] for j in range(len(data.shelters))}
    best: tuple[tuple[float, ...], int, list[tuple[OutageEV, int, float]], Served, int] | None
    weights = data.slot_weights
    current = {j: shelter_served(s, [], weights, h) for j, s in enumerate(data.shelters)}
    order = sorted(range(len(evs)), key=lambda v: -(evs[v].start_kwh - evs[v].floor_kwh + evs[v].engine_kwh))
    for v in order:
        ev, best = evs[v], None
        for j, shelter in enumerate(data.shelters):
            if ev.power_at(shelter) <= 0 or not data.reachable(ev.site, j):
                continue
            arrival = ev.start_kwh - data.distance_km[ev.site, j] * ev.consumption_kwh_per_km
            if arrival < ev.floor_kwh:
                continue
            b0 = data.first_block(ev, j)
            if b0 >= data.n_blocks:
                continue
            first = max(b0 * data.block_slots, ev.available_from_slot) + int(data.travel_slots[ev.site, j])
            trial = [*placed[j], (ev, first, arrival)]
            result = shelter_served(shelter, trial, weights, h)
            now = current[j]
            gain = (
                result[3] - now[3],
                round(result[2] - now[2], 6),
                (result[0] - now[0]) * shelter.priority - data.move_penalty,
            )
            key = (*gain, -now[1], -data.travel_slots[ev.site, j])
            if gain > (0, 0.0, 1e-6) and (best is None or key > best[0]):
                best = (key, j, trial, result, b0)
        if best is not None:
            _, j, trial, result, b0 = best
            placed[j], current[j] = trial, result
            assignment[v, b0:] = j
    return assignment


def greedy_plan(data: OutageInput) -> OutagePlan:
    """The greedy plan, dispatched by the load-following rule (status 'feasible', method 'greedy')."""
    started = time.perf_counter()
    plan = simulate(data, greedy_assignment(data), method="greedy")
    return replace(plan, solve_seconds=time.perf_counter() - started)
