"""Assemble an OutageInput from a Scenario plus per-shelter series (travel from coordinates).

Distances are haversine great-circle km × scenario.travel.road_factor; times are km /
scenario.travel.disaster_speed_kmh, rounded up to whole slots; travel energy is km × the car's
consumption_kwh_per_km.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from optimizer.outage.inputs import (
    ChargePoint,
    OutageEV,
    OutageInput,
    OutageInputError,
    OutageShelter,
    StationaryBattery,
    check_outage_input,
)
from scenarios.model import Facility, Scenario
from scenarios.timegrid import SLOT_FREQ, TZ

EARTH_RADIUS_KM = 6371.0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def travel_matrices(
    facilities: list[Facility], road_factor: float, speed_kmh: float, slot_hours: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Road km and whole travel slots between every pair of facilities (same order as given)."""
    n = len(facilities)
    km = np.zeros((n, n))
    for i, a in enumerate(facilities):
        for j, b in enumerate(facilities):
            km[i, j] = haversine_km(a.latitude, a.longitude, b.latitude, b.longitude) * road_factor
    hours = km / speed_kmh
    steps = np.ceil(hours / slot_hours - 1e-9).astype(int)
    np.fill_diagonal(steps, 0)
    return km, steps


def aggregate_battery(facility: Facility, soc_start: float | None = None) -> StationaryBattery | None:
    """The facility's batteries as one (capacity-weighted SoC and efficiencies); None if it has none."""
    if not facility.batteries:
        return None
    cap = facility.battery_kwh

    def weighted(values: list[float]) -> float:
        return sum(v * b.capacity_kwh for v, b in zip(values, facility.batteries, strict=True)) / cap

    bats = facility.batteries
    return StationaryBattery(
        capacity_kwh=cap,
        charge_kw=sum(b.charge_kw for b in bats),
        discharge_kw=sum(b.discharge_kw for b in bats),
        charge_efficiency=weighted([b.charge_efficiency for b in bats]),
        discharge_efficiency=weighted([b.discharge_efficiency for b in bats]),
        soc_start=soc_start if soc_start is not None else weighted([b.initial_soc for b in bats]),
        soc_min=weighted([b.soc_min for b in bats]),
        soc_max=weighted([b.soc_max for b in bats]),
    )


def outlet_fields(facility: Facility) -> dict[str, Any]:
    """OutageShelter's charger and outlet fields from the facility: its bidirectional chargers (count, the
    smallest discharge rating in kW), the shelter's wiring and grid-forming source, the PCS outlets' kW."""
    v2h = [c for c in facility.ev_chargers if c.bidirectional]
    ratings = [c.discharge_kw for c in v2h if c.discharge_kw > 0]
    duty = facility.shelter
    return {
        "bidirectional_charger": bool(v2h),
        "v2h_chargers": len(v2h),
        "v2h_charger_kw": min(ratings) if ratings else None,
        "v2l_parallel": bool(duty and duty.v2l_parallel_wiring),
        "grid_forming": bool(duty and duty.grid_forming_source),
        "pv_outlet_kw": sum(a.self_sustained_kw for a in facility.pv_arrays),
    }


def shelter_critical_kw(facility: Facility, index: pd.DatetimeIndex) -> np.ndarray:
    """Critical load in kW per slot from the shelter duty: base, × evening_peak_factor 17:00-22:00 local."""
    if facility.shelter is None:
        raise OutageInputError(f"facility {facility.id}: not a shelter (no 'shelter' block)")
    hours = index.tz_convert(TZ).hour
    factor = np.where((hours >= 17) & (hours < 22), facility.shelter.evening_peak_factor, 1.0)
    return facility.shelter.critical_load_kw * factor


def scenario_charge_points(scenario: Scenario) -> dict[str, tuple[int, float]]:
    """Facilities with power for EV charging in an outage: {id: (chargers, kW each)} (shelters excluded)."""
    return {
        f.id: (f.outage_chargers, f.outage_charger_kw)
        for f in scenario.facilities
        if f.outage_chargers and not f.shelter
    }


def free_slot(index: pd.DatetimeIndex, when: pd.Timestamp | None) -> int:
    """First slot starting at or after `when` (0 if None or before the outage, len(index) if after it)."""
    if when is None:
        return 0
    if when.tzinfo is None:
        raise OutageInputError(f"available_from: {when} has no timezone; give e.g. 2024-09-01T18:00+09:00")
    return int(index.searchsorted(when, side="left"))


def shelter_tier1_kw(facility: Facility, critical: np.ndarray, index: pd.DatetimeIndex) -> np.ndarray:
    """Tier-1 load in kW per slot (lighting, communications, medical devices, phone charging), at most the
    critical load: medical_kw + comms_kw + population × tier1_w_per_person (× evening_peak_factor 17:00-22:00
    local), or tier1_share × critical load when the population is unknown."""
    duty = facility.shelter
    if duty is None:
        return critical
    if duty.population is None:
        return np.asarray(critical * duty.tier1_share, dtype=float)
    hours = index.tz_convert(TZ).hour
    evening = np.where((hours >= 17) & (hours < 22), duty.evening_peak_factor, 1.0)
    people = duty.population * duty.tier1_w_per_person / 1000.0 * evening
    return np.asarray(np.minimum(duty.medical_kw + duty.comms_kw + people, critical), dtype=float)


