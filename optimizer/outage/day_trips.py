"""Day trips: a car whose shelter needs it only at some hours (a PV + battery shelter needs a car at night,
once the battery runs out) spends the blocks its shelter does not need it at another shelter that the plan
leaves short of tier 1, and comes back in time (or, after the shelter's last need, stays there).

From a dispatched plan (OutagePlan). A trip of car v from its home shelter s (the station it holds longest) to
shelter g over blocks [b1, b2) is possible if v is at s in block b1 - 1 and, unless b2 is the last block, in
block b2, both moves fit in a block, and s needs no car from the start of b1 until v is back (slot b2 x block
+ the drive back; ``packing.tier1_need`` with a lone V2L outlet's whole-slot reading for v). Its expected
tier-1 gain (kWh) is

    gain = min(spare - drives, short at g from v's arrival on, what v can deliver there in the window)

with spare = what v holds above its floor (through its discharge efficiency, after all its drives, plus
engine fuel) less what its home needs from it while it is there and what it delivers elsewhere in the plan;
drives = the trip's km x kWh/km; what v can deliver = its power (at most g's tier-1 load) over the window's
slots after arrival. ``improve_by_trips`` tries the trips in order of gain, each dispatched exactly part by
part (parts.py) and kept if the plan's score (tier 1 full, tier-1 kWh) rises. Units: kWh, kW per slot of
data.slot_hours, blocks of data.block_slots slots.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from optimizer.outage.inputs import OutageInput
from optimizer.outage.load_following import travel_energy
from optimizer.outage.packing import tier1_need
from optimizer.outage.parts import Dispatch, changed_parts, redispatch
from optimizer.outage.result import OutagePlan

log = logging.getLogger(__name__)

MIN_GAIN_KWH = 0.5  # a trip must be expected to add at least this much tier-1 kWh
MIN_RISE_KWH = 0.01  # a dispatched trip is kept only if tier 1 rises by more than this
TARGETS = 3  # shelters a car's trip is dispatched to in a round (the best estimated), the best kept
TIER_TOLERANCE_KWH = 0.01  # tier-1 kWh a dispatch through every stage may end below the tier stages alone


@dataclass(frozen=True)
class Trip:
    """Car `car` at shelter `to` in blocks [first, end) instead of at its home shelter `home`."""

    gain_kwh: float
    car: int
    home: int
    to: int
    first: int
    end: int


def home_shelter(assignment: np.ndarray, v: int, n_shelters: int) -> int:
    """The shelter car v holds for the most blocks (-1 if none)."""
    row = assignment[v][(assignment[v] >= 0) & (assignment[v] < n_shelters)]
    return -1 if row.size == 0 else int(np.bincount(row).argmax())


def spare_kwh(plan: OutagePlan, v: int, home: int, need: np.ndarray, drives: float) -> float:
    """kWh (AC) car v can give elsewhere without its home shelter losing tier 1: its energy above its floor
    after all its drives (through its discharge efficiency) plus engine fuel, less its home's need from cars
    in the slots it is there (`need`, kW per slot) and what it delivers at other shelters in the plan;
    drives: the kWh its drives take from its battery."""
    data, ev, h = plan.data, plan.data.usable_evs[v], plan.data.slot_hours
    held = max(ev.start_kwh - ev.floor_kwh - drives, 0.0) * ev.discharge_efficiency + ev.engine_kwh
    at_home = np.repeat(plan.assignment[v] == home, data.block_slots)[: data.n_slots]
    elsewhere = plan.ev_kw[v].sum(axis=1) - plan.ev_kw[v, :, home]
    return held - float(need[at_home].sum() * h) - float(elsewhere.sum() * h)


def windows(data: OutageInput, row: np.ndarray, home: int, need: np.ndarray, back: int) -> list[tuple[int, int]]:
    """Maximal block ranges [b1, b2) a car with block row `row` can spend away from `home`: at home in b1 - 1,
    in every block of the range and (b2 < n_blocks) in b2; no need at home from slot b1 x block to the car's
    return (b2 x block + `back` slots)."""
    out, n_b, k = [], data.n_blocks, data.block_slots
    b1 = 1
    while b1 < n_b:
        if row[b1 - 1] != home or row[b1] != home or need[b1 * k : (b1 + 1) * k].any():
            b1 += 1
            continue
        b2 = b1 + 1
        while b2 < n_b and row[b2] == home and not need[b2 * k : (b2 + 1) * k].any():
            b2 += 1
        while b2 > b1 and b2 < n_b and need[b2 * k : b2 * k + back].any():
            b2 -= 1  # back too late for the need at the start of block b2
        if b2 > b1 and (b2 == n_b or row[b2] == home):
            out.append((b1, b2))
        b1 = max(b2, b1 + 1)
    return out


def trip_options(plan: OutagePlan) -> list[Trip]:
    """Every trip expected to add MIN_GAIN_KWH or more (see the module docstring), best first."""
    data, h, k = plan.data, plan.data.slot_hours, plan.data.block_slots
    n_s, out = len(data.shelters), []
    short = np.maximum(data.tier1_matrix() - plan.tier1_served_kw, 0.0)
    tier1, drives = data.tier1_matrix(), travel_energy(data, plan.assignment).sum(axis=1)
    for v, ev in enumerate(data.usable_evs):
        home = home_shelter(plan.assignment, v, n_s)
        if home < 0:
            continue
        shelter = data.shelters[home]
        need_kw = tier1_need(data, home, not ev.uses_v2h(shelter) and not shelter.v2l_parallel)
        need, spare = need_kw > 1e-9, spare_kwh(plan, v, home, need_kw, float(drives[v]))
        for g in range(n_s):
            if g == home or ev.power_at(data.shelters[g]) <= 0 or not data.reachable(home, g):
                continue
            there, back = int(data.travel_slots[home, g]), int(data.travel_slots[g, home])
            if there >= k or back > k:
                continue
            for b1, b2 in windows(data, plan.assignment[v], home, need, back):
                legs = 1 if b2 == data.n_blocks else 2
                trip_kwh = float(data.distance_km[home, g]) * ev.consumption_kwh_per_km * legs
                arrive, end = b1 * k + there, min(b2 * k, data.n_slots)
                deliver = float(np.minimum(tier1[arrive:end, g], ev.power_at(data.shelters[g])).sum() * h)
                gain = min(spare - trip_kwh * ev.discharge_efficiency, float(short[arrive:, g].sum() * h), deliver)
                if gain >= MIN_GAIN_KWH:
                    out.append(Trip(gain, v, home, g, b1, b2))
    return sorted(out, key=lambda t: (-t.gain_kwh, t.car, t.first, t.to))


def with_trip(assignment: np.ndarray, trip: Trip) -> np.ndarray:
    """The routing with the trip made."""
    out = assignment.copy()
    out[trip.car, trip.first : trip.end] = trip.to
    return out


Evaluate = Callable[[np.ndarray, OutagePlan], OutagePlan | None]  # routing, plan it changes -> dispatched plan


def improve_by_trips(plan: OutagePlan, evaluate: Evaluate, time_limit_s: float) -> tuple[OutagePlan, int]:
    """The plan with the trips that raised its score (tier 1 full, tier-1 kWh): in rounds, the car and window
    of the best option, dispatched by `evaluate` to each of its TARGETS best shelters, the best of those kept
    if it pays; the options are recomputed after each round; a trip dispatched once is not tried again. Stops
    when time_limit_s (wall seconds) is spent. Returns the plan and the trips kept."""
    started, tried, kept = time.perf_counter(), set(), 0
    while time.perf_counter() - started < time_limit_s:
        options = [t for t in trip_options(plan) if (t.car, t.to, t.first, t.end) not in tried]
        if not options:
            break
        lead = options[0]
        best: OutagePlan | None = None
        for trip in [t for t in options if (t.car, t.first, t.end) == (lead.car, lead.first, lead.end)][:TARGETS]:
            if trip is not lead and time.perf_counter() - started >= time_limit_s:
                break
            tried.add((trip.car, trip.to, trip.first, trip.end))
            found = evaluate(with_trip(plan.assignment, trip), plan)
            log.debug("trip %s: %s", trip, None if found is None else found.score[:2])
            if found is not None and (best is None or found.score > best.score):
                best = found
        if best is not None and _pays(best, plan):
            plan, kept = best, kept + 1
    return plan, kept


def _pays(found: OutagePlan, plan: OutagePlan) -> bool:
    """True if found has more shelters fully served than plan, or as many and MIN_RISE_KWH more tier 1."""
    if found.score[0] != plan.score[0]:
        return found.score[0] > plan.score[0]
    return found.score[1] > plan.score[1] + MIN_RISE_KWH


def with_trips(
    start: OutagePlan, tier_dispatch: Dispatch, every_stage: Callable[[int], Dispatch], search_s: float
) -> tuple[OutagePlan, int]:
    """The start plan with the day trips that raise its tier stages (``improve_by_trips`` for search_s wall
    seconds, each trip's parts dispatched by `tier_dispatch`), the parts they change then dispatched through
    every stage (by ``every_stage(number of those parts)``); that plan, or the tier-stage one if it ends
    more than TIER_TOLERANCE_KWH below it in tier 1; (start, 0) if no trip pays."""
    data = start.data
    found, kept = improve_by_trips(start, lambda a, p: redispatch(data, p, a, tier_dispatch), search_s)
    if not kept:
        return start, 0
    dispatch = every_stage(len(changed_parts(data, start.assignment, found.assignment)))
    final = redispatch(data, start, found.assignment, dispatch)
    if final is not None and not _tiers_below(final, found):
        found = final
    return (found, kept) if found.score > start.score else (start, 0)


def _tiers_below(plan: OutagePlan, other: OutagePlan) -> bool:
    """True if plan has fewer shelters fully served than other, or more than TIER_TOLERANCE_KWH less tier 1
    (the tier stages' MIP gap: a dispatch through every stage may end a hair below a tier-stage one)."""
    return plan.score[0] < other.score[0] or plan.score[1] < other.score[1] - TIER_TOLERANCE_KWH
