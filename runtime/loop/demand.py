"""Measured demand the optimiser's billing terms start from: this month's and the 12-month 30-min peaks per
facility, the group's peak so far in the capacity season, and the energy already metered in the current slot.

Peaks come from the stored 30-minute grid-meter aggregates (``runtime.store.demand``; the settle step writes one
per finished slot); months and seasons are Asia/Tokyo calendar months, the 12 months are this one and the 11
before (the high-voltage ratchet's window). A scenario value (``Facility.peak_this_month_kw``,
``peak_12_months_kw``, the capacity season's ``*_peak_so_far_kw``) acts as a floor the operator may set, e.g. from
bills the meters here do not cover. kW, kWh; `now` tz-aware.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from runtime.loop.following import grid_meters, metered_energy_kwh
from runtime.loop.service import Service
from runtime.store import demand, readings
from scenarios.device_identity import DeviceKey
from scenarios.model import Scenario
from scenarios.timegrid import TZ


@dataclass(frozen=True)
class MeasuredDemand:
    """Per facility id: peak_this_month_kw, peak_12_months_kw (kW), metered_kwh_first_slot (kWh imported in the
    current slot before `now`); capacity_peak_kw: the group's peak so far this capacity season (None outside)."""

    peak_this_month_kw: dict[str, float] = field(default_factory=dict)
    peak_12_months_kw: dict[str, float] = field(default_factory=dict)
    metered_kwh_first_slot: dict[str, float] = field(default_factory=dict)
    capacity_peak_kw: float | None = None


def month_start(ts: pd.Timestamp, months_back: int = 0) -> pd.Timestamp:
    """00:00 JST of the first day of the month `months_back` months before the month of `ts`."""
    local = ts.tz_convert(TZ)
    first = pd.Timestamp(year=local.year, month=local.month, day=1, tz=TZ)
    return first - pd.DateOffset(months=months_back)


def season_start(scenario: Scenario, ts: pd.Timestamp) -> pd.Timestamp | None:
    """Start (JST) of the capacity season `ts` lies in (its earliest consecutive season month), else None."""
    capacity = scenario.market.capacity
    season = next((m for m in (capacity.summer_months, capacity.winter_months) if ts.tz_convert(TZ).month in m), None)
    if season is None:
        return None
    back = 0
    while back < 11 and month_start(ts, back + 1).month in season:
        back += 1
    return month_start(ts, back)


def _metered_in_slot(svc: Service, slot_start: dt.datetime, now: dt.datetime) -> dict[str, float]:
    """kWh each facility's grid meters imported from the slot start to `now` (a meter without a reading in the
    slot is taken to have held its latest kW since the slot start); exports count as 0."""
    meters = grid_meters(svc.scenario)
    latest = {(r.facility_id, r.device_id): r.value for r in readings.latest_values(svc.store) if r.point == "power_kw"}
    series: dict[tuple[str, str], list[tuple[dt.datetime, float]]] = {k: [] for k in meters if k in latest}
    for r in readings.readings_between(svc.store, slot_start, now, point="power_kw"):
        if (r.facility_id, r.device_id) in series:
            series[(r.facility_id, r.device_id)].append((r.ts, r.value))
    energy: dict[str, float] = {}
    for key, samples in series.items():
        held = samples or [(slot_start, latest[key])]
        kwh = metered_energy_kwh({str(DeviceKey(*key)): held}, slot_start, now)
        energy[key[0]] = energy.get(key[0], 0.0) + kwh
    return {fid: max(0.0, kwh) for fid, kwh in energy.items()}


def measured_demand(svc: Service, now: dt.datetime, slot_start: dt.datetime, partial: bool) -> MeasuredDemand:
    """The measured peaks up to the slot starting at `slot_start` (the plan's first), with the scenario's values
    as floors; with `partial` (the plan starts inside that slot) also the energy metered in it so far."""
    start = pd.Timestamp(slot_start)
    meters = grid_meters(svc.scenario)
    end = start.to_pydatetime()
    month = demand.facility_peaks_kw(svc.store, meters, month_start(start).to_pydatetime(), end)
    year = demand.facility_peaks_kw(svc.store, meters, month_start(start, 11).to_pydatetime(), end)
    supplied = svc.scenario.supplied
    season = season_start(svc.scenario, start)
    capacity = None
    if season is not None:
        measured = demand.group_peak_kw(svc.store, meters, season.to_pydatetime(), end) or 0.0
        capacity = max(measured, svc.scenario.market.capacity.peak_so_far_kw(start.tz_convert(TZ).month))
    return MeasuredDemand(
        peak_this_month_kw={f.id: max(month.get(f.id, 0.0), f.peak_this_month_kw) for f in supplied},
        peak_12_months_kw={f.id: max(year.get(f.id, 0.0), f.peak_12_months_kw) for f in supplied},
        metered_kwh_first_slot=_metered_in_slot(svc, slot_start, now) if partial else {},
        capacity_peak_kw=capacity,
    )
