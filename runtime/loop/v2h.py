"""V2H energy each EV charger gave the site in the 24 h before a plan: what the car owner's limit counts.

The optimiser keeps a car's V2H energy within ``v2h_max_kwh_per_24h`` in every 24-hour window; the windows that
reach back before the plan's start need what the car already gave (``Overrides.v2h_kwh_24h``). Without it every
rolling re-plan would start with the whole allowance again, and over a day the car would give far more.

Measured from the stored charger ``power_kw`` (+ = charging the car, - = V2H into the site): finished slots
from their 30-min aggregates (a slot's mean below 0 gave -mean x 0.5 h), the slot under way from its raw
readings (each held until the next, the last until `now`): the 48 finished slots before the current one and
the current one so far, 24 to 24.5 h (the longer side: the limit is not exceeded). kWh per 'facility/charger'
key; `now` tz-aware.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from runtime.loop.following import metered_energy_kwh
from runtime.loop.service import Service
from runtime.store import readings
from scenarios.timegrid import SLOT_FREQ, SLOT_HOURS

WINDOW = dt.timedelta(hours=24)
Key = tuple[str, str]


def v2h_chargers(svc: Service) -> set[Key]:
    """(facility id, charger id) of every bidirectional EV charger at a supplied facility."""
    return {(f.id, c.id) for f in svc.scenario.supplied for c in f.ev_chargers if c.bidirectional}


def _finished_slots_kwh(svc: Service, keys: set[Key], start: dt.datetime, end: dt.datetime) -> dict[Key, float]:
    """kWh given by V2H per charger in the finished slots [start, end), from the slots' mean power."""
    out: dict[Key, float] = {}
    for fid in sorted({fid for fid, _ in keys}):
        for row in readings.aggregates_between(svc.store, start, end, facility_id=fid, point="power_kw"):
            key = (row.facility_id, row.device_id)
            if key in keys and row.mean < 0:
                out[key] = out.get(key, 0.0) - row.mean * SLOT_HOURS
    return out


def _current_slot_kwh(svc: Service, keys: set[Key], start: dt.datetime, now: dt.datetime) -> dict[Key, float]:
    """kWh given by V2H per charger from `start` (the current slot's start) to `now`, from raw readings."""
    out: dict[Key, float] = {}
    for fid, cid in sorted(keys):
        rows = readings.readings_between(svc.store, start, now, facility_id=fid, device_id=cid, point="power_kw")
        if rows:
            out[(fid, cid)] = metered_energy_kwh({"v2h": [(r.ts, max(0.0, -r.value)) for r in rows]}, start, now)
    return out


def v2h_kwh_24h(svc: Service, now: dt.datetime) -> dict[str, float]:
    """kWh each bidirectional charger gave the site by V2H in the 24 h before `now` ('facility/charger' -> kWh;
    chargers that gave nothing are left out)."""
    keys = v2h_chargers(svc)
    if not keys:
        return {}
    slot_start = pd.Timestamp(now).floor(SLOT_FREQ).to_pydatetime()
    total = _finished_slots_kwh(svc, keys, slot_start - WINDOW, slot_start)
    for key, kwh in _current_slot_kwh(svc, keys, slot_start, now).items():
        total[key] = total.get(key, 0.0) + kwh
    return {f"{fid}/{cid}": kwh for (fid, cid), kwh in sorted(total.items()) if kwh > 0}
