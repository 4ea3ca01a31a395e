"""When each car can leave for the shelters in an outage, from the scenario's fleet calendar.

The calendar (scenarios.model.ElectricVehicle): a car stands at its home charger inside its plug windows
(`weekday` windows Monday-Friday, `weekend` windows on Saturdays, Sundays and Japanese public holidays, local
time, a window may wrap past midnight); outside them it is away, on official use on weekdays or with a
citizen on car-sharing on weekends and holidays, until its next window starts. A dated booking overrides the
windows: the car is away from the booking's start to its end. A car without windows (a dealer car) stands at
its base. Once at its base, a car leaves `mobilisation_delay_h` later (a driver must be found; for a dealer car
the hours until the dealer hands it over). Times tz-aware; shown Asia/Tokyo.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scenarios.datasets import is_japanese_holiday
from scenarios.model import ElectricVehicle, PlugWindow, Scenario
from scenarios.timegrid import TZ

LOOKAHEAD_DAYS = 4


@dataclass(frozen=True)
class CarAvailability:
    """One car at the outage start: where it is ('base' or 'away'), why, when it is back at its base and the
    earliest time it can leave for a shelter (back + mobilisation delay), None if not within LOOKAHEAD_DAYS."""

    car: str
    state: str
    reason: str
    back_at: pd.Timestamp | None
    free_from: pd.Timestamp | None


def is_weekend_day(day: dt.date) -> bool:
    """True on Saturdays, Sundays and Japanese public holidays (the car-sharing days, `weekend` windows)."""
    return day.weekday() >= 5 or is_japanese_holiday(day)


def _window_intervals(car: ElectricVehicle, first: dt.date, days: int) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The car's plug windows as tz-aware intervals [plug-in, leave) on `days` days from `first`."""
    out = []
    for k in range(days):
        day = first + dt.timedelta(days=k)
        windows: list[PlugWindow] = car.weekend if is_weekend_day(day) else car.weekday
        for w in windows:
            begin = pd.Timestamp(dt.datetime.combine(day, w.start), tz=TZ)
            end = pd.Timestamp(dt.datetime.combine(day, w.end), tz=TZ)
            if end <= begin:
                end += pd.Timedelta(days=1)
            out.append((begin, end))
    return out


def _back_at(car: ElectricVehicle, when: pd.Timestamp) -> tuple[str, pd.Timestamp | None]:
    """(reason, time the car is back at its base) for a car at `when`; reason '' if it is there already."""
    for b in car.bookings:
        if pd.Timestamp(b.start) <= when < pd.Timestamp(b.end):
            return f"booking until {pd.Timestamp(b.end).tz_convert(TZ):%a %H:%M} ({b.note or 'fleet calendar'})", (
                pd.Timestamp(b.end).tz_convert(TZ)
            )
    if not car.weekday and not car.weekend:
        return "", when
    local = when.tz_convert(TZ)
    intervals = _window_intervals(car, local.date() - dt.timedelta(days=1), LOOKAHEAD_DAYS + 1)
    if any(a <= local < b for a, b in intervals):
        return "", when
    use = "car-sharing" if is_weekend_day(local.date()) else "official use"
    later = sorted(a for a, _ in intervals if a > local)
    if not later:
        return f"{use}, not back within {LOOKAHEAD_DAYS} days", None
    return f"{use} until {later[0]:%a %H:%M}", later[0]


def car_availability(car: ElectricVehicle, start: pd.Timestamp) -> CarAvailability:
    """Where the car is at the outage `start` (tz-aware) and when it can leave for a shelter."""
    if start.tzinfo is None:
        raise ValueError(f"start: {start} has no timezone; give e.g. 2024-09-07T14:00+09:00")
    reason, back = _back_at(car, start)
    delay = pd.Timedelta(hours=car.mobilisation_delay_h)
    free = None if back is None else back + delay
    if car.disaster_only:
        reason = f"dealer car, handed over after {car.mobilisation_delay_h:g} h"
    elif not reason:
        reason = f"at its base; a driver in {car.mobilisation_delay_h:g} h"
    else:
        reason += f", then a driver in {car.mobilisation_delay_h:g} h"
    return CarAvailability(car.id, "base" if back == start else "away", reason, back, free)


def fleet_availability(scenario: Scenario, start: pd.Timestamp) -> tuple[CarAvailability, ...]:
    """Every car of the scenario at the outage start, in scenario order."""
    return tuple(car_availability(e, start) for e in scenario.evs)


def calendar_options(scenario: Scenario, start: pd.Timestamp) -> tuple[tuple[str, ...], dict[str, pd.Timestamp]]:
    """The calendar as planner options: (cars not back within LOOKAHEAD_DAYS, {car: time it can leave}) with
    only cars that cannot leave at `start` itself in the mapping."""
    off, free = [], {}
    for a in fleet_availability(scenario, start):
        if a.free_from is None:
            off.append(a.car)
        elif a.free_from > start:
            free[a.car] = a.free_from
    return tuple(off), free


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def at_base(car: ElectricVehicle, index: pd.DatetimeIndex) -> np.ndarray:
    """True per slot start of `index` (tz-aware) when the car stands at its base under its calendar (inside a
    plug window of that day's type or of the previous day's wrapping past midnight, and on no booking)."""
    local = index.tz_convert(TZ)
    minute = np.asarray(local.hour * 60 + local.minute)
    days = np.asarray(local.normalize().date)
    unique = {d: is_weekend_day(d) for d in set(days) | {d - dt.timedelta(days=1) for d in set(days)}}
    weekend = np.array([unique[d] for d in days])
    weekend_before = np.array([unique[d - dt.timedelta(days=1)] for d in days])
    if not car.weekday and not car.weekend:
        inside = np.ones(len(index), dtype=bool)
    else:
        inside = np.zeros(len(index), dtype=bool)
        for windows, today, before in (
            (car.weekday, ~weekend, ~weekend_before),
            (car.weekend, weekend, weekend_before),
        ):
            for w in windows:
                a, b = _minutes(w.start), _minutes(w.end)
                if b > a:
                    inside |= today & (minute >= a) & (minute < b)
                else:
                    inside |= (today & (minute >= a)) | (before & (minute < b))
    for booking in car.bookings:
        inside &= ~((index >= pd.Timestamp(booking.start)) & (index < pd.Timestamp(booking.end)))
    return inside


def departure_delay_slots(car: ElectricVehicle, index: pd.DatetimeIndex, slot_hours: float = 0.5) -> np.ndarray:
    """Slots from each slot start of `index` until the car can leave its base for an outage starting then:
    until it is back (its next slot at base) plus its mobilisation delay; len(index) if it is not back within
    the index. The vectorised form of `car_availability` on a slot grid (int array, one per slot)."""
    here = at_base(car, index)
    n = len(index)
    positions = np.where(here, np.arange(n), n)
    back = np.minimum.accumulate(positions[::-1])[::-1]
    delay = int(np.ceil(car.mobilisation_delay_h / slot_hours - 1e-9))
    return np.where(back < n, back - np.arange(n) + delay, n).astype(np.int64)
