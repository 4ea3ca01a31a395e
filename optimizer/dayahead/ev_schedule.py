"""When a fleet car is at its charger, what it should hold when it leaves and what its trips use (pure).

Plug windows come from the car's weekday/weekend ``PlugWindow`` list chosen by the Japanese day type of the
local date (Saturdays, Sundays and holidays use ``weekend``); a slot is plugged when the car is at the charger
for all of it. Dated bookings from the fleet calendar override the windows: the car is away in every slot
that overlaps a booking, should leave with the booking's departure SoC, and its trip energy (km x
consumption) is removed when it is back at the charger. A return from an ordinary (window) absence removes
the assumed daily trip. Slots are named by their start (tz-aware); energies in kWh, SoC fractions 0..1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scenarios.datasets import day_type
from scenarios.model import Booking, ElectricVehicle, PlugWindow
from scenarios.timegrid import SLOT, TZ


def windows_for(ev: ElectricVehicle, day: dt.date) -> list[PlugWindow]:
    """The car's plug windows on a local date: weekday list on Japanese weekdays, weekend list otherwise."""
    return ev.weekday if day_type(day) == "weekday" else ev.weekend


def plug_schedule(ev: ElectricVehicle, index: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """(plugged 0/1 per slot, departure SoC fraction at the last plugged slot before each departure, else 0)
    from the weekly plug windows alone (no bookings).

    A slot counts as plugged only if the car is at the charger for all of it (windows off the 30-min grid are
    rounded inwards: a car arriving 18:15 and leaving 07:15 is plugged in the slots 18:30 .. 06:30), so a plan
    never charges a car that has left or not yet arrived."""
    local = index.tz_convert(TZ)
    plugged = np.zeros(len(index))
    target = np.zeros(len(index))
    days = sorted({d - dt.timedelta(days=1) for d in local.date} | set(local.date))
    for day in days:
        for w in windows_for(ev, day):
            start = pd.Timestamp(dt.datetime.combine(day, w.start)).tz_localize(TZ)
            end_day = day + dt.timedelta(days=1) if w.end <= w.start else day
            end = pd.Timestamp(dt.datetime.combine(end_day, w.end)).tz_localize(TZ)
            inside = (local >= start) & (local + SLOT <= end)
            plugged[inside] = 1.0
            last = np.flatnonzero(inside)
            if len(last) and local[last[-1]] + 2 * SLOT > end:  # no later whole slot: the car leaves after it
                target[last[-1]] = max(target[last[-1]], w.departure_soc)
    return plugged, target


@dataclass(frozen=True)
class CarSchedule:
    """A car's plan-horizon schedule: plugged (0/1), departure target SoC (fraction, 0 = none) and the trip
    energy removed on return (kWh), per slot."""

    plugged: np.ndarray
    target_soc: np.ndarray
    trip_kwh: np.ndarray


def _booked(booking: Booking, index: pd.DatetimeIndex) -> np.ndarray:
    """Slots that overlap the booking (the car is away for at least part of them)."""
    start, end = pd.Timestamp(booking.start), pd.Timestamp(booking.end)
    return np.asarray((index < end) & (index + SLOT > start), dtype=bool)


def _trips(
    ev: ElectricVehicle, index: pd.DatetimeIndex, plugged: np.ndarray, weekly: np.ndarray, daily_km: float
) -> np.ndarray:
    """Trip energy removed in each arrival slot: the daily trip if the absence includes an ordinary (window)
    absence, plus every booking that ended during it."""
    trip = np.zeros(len(index))
    for t in np.flatnonzero((plugged == 1) & (np.concatenate([[plugged[0]], plugged[:-1]]) == 0)).tolist():
        away = np.flatnonzero(plugged[:t] == 1)
        s = int(away[-1]) + 1 if len(away) else 0
        km = daily_km if (weekly[s:t] == 0).any() else 0.0
        km += sum(b.km for b in ev.bookings if index[s] < pd.Timestamp(b.end) <= index[t])
        trip[t] = km * ev.consumption_kwh_per_km
    return trip


def car_schedule(ev: ElectricVehicle, index: pd.DatetimeIndex, daily_km: float) -> CarSchedule:
    """The car's schedule on `index` from its plug windows and bookings (see the module docstring)."""
    weekly, target = plug_schedule(ev, index)
    plugged = weekly.copy()
    for b in ev.bookings:
        away = _booked(b, index)
        if not away.any():
            continue
        plugged[away] = 0.0
        target[away] = 0.0
        first = int(np.argmax(away))
        if first > 0 and plugged[first - 1]:  # it leaves for the booking after this slot
            target[first - 1] = max(target[first - 1], b.departure_soc)
    target[plugged == 0] = 0.0
    return CarSchedule(plugged, target, _trips(ev, index, plugged, weekly, daily_km))
