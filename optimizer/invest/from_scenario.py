"""Assemble the sizing input from a Scenario, a YearSeries, the chosen representative days and outage starts.

Money parameters are the scenario market's (the day-ahead model's): wheeling, sale discount, basic charge,
capacity contribution price, imbalance spread. Cars: every scenario EV with V2H or V2L (dealer cars included),
usable energy at each shelter = capacity × initial SoC - floor - the drive there (road km × consumption), delay
= whole travel slots (optimizer.outage.travel_matrices); candidates: `max_new_evs_per_base` cars of the
configured model at each fleet base.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np

from optimizer.invest.inputs import ExistingBattery, InvestCar, InvestInput, InvestSite
from optimizer.invest.repdays import RepresentativeDays
from optimizer.invest.year import YearSeries
from optimizer.outage.from_scenario import travel_matrices
from scenarios.invest_costs import InvestCosts
from scenarios.model import Facility, Scenario
from scenarios.timegrid import TZ

SUMMER, WINTER = (7, 8, 9), (12, 1, 2)
log = logging.getLogger(__name__)


def existing_battery(facility: Facility) -> ExistingBattery | None:
    """The facility's batteries as one (power = the lesser of summed charge and discharge kW)."""
    bats = facility.batteries
    if not bats:
        return None
    cap = facility.battery_kwh

    def weighted(name: str) -> float:
        return float(sum(getattr(b, name) * b.capacity_kwh for b in bats)) / cap

    return ExistingBattery(
        capacity_kwh=cap,
        power_kw=min(sum(b.charge_kw for b in bats), sum(b.discharge_kw for b in bats)),
        soc_min=weighted("soc_min"),
        soc_max=weighted("soc_max"),
        charge_efficiency=weighted("charge_efficiency"),
        discharge_efficiency=weighted("discharge_efficiency"),
    )


def invest_cars(scenario: Scenario, costs: InvestCosts) -> tuple[InvestCar, ...]:
    """The scenario's cars that can supply a shelter, then the candidate cars at the fleet bases."""
    shelters = scenario.shelters
    known = {f.id for f in scenario.facilities}
    fleet_bases = [b for b in costs.fleet_bases if b in known]
    for b in sorted(set(costs.fleet_bases) - known):
        log.warning(
            "fleet_bases: '%s' is not a facility of scenario '%s'; no new cars are based there", b, scenario.name
        )
    bases = sorted({e.home_facility for e in scenario.evs} | set(fleet_bases))
    sites = shelters + [scenario.facility(b) for b in bases if b not in {s.id for s in shelters}]
    km, steps = travel_matrices(sites, scenario.travel.road_factor, scenario.travel.disaster_speed_kmh)
    where = {f.id: i for i, f in enumerate(sites)}
    n = len(shelters)
    cars = []
    for e in scenario.evs:
        if e.v2h_kw <= 0 and e.v2l_kw <= 0:
            continue
        row = where[e.home_facility]
        usable = e.capacity_kwh * (e.initial_soc - e.soc_floor) - km[row, :n] * e.consumption_kwh_per_km
        cars.append(
            InvestCar(e.id, e.home_facility, np.maximum(usable, 0.0), steps[row, :n].copy(), e.v2h_kw, e.v2l_kw)
        )
    model = costs.fleet_car
    for base in fleet_bases:
        row = where[base]
        usable = (
            model.capacity_kwh * (model.outage_start_soc - model.soc_floor) - km[row, :n] * model.consumption_kwh_per_km
        )
        for k in range(costs.max_new_evs_per_base):
            cars.append(
                InvestCar(
                    f"new-ev-{base}-{k + 1}",
                    base,
                    np.maximum(usable, 0.0),
                    steps[row, :n].copy(),
                    model.v2h_kw,
                    model.v2l_kw,
                    candidate=True,
                )
            )
    return tuple(cars)


def invest_sites(
    scenario: Scenario, costs: InvestCosts, year: YearSeries, days: RepresentativeDays, starts: Mapping[str, list[int]]
) -> tuple[InvestSite, ...]:
    """One InvestSite per shelter with its representative-day series and the outage windows at `starts`."""
    out = []
    for j, fid in enumerate(year.shelter_ids):
        f = scenario.facility(fid)
        limit = f.roof_pv_limit_kwp if f.roof_pv_limit_kwp is not None else costs.default_roof_pv_limit_kwp
        out.append(
            InvestSite(
                id=fid,
                load_kw=year.day_profiles("load_kw", days.days, j),
                pv_existing_kw=year.day_profiles("pv_existing_kw", days.days, j),
                pv_per_kwp=year.day_profiles("pv_per_kwp", days.days, j),
                existing_pv_kwp=f.pv_kwp,
                roof_limit_kwp=max(limit, f.pv_kwp),
                battery=existing_battery(f),
                v2h_chargers=sum(1 for c in f.ev_chargers if c.bidirectional),
                export_limit_kw=f.export_limit_kw,
                outages=tuple(year.window(fid, s) for s in starts.get(fid, [])),
            )
        )
    return tuple(out)


def invest_input(
    scenario: Scenario,
    costs: InvestCosts,
    year: YearSeries,
    days: RepresentativeDays,
    starts: Mapping[str, list[int]],
    *,
    with_fleet: bool = True,
    budget_jpy: float | None = None,
    cars: tuple[InvestCar, ...] | None = None,
) -> InvestInput:
    """The sizing input (see the module docstring)."""
    months = np.array([year.index[d * 48].tz_convert(TZ).month for d in days.days])
    prices = year.price_jpy_per_kwh[: year.n_slots].reshape(-1, 48)[list(days.days)]
    market = scenario.market
    return InvestInput(
        sites=invest_sites(scenario, costs, year, days, starts),
        day_weights=days.weights,
        price_jpy_per_kwh=prices,
        summer=np.isin(months, market.capacity.summer_months or SUMMER),
        winter=np.isin(months, market.capacity.winter_months or WINTER),
        costs=costs,
        wheeling_jpy_per_kwh=market.wheeling_charge_jpy_per_kwh,
        sale_discount_jpy_per_kwh=market.sale_discount_jpy_per_kwh,
        basic_charge_jpy_per_kw_month=market.basic_charge_jpy_per_kw_month,
        capacity_jpy_per_kw_year=market.capacity.price_jpy_per_kw_year,
        imbalance_spread_jpy_per_kwh=market.imbalance.spread_jpy_per_kwh,
        duration_slots=year.duration_slots,
        cars=invest_cars(scenario, costs) if cars is None else cars,
        with_fleet=with_fleet,
        budget_jpy=budget_jpy,
    )
