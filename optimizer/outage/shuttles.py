"""Refill shuttles: a car stationed at a shelter leaves, at the start of the block where that pays most, for a
charge point with a free charger, charges for one or two blocks and goes back to the same shelter, or on to
another that the plan leaves shorter.

From a dispatched plan (OutagePlan) with charge points; a shuttle of car v from block b for k blocks, via
charge point c, is valued on that plan: it adds added = min(room above its level after the drive, charger kW x
charge efficiency x the hours there), less the drives there and back, and it can use that only in the slots of
its shelter that the plan leaves short of tier 1 after it is back, less what it would have delivered while
away:  gain = min(added x discharge efficiency - drives, short after return - delivered while away)  (kWh);
going on to another shelter g instead: gain = min(all it then holds, g's short after arrival) - all it would
have delivered at its own shelter from leaving on.
Shuttles are taken greedily by gain, at most one per car, at most `chargers` cars per charge point and block; a
car stays if its shelter is fully served and still needs a car later (it would lose that). The routing goes to
the exact dispatch (solve.py), which decides what is charged and delivered. Units: kWh, kW per slot of
data.slot_hours, blocks of data.block_slots slots.
"""

from __future__ import annotations

import numpy as np

from optimizer.outage.inputs import ChargePoint, OutageInput
from optimizer.outage.packing import tier1_need
from optimizer.outage.result import OutagePlan

MAX_CHARGE_BLOCKS = 2
MIN_GAIN_KWH = 1.0  # a shuttle must be expected to add at least this much tier-1 kWh

Shuttle = tuple[float, int, int, int, ChargePoint, int]  # gain kWh, car, first block away, blocks, point, then where


def last_needed_slot(data: OutageInput) -> np.ndarray:
    """Per shelter, the last slot in which it needs cars for its tier 1 (packing.tier1_need with a lone V2L
    outlet: the stricter reading), -1 if never."""
    out = np.full(len(data.shelters), -1)
    for s in range(len(data.shelters)):
        needed = np.flatnonzero(tier1_need(data, s, whole_slot=True) > 1e-9)
        if needed.size:
            out[s] = int(needed[-1])
    return out


def shuttle_gain(
    plan: OutagePlan, short: np.ndarray, v: int, go: int, k: int, point: ChargePoint, to: int | None = None
) -> float:
    """Tier-1 kWh the shuttle is expected to add (see the module docstring); <= 0 if it cannot be made. to: the
    shelter it goes to afterwards (None = back to its own); elsewhere, it takes all it holds there and its own
    shelter loses what the car would have delivered from go on."""
    data, ev, h = plan.data, plan.data.usable_evs[v], plan.data.slot_hours
    here, block = int(plan.assignment[v, go - 1]), data.block_slots
    dest = here if to is None else to
    back = go + k
    there, home = int(data.travel_slots[here, point.site]), int(data.travel_slots[point.site, dest])
    if there >= k * block or home > block or back >= data.n_blocks or ev.power_at(data.shelters[dest]) <= 0:
        return 0.0
    trip_in = float(data.distance_km[here, point.site]) * ev.consumption_kwh_per_km
    trip_out = float(data.distance_km[point.site, dest]) * ev.consumption_kwh_per_km
    arrival = float(plan.ev_kwh[v, go * block]) - trip_in
    if arrival < ev.floor_kwh + 1e-9:
        return 0.0
    hours = (k * block - there) * h
    added = min(ev.ceiling_kwh - arrival, min(ev.charge_kw, point.charger_kw) * ev.charge_efficiency * hours)
    later = float(np.minimum(short[back * block + home :, dest], ev.power_at(data.shelters[dest])).sum() * h)
    if dest == here:
        away = float(plan.ev_kw[v, go * block : back * block, here].sum() * h)
        return min(added * ev.discharge_efficiency - (trip_in + trip_out), later - away)
    holds = (arrival + added - trip_out - ev.floor_kwh) * ev.discharge_efficiency + _fuel_left(plan, v, go * block)
    lost = float(plan.ev_kw[v, go * block :, here].sum() * h)
    return min(holds, later) - lost


def _fuel_left(plan: OutagePlan, v: int, slot: int) -> float:
    """kWh of engine fuel car v has left at the start of slot (0 without an engine)."""
    ev = plan.data.usable_evs[v]
    used = 0.0 if plan.engine_kw is None else float(plan.engine_kw[v, :slot].sum() * plan.data.slot_hours)
    return max(ev.engine_kwh - used, 0.0)


def _options(plan: OutagePlan, short: np.ndarray) -> list[Shuttle]:
    """Every shuttle worth MIN_GAIN_KWH: cars stationed at one shelter from the block before they leave to the
    end, not keeping a fully served shelter whole."""
    data, out = plan.data, []
    full, last_needed = plan.tier1_full, last_needed_slot(data)
    for v, ev in enumerate(data.usable_evs):
        if ev.charge_kw <= 0:
            continue
        for go in range(1, data.n_blocks - 1):
            here = int(plan.assignment[v, go - 1])
            if not 0 <= here < len(data.shelters) or (plan.assignment[v, go - 1 :] != here).any():
                continue
            if full[here] and last_needed[here] >= go * data.block_slots:
                continue
            for point in data.charge_points:
                for k in range(1, MAX_CHARGE_BLOCKS + 1):
                    for to in (None, *range(len(data.shelters))):
                        gain = shuttle_gain(plan, short, v, go, k, point, to)
                        if gain >= MIN_GAIN_KWH:
                            out.append((gain, v, go, k, point, here if to is None else to))
    return out


def refill_shuttles(plan: OutagePlan) -> np.ndarray | None:
    """The plan's routing with refill shuttles added (see the module docstring), None if there is none."""
    data = plan.data
    if not data.charge_points:
        return None
    assignment = plan.assignment.copy()
    busy = {
        (c.site, b): int((assignment[:, b] == c.site).sum()) for c in data.charge_points for b in range(data.n_blocks)
    }
    short = np.maximum(data.tier1_matrix() - plan.tier1_served_kw, 0.0)
    sent: set[int] = set()
    for _gain, v, go, k, point, dest in sorted(_options(plan, short), key=lambda o: (-o[0], o[1], o[2], o[3], o[5])):
        if v in sent or any(busy[point.site, b] >= point.chargers for b in range(go, go + k)):
            continue
        here = int(assignment[v, go - 1])
        gain = shuttle_gain(plan, short, v, go, k, point, None if dest == here else dest)  # needs may be met now
        if gain < MIN_GAIN_KWH:
            continue
        assignment[v, go : go + k] = point.site
        assignment[v, go + k :] = dest
        for b in range(go, go + k):
            busy[point.site, b] += 1
        sent.add(v)
        h, first = data.slot_hours, (go + k) * data.block_slots
        given = float(plan.ev_kw[v, go * data.block_slots : first if dest == here else None, here].sum() * h)
        _take(short, dest, first, gain + given, h)
        if dest != here:
            short[go * data.block_slots :, here] += plan.ev_kw[v, go * data.block_slots :, here]
    return assignment if sent else None


def _take(short: np.ndarray, s: int, first_slot: int, energy_kwh: float, h: float) -> None:
    """Lower the unserved kW at shelter s from first_slot on until energy_kwh (what the car now delivers
    there) is used."""
    for t in range(first_slot, short.shape[0]):
        give = min(float(short[t, s]), energy_kwh / h)
        short[t, s] -= give
        energy_kwh -= give * h
        if energy_kwh <= 1e-9:
            return
