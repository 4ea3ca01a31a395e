"""Assemble a SurvivalInput from a Scenario and period series (PV and critical load per shelter)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from optimizer.outage.from_scenario import aggregate_battery, shelter_critical_kw, travel_matrices
from optimizer.outage.inputs import OutageEV
from optimizer.outage.survival import SurvivalInput, ev_support_rule, survival_hours
from scenarios.model import Facility, Scenario


def islanded_pv(facility: Facility, pv: np.ndarray) -> np.ndarray:
    """PV kW the islanded shelter can use: all of it with a battery or a grid-forming source, else at most its
    PCS self-sustained outlets' kW (the same rule as OutageShelter.usable_pv_kw)."""
    duty = facility.shelter
    if facility.batteries or (duty is not None and duty.grid_forming_source):
        return pv
    return np.asarray(np.minimum(pv, sum(a.self_sustained_kw for a in facility.pv_arrays)), dtype=float)


def survival_input_from_scenario(
    scenario: Scenario,
    index: pd.DatetimeIndex,
    duration_slots: int,
    pv_kw: pd.DataFrame | None = None,
    critical_kw: pd.DataFrame | None = None,
    battery_soc: float | None = None,
) -> SurvivalInput:
    """Survival input over `index` (period starts + duration, 30-min, tz-aware) for all shelters.

    pv_kw / critical_kw: kW per slot, columns = shelter ids (missing column: no PV / the shelter duty
    profile). battery_soc: start SoC of every battery (fraction); None = each battery's initial_soc.
    EV support: home-based cars plus the allotment rule of `ev_support_rule` (dealer cars included). PV at a
    shelter without a battery or grid-forming source is limited to its self-sustained outlet (`islanded_pv`).
    """
    if index.tz is None:
        raise ValueError("index: the period index has no timezone; localise it to Asia/Tokyo")
    shelters = scenario.shelters
    ids = tuple(f.id for f in shelters)
    n = len(index)

    def column(frame: pd.DataFrame | None, fid: str, default: np.ndarray) -> np.ndarray:
        if frame is None or fid not in frame.columns:
            return default
        return frame[fid].reindex(index).fillna(0.0).to_numpy(dtype=float)

    critical = np.column_stack([column(critical_kw, f.id, shelter_critical_kw(f, index)) for f in shelters])
    pv = np.column_stack([islanded_pv(f, column(pv_kw, f.id, np.zeros(n))) for f in shelters])
    base = SurvivalInput(
        index=index,
        shelter_ids=ids,
        critical_kw=critical,
        pv_kw=pv,
        batteries=tuple(aggregate_battery(f, battery_soc) for f in shelters),
        duration_slots=duration_slots,
    )
    site_ids = list(ids) + sorted({e.home_facility for e in scenario.evs} - set(ids))
    km, steps = travel_matrices(
        [scenario.facility(i) for i in site_ids], scenario.travel.road_factor, scenario.travel.disaster_speed_kmh
    )
    evs = tuple(
        OutageEV(
            e.id,
            site_ids.index(e.home_facility),
            e.capacity_kwh,
            e.initial_soc,
            e.soc_floor,
            e.v2h_kw,
            e.v2l_kw,
            e.consumption_kwh_per_km,
        )
        for e in scenario.evs
        if e.v2h_kw > 0 or e.v2l_kw > 0
    )
    autonomy = survival_hours(base, with_evs=False).mean(axis=0)
    bidirectional = tuple(any(c.bidirectional for c in f.ev_chargers) for f in shelters)
    return replace(base, cars=ev_support_rule(ids, evs, bidirectional, km, steps, autonomy))