def input_from_scenario(
    scenario: Scenario,
    start: pd.Timestamp,
    n_slots: int,
    pv_kw: Mapping[str, np.ndarray],
    critical_kw: Mapping[str, np.ndarray] | None = None,
    *,
    shelter_ids: list[str] | None = None,
    ev_soc: Mapping[str, float] | None = None,
    battery_soc: Mapping[str, float] | None = None,
    unavailable_evs: tuple[str, ...] = (),
    available_from: Mapping[str, pd.Timestamp] | None = None,
    block_slots: int = 8,
    candidate_shelters: int = 21,
    charge_points: Mapping[str, tuple[int, float]] | None = None,
) -> OutageInput:
    """Outage input for the scenario's shelters (or `shelter_ids`), all EVs (dealer cars included).

    pv_kw / critical_kw: kW arrays of length n_slots per shelter id (missing PV = none; missing critical
    load = the shelter duty's profile). ev_soc / battery_soc override start SoC (fractions) by id.
    available_from: tz-aware time from which a car may leave (e.g. busy until 18:00), by car id.
    charge_points: {facility id: (chargers, kW each)} where cars recharge; None = the scenario's facilities
    with outage_chargers > 0.
    """
    shelters = [scenario.facility(i) for i in shelter_ids] if shelter_ids else scenario.shelters
    known = {e.id for e in scenario.evs}
    for name, ids in (
        ("ev_soc", ev_soc or {}),
        ("unavailable_evs", unavailable_evs),
        ("available_from", available_from or {}),
    ):
        unknown = sorted(set(ids) - known)
        if unknown:
            raise OutageInputError(
                f"{name}: no car {', '.join(unknown)} in the scenario; known: {', '.join(sorted(known))}"
            )
    facilities = {f.id for f in scenario.facilities}
    if set(battery_soc or {}) - facilities:
        raise OutageInputError(f"battery_soc: no facility {', '.join(sorted(set(battery_soc or {}) - facilities))}")
    index = pd.date_range(start, periods=n_slots, freq=SLOT_FREQ)
    critical_kw = critical_kw or {}
    ev_soc, battery_soc = ev_soc or {}, battery_soc or {}
    out_shelters = tuple(
        OutageShelter(
            id=f.id,
            critical_kw=(load := np.asarray(critical_kw.get(f.id, shelter_critical_kw(f, index)), dtype=float)),
            tier1_kw=shelter_tier1_kw(f, load, index),
            pv_kw=np.asarray(pv_kw.get(f.id, np.zeros(n_slots)), dtype=float),
            priority=f.shelter.priority if f.shelter else 1.0,
            battery=aggregate_battery(f, battery_soc.get(f.id)),
            **outlet_fields(f),
            comfort_kw=np.full(n_slots, f.shelter.comfort_kw) if f.shelter and f.shelter.comfort_kw else None,
        )
        for f in shelters
    )
    site_ids = [f.id for f in shelters]
    points = dict(charge_points) if charge_points is not None else scenario_charge_points(scenario)
    for fid in points:
        if fid not in {f.id for f in scenario.facilities}:
            raise OutageInputError(f"charge_points: no facility {fid} in the scenario")
        if fid in site_ids:
            raise OutageInputError(f"charge_points: {fid} is a shelter; cars recharge at places outside the outage")
        site_ids.append(fid)
    for ev in scenario.evs:
        if ev.home_facility not in site_ids:
            site_ids.append(ev.home_facility)
    sites = [scenario.facility(i) for i in site_ids]
    km, steps = travel_matrices(sites, scenario.travel.road_factor, scenario.travel.disaster_speed_kmh)
    evs = tuple(
        OutageEV(
            id=e.id,
            site=site_ids.index(e.home_facility),
            capacity_kwh=e.capacity_kwh,
            soc_start=ev_soc.get(e.id, e.initial_soc),
            soc_floor=e.soc_floor,
            v2h_kw=e.v2h_kw,
            v2l_kw=e.v2l_kw,
            consumption_kwh_per_km=e.consumption_kwh_per_km,
            charge_kw=e.charge_kw,
            available=e.id not in unavailable_evs,
            available_from_slot=free_slot(index, (available_from or {}).get(e.id)),
            engine_kw=e.engine_kw,
            fuel_kwh=e.fuel_kwh,
        )
        for e in scenario.evs
        if e.v2h_kw > 0 or e.v2l_kw > 0
    )
    data = OutageInput(
        start=pd.Timestamp(start),
        shelters=out_shelters,
        evs=evs,
        site_ids=tuple(site_ids),
        distance_km=km,
        travel_slots=steps,
        n_slots=n_slots,
        block_slots=block_slots,
        candidate_shelters=candidate_shelters,
        charge_points=tuple(ChargePoint(f, site_ids.index(f), n, kw) for f, (n, kw) in points.items()),
    )
    check_outage_input(data)
    return data
