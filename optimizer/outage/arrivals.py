"""When each car can deliver in each relocation block, from its block assignment (slots of data.slot_hours)."""

from __future__ import annotations

import numpy as np

from optimizer.outage.inputs import OutageInput


def arrival_slots(data: OutageInput, assignment: np.ndarray) -> np.ndarray:
    """First slot each car can deliver in each block (n_slots if never), shape (cars, blocks); a car leaves
    its start site at its block start, not before its available_from_slot."""
    evs = data.usable_evs
    first = np.full(assignment.shape, data.n_slots, dtype=int)
    for v, ev in enumerate(evs):
        site, ready = ev.site, ev.available_from_slot  # the car is free at `site` from slot `ready`
        for b in range(data.n_blocks):
            target = int(assignment[v, b])
            if target < 0:
                continue
            start = max(b * data.block_slots, ready)
            if target != site:
                start += min(int(data.travel_slots[site, target]), data.block_slots)
            first[v, b] = min(start, data.n_slots)
            site, ready = target, start
    return first
