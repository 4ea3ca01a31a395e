"""The loop's rolling horizon: a fixed number of 30-min slots from the slot containing `now` (Asia/Tokyo)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from scenarios.timegrid import SLOT_FREQ, default_horizon

HORIZON_SLOTS = 96
"""Slots of the live loop's horizon (48 h)."""


def horizon_index(now: dt.datetime, slots: int = HORIZON_SLOTS) -> tuple[pd.DatetimeIndex, float]:
    """Rolling horizon of a fixed `slots` slots from the slot containing `now` (first slot may be partial).

    Returns the slot starts and the fraction (0..1] of the first slot still ahead of `now`. The length is fixed
    (not "to the end of tomorrow") so that the rolling planner keeps its built model and only updates data at each
    re-plan; a shrinking horizon would change the model's shape every slot.
    """
    horizon = default_horizon(now, max_slots=slots)
    index = pd.date_range(horizon.index[0], periods=slots, freq=SLOT_FREQ, name="slot_start")
    return index, horizon.first_slot_fraction
