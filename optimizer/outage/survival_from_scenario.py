"""Assemble a SurvivalInput from a Scenario and period series (PV and critical load per shelter), as REopt's
outage simulator does it: PV from the series given (a weather file's when the caller used one), each
battery's starting SoC from normal operation before the outage (`normal_soc`, the day-ahead baseline's rule)
when the facility load is given, the cars allotted by the plan's greedy rule with the plan's charger and
outlet physics, each car leaving when the fleet calendar lets it at that start (`availability`), a PHEV's
engine as a generator with its fuel. Units: kW, kWh, h; 30-min tz-aware index.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from optimizer.outage.availability import departure_delay_slots
from optimizer.outage.from_scenario import aggregate_battery, input_from_scenario, outlet_fields, shelter_critical_kw
from optimizer.outage.from_scenario import travel_matrices as travel_matrices
from optimizer.outage.greedy import greedy_assignment
from optimizer.outage.inputs import MAX_SLOTS, OutageInput, StationaryBattery
from optimizer.outage.normal_soc import baseline_battery_kwh
from optimizer.outage.survival import CarSupport, SurvivalInput, survival_hours
from scenarios.model import Facility, Scenario


def islanded_pv(facility: Facility, pv: np.ndarray) -> np.ndarray:
    """PV kW the islanded shelter can use: all of it with a battery or a grid-forming source, else at most its
    PCS self-sustained outlets' kW (the same rule as OutageShelter.usable_pv_kw)."""
    duty = facility.shelter
    if facility.batteries or (duty is not None and duty.grid_forming_source):
        return pv
    return np.asarray(np.minimum(pv, sum(a.self_sustained_kw for a in facility.pv_arrays)), dtype=float)


def comfort_matrix(shelters: list[Facility], n: int) -> np.ndarray | None:
    """The comfort tier's kW per slot and shelter (n, shelters) from shelter.comfort_kw; None if no shelter
    states one."""
    kw = np.array([f.shelter.comfort_kw if f.shelter else 0.0 for f in shelters])
    return None if not kw.any() else np.tile(kw, (n, 1))


def normal_operation_kwh(
    shelters: list[Facility],
    batteries: tuple[StationaryBattery | None, ...],
    load_kw: np.ndarray,
    pv_kw: np.ndarray,
    n_starts: int,
) -> np.ndarray:
    """Stored kWh per start and shelter (starts, shelters) under the baseline's battery rule in normal
    operation (0 where a shelter has no battery); the floor is max(soc_min, reserve_soc) and the shelter's
    reserve (reserve_hours × critical_load_kw), as in the day-ahead baseline."""
    out = np.zeros((n_starts, len(shelters)))
    cols = [j for j, b in enumerate(batteries) if b is not None]
    if not cols:
        return out
    bats = [b for b in batteries if b is not None]
    floors = []
    for j, b in zip(cols, bats, strict=True):
        f = shelters[j]
        floor_soc = sum(x.floor_soc * x.capacity_kwh for x in f.batteries) / b.capacity_kwh
        reserve = f.shelter.reserve_hours * f.shelter.critical_load_kw if f.shelter else 0.0
        floors.append(min(max(floor_soc * b.capacity_kwh, b.soc_min * b.capacity_kwh + reserve), b.ceiling_kwh))
    levels = baseline_battery_kwh(
        load_kw[:n_starts, cols],
        pv_kw[:n_starts, cols],
        np.array([b.start_kwh for b in bats]),
        np.array(floors),
        np.array([b.soc_max * b.capacity_kwh for b in bats]),
        (np.array([b.charge_kw for b in bats]), np.array([b.discharge_kw for b in bats])),
        (np.array([b.charge_efficiency for b in bats]), np.array([b.discharge_efficiency for b in bats])),
    )
    out[:, cols] = levels
    return out


def greedy_supports(
    scenario: Scenario, base: SurvivalInput, start: int = 0, calendar: bool = True
) -> tuple[CarSupport, ...]:
    """The cars allotted by the plan's greedy rule (optimizer.outage.greedy.greedy_assignment) for the outage
    beginning at start index `start` of `base` (every car free at its base): each car keeps its shelter in
    every simulated outage, arriving after its travel time plus, with `calendar`, the delay the fleet calendar
    and its mobilisation delay give at that start; energy on arrival less travel; a PHEV's fuel as kWh."""
    n_slots = min(base.duration_slots, MAX_SLOTS)
    window = slice(start, start + n_slots)
    soc = None
    if base.battery_start_kwh is not None:
        soc = {
            sid: float(base.battery_start_kwh[start, j] / b.capacity_kwh)
            for j, (sid, b) in enumerate(zip(base.shelter_ids, base.batteries, strict=True))
            if b is not None
        }
    data = input_from_scenario(
        scenario,
        base.index[start],
        n_slots,
        {sid: base.pv_kw[window, j] for j, sid in enumerate(base.shelter_ids)},
        {sid: base.critical_kw[window, j] for j, sid in enumerate(base.shelter_ids)},
        shelter_ids=list(base.shelter_ids),
        battery_soc=soc,
        charge_points={},
        block_slots=min(8, n_slots),
    )
    assignment = greedy_assignment(data)
    return _supports(scenario, data, assignment, base, calendar)


