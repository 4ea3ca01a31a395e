"""Refill shuttles: a car that runs low at its shelter drives to a charge point with a free charger, charges
for a block or two, and goes back out to the shelter the plan leaves shortest of tier 1 from then on.

From a dispatched plan (OutagePlan) with charge points. A car whose shelter is fully served and still needs
a car later stays. A car runs low in the first slot its battery is within the drive to the nearest reachable
charge point (plus RESERVE_KWH) of its floor and a PHEV's fuel is spent; it
leaves at the start of that slot's block (moves happen at block starts), charges for as many blocks as filling
up takes (at most MAX_CHARGE_BLOCKS, where a charger is free in each of them: at most `chargers` cars per charge
point and block), then serves the shelter with the most unserved tier-1 kWh (kW it can deliver, from its
arrival on, for as long as the charged energy lasts) for the rest of the outage. Cars are taken in the order
they run low; each shuttle lowers the unserved kW it is counted against. The routing goes to the exact dispatch
(solve.py), which decides how much to charge and deliver. Units: kWh, kW per slot of data.slot_hours.
"""

from __future__ import annotations

import math

import numpy as np

from optimizer.outage.inputs import ChargePoint, OutageEV, OutageInput
from optimizer.outage.packing import tier1_need
from optimizer.outage.result import OutagePlan

MAX_CHARGE_BLOCKS = 2
RESERVE_KWH = 0.5
MIN_GAIN_KWH = 1.0  # a shuttle must be expected to add at least this much tier-1 kWh


def runs_low(plan: OutagePlan, v: int, trip_kwh: float) -> int | None:
    """First slot in which car v is deployed at a shelter with at most trip_kwh + RESERVE_KWH above its floor
    and its engine fuel (if any) spent, None if it never is."""
    data, ev = plan.data, plan.data.usable_evs[v]
    engine = np.zeros(data.n_slots) if plan.engine_kw is None else plan.engine_kw[v]
    fuel_left = ev.engine_kwh - np.cumsum(engine) * data.slot_hours
    for t in range(1, data.n_slots):
        station = int(plan.assignment[v, data.block_of(t)])
        if not 0 <= station < len(data.shelters):
            continue
        if plan.ev_kwh[v, t] <= ev.floor_kwh + trip_kwh + RESERVE_KWH and fuel_left[t - 1] <= RESERVE_KWH:
            return t
    return None


def still_needed(data: OutageInput, s: int, block: int) -> bool:
    """True if shelter s needs cars for its tier 1 at any slot from the start of block on (packing.tier1_need
    with a lone V2L outlet: the stricter reading)."""
    return bool(tier1_need(data, s, whole_slot=True)[block * data.block_slots :].sum() > 1e-9)


def _charge_blocks(data: OutageInput, ev: OutageEV, point: ChargePoint, level_kwh: float, go: int) -> int:
    """Blocks to fill the car from level_kwh at the charge point (at least 1, at most MAX_CHARGE_BLOCKS)."""
    kw = min(ev.charge_kw, point.charger_kw) * ev.charge_efficiency
    hours = (ev.ceiling_kwh - level_kwh) / kw + go * data.slot_hours
    return max(1, min(MAX_CHARGE_BLOCKS, math.ceil(hours / (data.block_slots * data.slot_hours))))


def _best_return(
    data: OutageInput, ev: OutageEV, site: int, first_block: int, energy_kwh: float, short: np.ndarray
) -> tuple[int, float]:
    """(shelter, tier-1 kWh) the car would add going from site to the shelter with the most unserved tier-1 kWh
    it can meet from first_block on with energy_kwh (AC)."""
    best, gain = -1, 0.0
    h = data.slot_hours
    for g, shelter in enumerate(data.shelters):
        power = ev.power_at(shelter)
        steps = int(data.travel_slots[site, g])
        if power <= 0 or steps > data.block_slots:
            continue
        slots = short[first_block * data.block_slots + steps :, g]
        served = float(np.minimum(slots, power).sum() * h)
        value = min(served, energy_kwh)
        if value > gain + 1e-9:
            best, gain = g, value
    return best, gain


def _take(short: np.ndarray, g: int, first_slot: int, power: float, energy_kwh: float, h: float) -> None:
    """Lower the unserved kW at shelter g from first_slot on by what the car delivers until energy_kwh is used."""
    for t in range(first_slot, short.shape[0]):
        give = min(short[t, g], power, energy_kwh / h)
        short[t, g] -= give
        energy_kwh -= give * h
        if energy_kwh <= 1e-9:
            return


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
    lows = []
    for v, ev in enumerate(data.usable_evs):
        if ev.charge_kw <= 0:
            continue
        trip = min(float(data.distance_km[ev.site, c.site]) for c in data.charge_points) * ev.consumption_kwh_per_km
        t = runs_low(plan, v, trip)
        if t is not None:
            lows.append((t, v))
    changed = False
    for t, v in sorted(lows):
        changed = _shuttle(plan, v, data.block_of(t), assignment, busy, short) or changed
    return assignment if changed else None


def _shuttle(
    plan: OutagePlan, v: int, go: int, assignment: np.ndarray, busy: dict[tuple[int, int], int], short: np.ndarray
) -> bool:
    """Send car v to a charge point from block go and back out; True if planned."""
    data, ev, h = plan.data, plan.data.usable_evs[v], plan.data.slot_hours
    if go < 1 or not 0 <= int(assignment[v, go - 1]) < len(data.shelters):
        return False
    here = int(assignment[v, go - 1])
    if plan.tier1_full[here] and still_needed(data, here, go):
        return False  # its shelter is fully served and still needs a car later: leaving would cost that
    level = float(plan.ev_kwh[v, go * data.block_slots])
    for point in sorted(data.charge_points, key=lambda c: data.distance_km[here, c.site]):
        steps = int(data.travel_slots[here, point.site])
        trip = float(data.distance_km[here, point.site]) * ev.consumption_kwh_per_km
        if steps > data.block_slots or level - trip < ev.floor_kwh:
            continue
        k = _charge_blocks(data, ev, point, level - trip, steps)
        back = go + k
        if back >= data.n_blocks or any(busy[point.site, b] >= point.chargers for b in range(go, back)):
            continue
        charged = min(ev.ceiling_kwh - (level - trip), ev.capacity_kwh)
        energy = max(charged, 0.0) * ev.discharge_efficiency
        g, gain = _best_return(data, ev, point.site, back, energy, short)
        if g < 0 or gain < MIN_GAIN_KWH:
            return False
        assignment[v, go:back] = point.site
        assignment[v, back:] = g
        for b in range(go, back):
            busy[point.site, b] += 1
        arrive = back * data.block_slots + int(data.travel_slots[point.site, g])
        _take(short, g, arrive, ev.power_at(data.shelters[g]), energy, h)
        return True
    return False
