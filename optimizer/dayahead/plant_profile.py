"""The supply plant's expected output per slot: availability windows, forced outages and ramp limits (pure).

Planned windows (the scenario's ``availability``, maintenance) are known ahead, so the expected output ramps
down before a window starts and back up after it ends at the plant's ramp limit (kW per 30-min slot). A
forced outage (an operator's override: a line tripped) drops the output at once in the slot it starts in and
ramps up after it. Windows apply to the slots whose start lies inside them; the output in the slot before the
horizon is the measured one if given, else the plant's unramped expectation there. Powers in kW, slots named
by their start (tz-aware).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scenarios.model import AvailabilityWindow, SupplyPlant
from scenarios.timegrid import SLOT


def _inside(window: AvailabilityWindow, index: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray((index >= pd.Timestamp(window.start)) & (index < pd.Timestamp(window.end)), dtype=bool)


def plant_available_kw(
    plant: SupplyPlant, index: pd.DatetimeIndex, forced: Sequence[AvailabilityWindow] = ()
) -> np.ndarray:
    """Plant availability in kW per slot: capacity, lowered by every planned or forced window a slot starts in."""
    avail = np.full(len(index), plant.capacity_kw)
    for w in [*plant.availability, *forced]:
        inside = _inside(w, index)
        avail[inside] = np.minimum(avail[inside], w.available_kw)
    return avail


def _trip_slots(forced: Sequence[AvailabilityWindow], index: pd.DatetimeIndex) -> np.ndarray:
    """True in the first slot of each forced window (where the output may drop without a ramp)."""
    trips = np.zeros(len(index), dtype=bool)
    for w in forced:
        inside = np.flatnonzero(_inside(w, index))
        if len(inside):
            trips[inside[0]] = True
    return trips


@dataclass(frozen=True)
class PlantProfile:
    """Per-slot plant figures on a plan's index (kW): available, expected output (ramp-feasible), and the ramp
    limits of each slot against the slot before (None without a ramp limit); ``initial_kw`` is the output in
    the slot before the horizon."""

    available_kw: np.ndarray
    forecast_kw: np.ndarray
    ramp_up_kw: np.ndarray | None
    ramp_down_kw: np.ndarray | None
    initial_kw: float


def _ramped(expected: np.ndarray, trips: np.ndarray, ramp: float) -> np.ndarray:
    """`expected` (slot 0 = the slot before the horizon, kept) limited to rise at most `ramp` per slot, and to
    fall at most `ramp` per slot except into a trip slot (planned drops are ramped into ahead of time)."""
    out = expected.copy()
    for t in range(1, len(out)):
        out[t] = min(out[t], out[t - 1] + ramp)
    for t in range(len(out) - 2, 0, -1):
        if not trips[t + 1]:
            out[t] = min(out[t], out[t + 1] + ramp)
    return out


def plant_profile(
    plant: SupplyPlant,
    index: pd.DatetimeIndex,
    forced: Sequence[AvailabilityWindow] = (),
    initial_kw: float | None = None,
) -> PlantProfile:
    """The plant's profile on `index`: its typical output within its availability, ramp-limited (see module)."""
    ext = index.insert(0, index[0] - SLOT)
    expected = np.minimum(plant.typical_output_kw, plant_available_kw(plant, ext, forced)).astype(float)
    if initial_kw is not None:
        expected[0] = initial_kw
    ramp = plant.ramp_kw_per_slot
    if ramp is None:
        return PlantProfile(plant_available_kw(plant, index, forced), expected[1:], None, None, float(expected[0]))
    trips = _trip_slots(forced, ext)
    out = _ramped(expected, trips, ramp)
    up = np.full(len(index), ramp)
    down = np.where(trips[1:], plant.capacity_kw, ramp)
    down[0] = max(down[0], out[0] - out[1])  # the slot before the horizon is past: follow what is left
    return PlantProfile(plant_available_kw(plant, index, forced), out[1:], up, down, float(out[0]))


def plant_forecast_kw(
    plant: SupplyPlant, index: pd.DatetimeIndex, forced: Sequence[AvailabilityWindow] = ()
) -> np.ndarray:
    """The plant's expected output in kW per slot (``plant_profile``'s forecast): the one place availability
    windows, forced outages and ramps are applied; the runtime's safe plan uses it too."""
    return plant_profile(plant, index, forced).forecast_kw
