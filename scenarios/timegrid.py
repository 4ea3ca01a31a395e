"""The 30-minute time grid: tz-aware slots named by their start, JEPX slot numbers, horizons.

Conventions: a slot is [start, start + 30 min); it is named by its start. The market day has 48 slots
(JEPX コマ 1 = 00:00-00:30 JST). Japan has no daylight saving time, so every JST day has 48 slots.
Naive datetimes are refused everywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

TZ = "Asia/Tokyo"
SLOT = pd.Timedelta(minutes=30)
SLOT_HOURS = 0.5
SLOT_FREQ = "30min"
SLOTS_PER_DAY = 48


class NaiveTimeError(ValueError):
    """A timestamp without a timezone was given where a tz-aware one is required."""


def require_aware(ts: dt.datetime | pd.Timestamp, field: str = "timestamp") -> pd.Timestamp:
    """Return ts as a pandas Timestamp; raise NaiveTimeError naming `field` if it has no timezone."""
    stamp = pd.Timestamp(ts)
    if stamp.tzinfo is None:
        raise NaiveTimeError(
            f"{field}: timestamp {stamp.isoformat()} has no timezone; give one, e.g. '{stamp.isoformat()}+09:00'"
        )
    return stamp


def require_aware_index(index: pd.Index, field: str = "index") -> pd.DatetimeIndex:
    """Return index as a DatetimeIndex; raise NaiveTimeError if it is naive or not datetimes."""
    if not isinstance(index, pd.DatetimeIndex):
        raise NaiveTimeError(f"{field}: expected a DatetimeIndex, got {type(index).__name__}")
    if index.tz is None:
        raise NaiveTimeError(f"{field}: the datetime index has no timezone; localise it (e.g. tz_localize('UTC'))")
    return index


def utcnow() -> dt.datetime:
    """The current wall-clock time, tz-aware UTC: read it at the entry points and pass it in (tests pass their own)."""
    return dt.datetime.now(dt.UTC)


def floor_to_slot(ts: dt.datetime | pd.Timestamp) -> pd.Timestamp:
    """Start of the 30-minute slot containing ts, in Asia/Tokyo."""
    return require_aware(ts).tz_convert(TZ).floor(SLOT_FREQ)


def slots(start: dt.datetime | pd.Timestamp, end: dt.datetime | pd.Timestamp) -> pd.DatetimeIndex:
    """Slot starts covering [start, end): the first is the slot containing start (it may be partial)."""
    first = floor_to_slot(start)
    stop = require_aware(end, "end").tz_convert(TZ)
    if stop <= first:
        raise ValueError(f"end ({stop.isoformat()}) must be after start ({first.isoformat()})")
    return pd.date_range(first, stop, freq=SLOT_FREQ, inclusive="left", name="slot_start")


def day_slots(day: dt.date) -> pd.DatetimeIndex:
    """The 48 slot starts of a JST market day."""
    start = pd.Timestamp(day).tz_localize(TZ)
    return pd.date_range(start, periods=SLOTS_PER_DAY, freq=SLOT_FREQ, name="slot_start")


def jepx_slot_number(ts: dt.datetime | pd.Timestamp) -> int:
    """JEPX slot code 1..48 of the slot containing ts (1 = 00:00-00:30 JST)."""
    start = floor_to_slot(ts)
    return start.hour * 2 + start.minute // 30 + 1


def slot_fraction(ts: dt.datetime | pd.Timestamp) -> float:
    """Fraction 0..1 of the slot containing ts that remains after ts (1.0 at a slot start)."""
    stamp = require_aware(ts).tz_convert(TZ)
    elapsed = stamp - floor_to_slot(stamp)
    return float(1.0 - elapsed / SLOT)


@dataclass(frozen=True)
class Horizon:
    """A planning horizon: slot starts and the usable fraction of the first slot."""

    index: pd.DatetimeIndex
    first_slot_fraction: float

    @property
    def hours(self) -> list[float]:
        """Length in hours of each slot (the first may be shorter)."""
        return [SLOT_HOURS * (self.first_slot_fraction if i == 0 else 1.0) for i in range(len(self.index))]


def default_horizon(now: dt.datetime | pd.Timestamp, max_slots: int = 96) -> Horizon:
    """From the slot containing `now` to the end of tomorrow (JST), at most max_slots slots."""
    stamp = require_aware(now, "now").tz_convert(TZ)
    end_of_tomorrow = stamp.normalize() + pd.Timedelta(days=2)
    index = slots(stamp, end_of_tomorrow)[:max_slots]
    return Horizon(index=index, first_slot_fraction=slot_fraction(stamp))
