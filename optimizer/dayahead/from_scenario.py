"""Build ``PlanInputs`` from a Scenario plus time series (pure: the series are passed in, nothing is read).

EVs: a car is planned when it is not disaster-only and its home facility is supplied and has a charger;
cars are matched to chargers in order (V2H-capable cars first to bidirectional chargers). When a car is at
its charger, its departure targets and trip energy come from its plug windows and fleet-calendar bookings
(``optimizer.dayahead.ev_schedule``); a car that can discharge carries its V2H wear cost and the owner's
limit on V2H energy per 24 h.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from optimizer.dayahead.ev_schedule import car_schedule, plug_schedule, windows_for
from optimizer.dayahead.inputs import (
    BatteryInput,
    EVInput,
    FacilityInput,
    InputError,
    LinkInput,
    PlanInputs,
    PlantInput,
)
from optimizer.dayahead.penalties import DEFAULT_PENALTIES, EV_DAILY_KM_DEFAULT, Penalties
from optimizer.dayahead.plant_profile import plant_available_kw, plant_forecast_kw, plant_profile
from optimizer.dayahead.terminal import terminal_prices
from scenarios.assets import EVCharger
from scenarios.model import AvailabilityWindow, ElectricVehicle, Facility, Scenario, SupplyPlant
from scenarios.timegrid import SLOT_HOURS, TZ

__all__ = ["Overrides", "build_inputs", "plant_available_kw", "plant_forecast_kw", "plug_schedule", "windows_for"]


@dataclass(frozen=True)
class Overrides:
    """Optional measured state and operator overrides.

    battery_soc: SoC fraction per battery key 'facility/battery'; ev_soc: SoC fraction per EV id;
    unavailable_batteries: battery keys out of service (no charge/discharge, not counted in reserves);
    peak_this_month_kw / peak_12_months_kw: measured 30-min demand peaks per facility id (kW; this month, and
    this month with the 11 before); metered_kwh_first_slot: per facility id, kWh imported in the current slot
    before the plan starts (a partial first slot); capacity_peak_kw: the group's highest summed 30-min demand so
    far in the current capacity season (kW; None = the scenario's value for the season); ev_daily_km: assumed
    trip length per day (km);
    terminal_price_jpy_per_kwh: value of stored energy at the horizon end for every facility (None = each
    facility's by the rule of optimizer.dayahead.terminal);
    extra_reserve_kwh: per shelter facility id, kWh added to its reserve (reserve_hours x critical load), e.g. a
    forecast-uncertainty margin (runtime.facades.dayahead_planning.uncertainty_reserve).
    plant_forced_outages: forced outages / derates of the plant (a line tripped), on top of the scenario's
    planned windows: the output drops at once and ramps up after (optimizer.dayahead.plant_profile);
    plant_output_kw: measured plant output in the slot before the horizon (kW; None = its expected output);
    v2h_kwh_24h: per EV charger key 'facility/charger', kWh discharged into the site through it (V2H) in the 24 h
    before the plan starts: the car planned at that charger counts it against its owner's V2H limit;
    ev_soc_at_charger: per EV charger key 'facility/charger', the SoC fraction a connected car reports there: the
    car planned at that charger starts from it (``ev_soc`` by EV id wins).
    """

    battery_soc: Mapping[str, float] = field(default_factory=dict)
    ev_soc: Mapping[str, float] = field(default_factory=dict)
    unavailable_batteries: frozenset[str] = frozenset()
    peak_this_month_kw: Mapping[str, float] = field(default_factory=dict)
    peak_12_months_kw: Mapping[str, float] = field(default_factory=dict)
    metered_kwh_first_slot: Mapping[str, float] = field(default_factory=dict)
    capacity_peak_kw: float | None = None
    ev_daily_km: float = EV_DAILY_KM_DEFAULT
    terminal_price_jpy_per_kwh: float | None = None
    penalties: Penalties = DEFAULT_PENALTIES
    extra_reserve_kwh: Mapping[str, float] = field(default_factory=dict)
    plant_forced_outages: tuple[AvailabilityWindow, ...] = ()
    plant_output_kw: float | None = None
    v2h_kwh_24h: Mapping[str, float] = field(default_factory=dict)
    ev_soc_at_charger: Mapping[str, float] = field(default_factory=dict)


def build_inputs(
    scenario: Scenario,
    index: pd.DatetimeIndex,
    pv_kw: Mapping[str, pd.Series],
    load_kw: Mapping[str, pd.Series],
    price_jpy_per_kwh: pd.Series,
    first_slot_fraction: float = 1.0,
    overrides: Overrides | None = None,
) -> PlanInputs:
    """Validated plan inputs for the supplied facilities of `scenario` over the slots of `index`.

    pv_kw / load_kw: per facility id, a kW Series on `index` (a facility without PV may be absent).
    price_jpy_per_kwh: JEPX price per slot start. first_slot_fraction (0, 1]: usable part of slot 0.
    """
    ov = overrides or Overrides()
    if index.tz is None:
        raise InputError("index: needs a timezone (slot starts, e.g. Asia/Tokyo)")
    if not 0 < first_slot_fraction <= 1:
        raise InputError(f"first_slot_fraction: {first_slot_fraction} must be in (0, 1]")
    hours = np.full(len(index), SLOT_HOURS)
    hours[0] *= first_slot_fraction
    _check_overrides(scenario, ov)
    price = _aligned(price_jpy_per_kwh, index, "price_jpy_per_kwh")
    facilities = tuple(_facility(f, index, pv_kw, load_kw, ov) for f in scenario.supplied)
    ids = {f.id for f in facilities}
    plant = _plant(scenario.plant, index, ov, ids) if scenario.plant else None
    facilities, terminal = _terminal(scenario, facilities, price, plant, ov)
    evs, notes = _evs(scenario, index, ov)
    capacity = scenario.market.capacity
    return PlanInputs(
        index=index,
        hours=hours,
        price_jpy_per_kwh=price,
        wheeling_jpy_per_kwh=scenario.market.wheeling_charge_jpy_per_kwh,
        sale_discount_jpy_per_kwh=scenario.market.sale_discount_jpy_per_kwh,
        facilities=facilities,
        batteries=tuple(_battery(f, i, ov) for f in scenario.supplied for i in range(len(f.batteries))),
        evs=evs,
        plant=plant,
        links=tuple(
            LinkInput(lk.id, lk.from_facility, lk.to_facility, lk.limit_kw, lk.loss_fraction, lk.charge_jpy_per_kwh)
            for lk in scenario.links
            if lk.from_facility in ids and lk.to_facility in ids
        ),
        terminal_price_jpy_per_kwh=terminal,
        penalties=ov.penalties,
        notes=tuple(notes),
        demand_charge_jpy_per_kw_month=scenario.market.basic_charge_jpy_per_kw_month,
        capacity_jpy_per_kw=capacity.jpy_per_season_kw,
        capacity_months=tuple(sorted({*capacity.summer_months, *capacity.winter_months})),
        capacity_peak_so_far_kw=(
            capacity.peak_so_far_kw(index.tz_convert(TZ)[0].month)
            if ov.capacity_peak_kw is None
            else ov.capacity_peak_kw
        ),
    )


def _check_overrides(scenario: Scenario, ov: Overrides) -> None:
    known = {b_key for f in scenario.facilities for b_key in (f"{f.id}/{b.id}" for b in f.batteries)}
    for key in [*ov.battery_soc, *ov.unavailable_batteries]:
        if key not in known:
            raise InputError(f"overrides.battery: unknown battery '{key}'; use 'facility/battery' ids")
    shelters = {f.id for f in scenario.supplied if f.shelter}
    for fid, kwh in ov.extra_reserve_kwh.items():
        if fid not in shelters:
            raise InputError(f"overrides.extra_reserve_kwh: '{fid}' is not a supplied shelter; use {sorted(shelters)}")
        if not (np.isfinite(kwh) and kwh >= 0):
            raise InputError(f"overrides.extra_reserve_kwh[{fid}]: {kwh} must be a finite kWh >= 0")
    supplied = {f.id for f in scenario.supplied}
    for name in ("peak_this_month_kw", "peak_12_months_kw", "metered_kwh_first_slot"):
        for fid, value in getattr(ov, name).items():
            if fid not in supplied:
                raise InputError(f"overrides.{name}: '{fid}' is not a supplied facility")
            if not (np.isfinite(value) and value >= 0):
                raise InputError(f"overrides.{name}[{fid}]: {value} must be a finite value >= 0")
    _check_charger_overrides(scenario, ov)
    if ov.capacity_peak_kw is not None and not (np.isfinite(ov.capacity_peak_kw) and ov.capacity_peak_kw >= 0):
        raise InputError(f"overrides.capacity_peak_kw: {ov.capacity_peak_kw} must be a finite kW >= 0")


def _check_charger_overrides(scenario: Scenario, ov: Overrides) -> None:
    """overrides.v2h_kwh_24h: known 'facility/charger' keys, finite kWh >= 0; ev_soc_at_charger: known keys."""
    chargers = {f"{f.id}/{c.id}" for f in scenario.facilities for c in f.ev_chargers}
    for key in ov.ev_soc_at_charger:
        if key not in chargers:
            raise InputError(f"overrides.ev_soc_at_charger: unknown EV charger '{key}'; use 'facility/charger' ids")
    for key, kwh in ov.v2h_kwh_24h.items():
        if key not in chargers:
            raise InputError(f"overrides.v2h_kwh_24h: unknown EV charger '{key}'; use 'facility/charger' ids")
        if not (np.isfinite(kwh) and kwh >= 0):
            raise InputError(f"overrides.v2h_kwh_24h[{key}]: {kwh} must be a finite kWh >= 0")


def _terminal(
    scenario: Scenario,
    facilities: tuple[FacilityInput, ...],
    price: np.ndarray,
    plant: PlantInput | None,
    ov: Overrides,
) -> tuple[tuple[FacilityInput, ...], float]:
    """Facilities with their terminal prices (optimizer.dayahead.terminal) and the plan's default one; an
    override sets one price for all."""
    if ov.terminal_price_jpy_per_kwh is not None:
        return facilities, max(0.0, ov.terminal_price_jpy_per_kwh)
    values = terminal_prices(
        facilities,
        price,
        scenario.market.wheeling_charge_jpy_per_kwh,
        scenario.market.sale_discount_jpy_per_kwh,
        None if plant is None else plant.forecast_kw,
        None if plant is None else plant.facility,
    )
    priced = tuple(replace(f, terminal_price_jpy_per_kwh=values[f.id]) for f in facilities)
    return priced, float(np.median(list(values.values())))


def _aligned(series: pd.Series | None, index: pd.DatetimeIndex, name: str) -> np.ndarray:
    if series is None:
        raise InputError(f"{name}: missing; give a kW Series on the plan index")
    if not isinstance(series.index, pd.DatetimeIndex) or series.index.tz is None:
        raise InputError(f"{name}: needs a tz-aware DatetimeIndex")
    values = series.reindex(index)
    if values.isna().any():
        first = values.index[values.isna().to_numpy()][0]
        raise InputError(f"{name}: no value for slot {first.isoformat()} ({int(values.isna().sum())} missing)")
    return values.to_numpy(dtype=float)


def _facility(
    f: Facility, index: pd.DatetimeIndex, pv: Mapping[str, pd.Series], load: Mapping[str, pd.Series], ov: Overrides
) -> FacilityInput:
    pv_kw = _aligned(pv[f.id], index, f"pv_kw[{f.id}]") if f.id in pv else np.zeros(len(index))
    if f.pv_arrays and f.id not in pv:
        raise InputError(f"pv_kw[{f.id}]: facility has {f.pv_kwp:g} kWp of PV but no forecast was given")
    if f.load is not None and f.id not in load:
        raise InputError(f"load_kw[{f.id}]: facility has a load profile but no load forecast was given")
    load_kw = _aligned(load[f.id], index, f"load_kw[{f.id}]") if f.id in load else np.zeros(len(index))
    reserve = (
        f.shelter.reserve_hours * f.shelter.critical_load_kw + ov.extra_reserve_kwh.get(f.id, 0.0) if f.shelter else 0.0
    )
    return FacilityInput(
        id=f.id,
        pv_kw=pv_kw,
        load_kw=load_kw,
        contract_kw=f.grid_contract_kw,
        peak_so_far_kw=ov.peak_this_month_kw.get(f.id, f.peak_this_month_kw),
        peak_12_months_kw=ov.peak_12_months_kw.get(f.id, f.peak_12_months_kw),
        demand_ratchet=f.demand_ratchet,
        metered_kwh_first_slot=ov.metered_kwh_first_slot.get(f.id, 0.0),
        export_limit_kw=f.export_limit_kw,
        reserve_kwh=reserve,
        is_shelter=f.is_shelter,
        has_pv=bool(f.pv_arrays),
    )


def _battery(f: Facility, i: int, ov: Overrides) -> BatteryInput:
    b = f.batteries[i]
    key = f"{f.id}/{b.id}"
    soc = ov.battery_soc.get(key, b.initial_soc)
    if not 0 <= soc <= 1:
        raise InputError(f"overrides.battery_soc[{key}]: SoC {soc} must be a fraction 0..1")
    return BatteryInput(
        key=key,
        facility=f.id,
        capacity_kwh=b.capacity_kwh,
        charge_kw=b.charge_kw,
        discharge_kw=b.discharge_kw,
        charge_efficiency=b.charge_efficiency,
        discharge_efficiency=b.discharge_efficiency,
        soc_min_kwh=b.soc_min * b.capacity_kwh,
        soc_max_kwh=b.soc_max * b.capacity_kwh,
        initial_kwh=soc * b.capacity_kwh,
        degradation_jpy_per_kwh=b.degradation_cost_jpy_per_kwh,
        available=key not in ov.unavailable_batteries,
        reserve_floor_kwh=b.reserve_soc * b.capacity_kwh,
    )


def _plant(plant: SupplyPlant, index: pd.DatetimeIndex, ov: Overrides, supplied: set[str]) -> PlantInput:
    profile = plant_profile(plant, index, ov.plant_forced_outages, ov.plant_output_kw)
    return PlantInput(
        id=plant.id,
        forecast_kw=profile.forecast_kw,
        min_kw=np.minimum(plant.must_run_min_kw, profile.forecast_kw),
        available_kw=profile.available_kw,
        curtailment_cost_jpy_per_kwh=plant.curtailment_cost_jpy_per_kwh,
        facility=plant.facility_id if plant.facility_id in supplied else None,
        ramp_up_kw=profile.ramp_up_kw,
        ramp_down_kw=profile.ramp_down_kw,
        initial_kw=profile.initial_kw,
    )


def _evs(scenario: Scenario, index: pd.DatetimeIndex, ov: Overrides) -> tuple[tuple[EVInput, ...], list[str]]:
    out: list[EVInput] = []
    notes: list[str] = []
    supplied = {f.id: f for f in scenario.supplied}
    for f in supplied.values():
        cars = sorted((e for e in scenario.evs_at(f.id) if not e.disaster_only), key=lambda e: e.v2h_kw == 0)
        chargers = sorted(f.ev_chargers, key=lambda c: not c.bidirectional)
        for car, charger in zip(cars, chargers, strict=False):
            out.append(_ev(car, f.id, charger, index, ov))
        for car in cars[len(chargers) :]:
            notes.append(f"EV '{car.id}' not planned: no free charger at '{f.id}'")
    for e in scenario.evs:
        if e.home_facility not in supplied and not e.disaster_only:
            notes.append(f"EV '{e.id}' not planned: home '{e.home_facility}' is outside the balancing group")
    for key in ov.ev_soc:
        if key not in {e.id for e in out}:
            raise InputError(f"overrides.ev_soc: '{key}' is not a planned EV; planned: {[e.id for e in out]}")
    return tuple(out), notes


def _ev(car: ElectricVehicle, facility: str, charger: EVCharger, index: pd.DatetimeIndex, ov: Overrides) -> EVInput:
    at_charger = ov.ev_soc_at_charger.get(f"{facility}/{charger.id}", car.initial_soc)
    soc = ov.ev_soc.get(car.id, at_charger)
    if not 0 <= soc <= 1:
        field_name = f"ev_soc[{car.id}]" if car.id in ov.ev_soc else f"ev_soc_at_charger[{facility}/{charger.id}]"
        raise InputError(f"overrides.{field_name}: SoC {soc} must be a fraction 0..1")
    schedule = car_schedule(car, index, ov.ev_daily_km)
    charge_kw = min(car.charge_kw, charger.power_kw)
    discharge = min(car.v2h_kw, charger.discharge_kw) if charger.bidirectional else 0.0
    return EVInput(
        id=car.id,
        facility=facility,
        charger=charger.id,
        capacity_kwh=car.capacity_kwh,
        charge_kw=charge_kw,
        min_charge_kw=min(charger.min_power_kw, charge_kw),
        discharge_kw=discharge,
        efficiency=charger.efficiency,
        floor_kwh=car.soc_floor * car.capacity_kwh,
        initial_kwh=soc * car.capacity_kwh,
        plugged=schedule.plugged,
        target_kwh=schedule.target_soc * car.capacity_kwh,
        trip_kwh=schedule.trip_kwh,
        degradation_jpy_per_kwh=car.v2h_wear_jpy_per_kwh if discharge > 0 else 0.0,
        v2h_max_kwh_per_24h=car.v2h_max_kwh_per_24h if discharge > 0 else None,
        v2h_prior_kwh=float(ov.v2h_kwh_24h.get(f"{facility}/{charger.id}", 0.0)) if discharge > 0 else 0.0,
    )