def _supports(
    scenario: Scenario, data: OutageInput, assignment: np.ndarray, base: SurvivalInput, calendar: bool
) -> tuple[CarSupport, ...]:
    cars = {e.id: e for e in scenario.evs}
    out = []
    for v, ev in enumerate(data.usable_evs):
        chosen = [int(j) for j in assignment[v] if j >= 0]
        if not chosen:
            continue
        s = chosen[0]
        shelter = data.shelters[s]
        travel = int(data.travel_slots[ev.site, s])
        delay = None
        if calendar:
            delay = departure_delay_slots(cars[ev.id], base.index)[: base.n_starts] + travel
        usable = ev.start_kwh - data.distance_km[ev.site, s] * ev.consumption_kwh_per_km - ev.floor_kwh
        car = cars[ev.id]
        out.append(
            CarSupport(
                ev.id,
                s,
                ev.power_at(shelter),
                max(usable, 0.0),
                travel,
                ev.discharge_efficiency,
                v2h=ev.uses_v2h(shelter),
                engine_kw=car.engine_kw,
                fuel_kwh=car.fuel_kwh,
                delay_by_start=delay,
            )
        )
    return tuple(out)


def survival_input_from_scenario(
    scenario: Scenario,
    index: pd.DatetimeIndex,
    duration_slots: int,
    pv_kw: pd.DataFrame | None = None,
    critical_kw: pd.DataFrame | None = None,
    battery_soc: float | None = None,
    *,
    load_kw: pd.DataFrame | None = None,
    allotment: str = "greedy",
    calendar: bool = True,
    pv_normal_kw: pd.DataFrame | None = None,
) -> SurvivalInput:
    """Survival input over `index` (period starts + duration, 30-min, tz-aware) for all shelters.

    pv_kw / critical_kw: kW per slot, columns = shelter ids (missing column: no PV / the shelter duty
    profile). battery_soc: start SoC of every battery (fraction); None = from normal operation when load_kw
    (the facilities' normal load, kW per slot) is given, else each battery's initial_soc. pv_normal_kw: PV in
    normal operation (default pv_kw). allotment: 'greedy' (the plan's rule: greedy_assignment for the
    period's first start, with the V2H charger and V2L outlet physics) or 'autonomy' (the former rule:
    one car per shelter with the least battery-only autonomy, outlets summed). calendar: each car's
    departure per start from the fleet calendar and its mobilisation delay. PV at a shelter without a
    battery or grid-forming source is limited to its self-sustained outlet (`islanded_pv`).
    """
    if index.tz is None:
        raise ValueError("index: the period index has no timezone; localise it to Asia/Tokyo")
    if allotment not in ("greedy", "autonomy"):
        raise ValueError(f"allotment: '{allotment}' is not 'greedy' or 'autonomy'")
    shelters = scenario.shelters
    ids = tuple(f.id for f in shelters)
    n = len(index)

    def column(frame: pd.DataFrame | None, fid: str, default: np.ndarray) -> np.ndarray:
        if frame is None or fid not in frame.columns:
            return default
        return frame[fid].reindex(index).fillna(0.0).to_numpy(dtype=float)

    critical = np.column_stack([column(critical_kw, f.id, shelter_critical_kw(f, index)) for f in shelters])
    raw_pv = np.column_stack([column(pv_kw, f.id, np.zeros(n)) for f in shelters])
    pv = np.column_stack([islanded_pv(f, raw_pv[:, j]) for j, f in enumerate(shelters)])
    batteries = tuple(aggregate_battery(f, battery_soc) for f in shelters)
    fields = [outlet_fields(f) for f in shelters]
    base = SurvivalInput(
        index=index,
        shelter_ids=ids,
        critical_kw=critical,
        pv_kw=pv,
        batteries=batteries,
        duration_slots=duration_slots,
        chargers=tuple(x["v2h_chargers"] if x["bidirectional_charger"] else 0 for x in fields),
        v2l_parallel=tuple(bool(x["v2l_parallel"]) for x in fields),
        comfort_kw=comfort_matrix(shelters, n),
    )
    if load_kw is not None and battery_soc is None:
        load = np.column_stack([column(load_kw, f.id, np.zeros(n)) for f in shelters])
        normal_pv = (
            raw_pv
            if pv_normal_kw is None
            else np.column_stack([column(pv_normal_kw, f.id, np.zeros(n)) for f in shelters])
        )
        base = replace(
            base, battery_start_kwh=normal_operation_kwh(shelters, batteries, load, normal_pv, base.n_starts)
        )
    if allotment == "greedy":
        return replace(base, cars=greedy_supports(scenario, base, 0, calendar))
    return replace(base, chargers=None, v2l_parallel=None, cars=_autonomy_supports(scenario, base))


def _autonomy_supports(scenario: Scenario, base: SurvivalInput) -> tuple[CarSupport, ...]:
    """The former allotment (`ev_support_rule`): home cars at home, others to the least autonomous shelters."""
    from optimizer.outage.inputs import OutageEV
    from optimizer.outage.survival import ev_support_rule

    ids = base.shelter_ids
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
    bidirectional = tuple(any(c.bidirectional for c in scenario.facility(i).ev_chargers) for i in ids)
    return ev_support_rule(ids, evs, bidirectional, km, steps, autonomy)
