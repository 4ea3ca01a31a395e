"""Full-year verification of a design, one shelter per task (the tasks run on the batch module):

- survival sweep: an outage of `duration` slots starting at every slot of the year, simulated by the outage
  package's survival analysis (load-following: PV, then the battery from the outage-ready SoC, then the cars
  allotted to the shelter after their travel), with and without the fleet. With cars, a start also counts as
  survived if the same rule with the cars before the battery carries it (`cars_first_hours`): the sizing MILP
  dispatches cars and battery together, and a V2L car's few kW spent first keep the battery for the evening
  peaks, which battery-first load following can miss (a dispatcher can follow either rule);
- a year of operating cost under the market terms: PV serves the load first, the rest is imported, surplus is
  exported up to the export limit (the battery is held at its outage-ready SoC; its small trading band above
  it is left out here, so this is an upper bound of the MILP's operating cost).

Units: kW, kWh, h, JPY/yr. P(h) = share of the year's starts whose first shortfall comes at or after h hours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.invest.inputs import ExistingBattery, InvestCar, InvestInput
from optimizer.invest.result import InvestDesign, SiteSizes
from optimizer.invest.year import YearSeries
from optimizer.outage.inputs import StationaryBattery
from optimizer.outage.survival import SHORTFALL_KW, CarSupport, SurvivalInput, simulate_starts
from scenarios.invest_costs import InvestCosts


@dataclass(frozen=True)
class SiteTask:
    """One shelter's verification: its year series (kW), the design's battery (None = none) and car supports."""

    site: str
    index: pd.DatetimeIndex
    critical_kw: np.ndarray
    pv_kw: np.ndarray
    load_kw: np.ndarray
    price_jpy_per_kwh: np.ndarray
    battery: StationaryBattery | None
    cars: tuple[CarSupport, ...]
    duration_slots: int
    export_limit_kw: float | None
    wheeling_jpy_per_kwh: float
    sale_discount_jpy_per_kwh: float
    basic_charge_jpy_per_kw_month: float


@dataclass(frozen=True)
class SiteVerdict:
    """Per start of the year (with the fleet unless 'alone'): hours until the first shortfall, hours with the
    whole load served (with the fleet; ranks how hard a failing start is); and a year of operation: import kW
    per slot, energy + wheeling JPY, demand JPY, grid kWh."""

    site: str
    hours_fleet: np.ndarray
    hours_alone: np.ndarray
    import_kw: np.ndarray
    energy_jpy: float
    demand_jpy: float
    grid_kwh: float
    served_fleet: np.ndarray | None = None

    def p_survive(self, hours: float, with_fleet: bool = True) -> float:
        """Share of the year's starts surviving at least `hours`."""
        values = self.hours_fleet if with_fleet else self.hours_alone
        return float((values >= hours - 1e-9).mean())


def design_battery(
    old: ExistingBattery | None, added_kwh: float, added_kw: float, costs: InvestCosts
) -> StationaryBattery | None:
    """Existing and added batteries as one StationaryBattery at the outage-ready SoC (capacity-weighted)."""
    nb = costs.new_battery
    old_kwh = 0.0 if old is None else old.capacity_kwh
    total = old_kwh + added_kwh
    if total <= 1e-9:
        return None
    share = added_kwh / total

    def mix(old_value: float | None, new_value: float) -> float:
        return new_value if old_value is None else (1 - share) * old_value + share * new_value

    return StationaryBattery(
        capacity_kwh=total,
        charge_kw=(0.0 if old is None else old.power_kw) + added_kw,
        discharge_kw=(0.0 if old is None else old.power_kw) + added_kw,
        charge_efficiency=mix(None if old is None else old.charge_efficiency, nb.charge_efficiency),
        discharge_efficiency=mix(None if old is None else old.discharge_efficiency, nb.discharge_efficiency),
        soc_start=costs.outage_start_soc,
        soc_min=mix(None if old is None else old.soc_min, nb.soc_min),
        soc_max=mix(None if old is None else old.soc_max, nb.soc_max),
    )


def car_supports(cars: tuple[InvestCar, ...], design: InvestDesign, site: str, j: int) -> tuple[CarSupport, ...]:
    """The cars the design allots to `site` (column j of the input), as survival-analysis supports (shelter 0)."""
    out = []
    for car in cars:
        if design.allotment.get(car.id) != site:
            continue
        power = car.v2h_kw if car.id in design.v2h_holds else car.v2l_kw
        out.append(CarSupport(car.id, 0, power, float(car.usable_kwh[j]), int(car.delay_slots[j]), car.efficiency))
    return tuple(out)


def site_tasks(data: InvestInput, year: YearSeries, design: InvestDesign) -> list[SiteTask]:
    """One verification task per shelter of the design."""
    tasks = []
    for j, site in enumerate(data.sites):
        sizes: SiteSizes = design.size(site.id)
        col = year.column(site.id)
        tasks.append(
            SiteTask(
                site=site.id,
                index=pd.date_range(year.index[0], periods=len(year.critical_kw), freq=year.index.freq or "30min"),
                critical_kw=year.critical_kw[:, col],
                pv_kw=year.pv_existing_kw[:, col] + sizes.pv_kwp * year.pv_per_kwp[:, col],
                load_kw=year.load_kw[:, col],
                price_jpy_per_kwh=year.price_jpy_per_kwh[: year.n_slots],
                battery=design_battery(site.battery, sizes.battery_kwh, sizes.battery_kw, data.costs),
                cars=car_supports(data.cars, design, site.id, j) if data.with_fleet else (),
                duration_slots=year.duration_slots,
                export_limit_kw=site.export_limit_kw,
                wheeling_jpy_per_kwh=data.wheeling_jpy_per_kwh,
                sale_discount_jpy_per_kwh=data.sale_discount_jpy_per_kwh,
                basic_charge_jpy_per_kw_month=data.basic_charge_jpy_per_kw_month,
            )
        )
    return tasks


def verify_site(task: SiteTask) -> SiteVerdict:
    """Survival sweep over every start of the year (with and without the cars) and a year of operating cost."""
    data = SurvivalInput(
        index=task.index,
        shelter_ids=(task.site,),
        critical_kw=task.critical_kw[:, None],
        pv_kw=task.pv_kw[:, None],
        batteries=(task.battery,),
        duration_slots=task.duration_slots,
        cars=task.cars,
    )
    fleet, served = (a[:, 0] for a in simulate_starts(data, with_evs=True))
    alone = simulate_starts(data, with_evs=False)[0][:, 0] if task.cars else fleet
    if task.cars:
        first, first_served = cars_first_hours(data)
        fleet, served = np.maximum(fleet, first), np.maximum(served, first_served)
    n = len(task.load_kw)
    net = task.load_kw - task.pv_kw[:n]
    imp = np.maximum(net, 0.0)
    exp = np.maximum(-net, 0.0)
    if task.export_limit_kw is not None:
        exp = np.minimum(exp, task.export_limit_kw)
    h = 0.5
    price = task.price_jpy_per_kwh
    energy = float(
        (h * ((price + task.wheeling_jpy_per_kwh) * imp - (price - task.sale_discount_jpy_per_kwh) * exp)).sum()
    )
    demand = task.basic_charge_jpy_per_kw_month * 12 * float(imp.max())
    return SiteVerdict(task.site, fleet, alone, imp, energy, demand, float((imp * h).sum()), served)


def cars_first_hours(data: SurvivalInput) -> tuple[np.ndarray, np.ndarray]:
    """Hours until the first shortfall and hours served per start, shelter 0, under load following with the cars
    before the battery (PV surplus still charges the battery); otherwise as `simulate_starts`. Units kW, kWh, h."""
    n, d, h = data.n_starts, data.duration_slots, data.slot_hours
    bat = data.batteries[0]
    net_all = data.critical_kw[:, 0] - data.pv_kw[:, 0]
    level = np.full(n, bat.start_kwh if bat is not None else 0.0)
    car_kwh = [np.full(n, c.usable_kwh) for c in data.cars]
    survived, served = np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int32)
    alive = np.ones(n, dtype=bool)
    for k in range(d):
        net = net_all[k : k + n]
        need = np.maximum(net, 0.0)
        for c, energy in zip(data.cars, car_kwh, strict=True):
            if k < c.delay_slots:
                continue
            give = np.minimum(np.minimum(need, c.power_kw), energy * c.efficiency / h)
            energy -= give * h / c.efficiency  # noqa: PLW2901 - in place: the car's array in car_kwh
            need -= give
        if bat is not None:
            room = np.maximum(bat.ceiling_kwh - level, 0.0) / (bat.charge_efficiency * h)
            charge = np.minimum(np.minimum(np.maximum(-net, 0.0), bat.charge_kw), room)
            dis = np.minimum(
                np.minimum(need, bat.discharge_kw),
                np.maximum(level - bat.floor_kwh, 0.0) * bat.discharge_efficiency / h,
            )
            dis[charge > 0] = 0.0
            level += h * (bat.charge_efficiency * charge - dis / bat.discharge_efficiency)
            need -= dis
        ok = need <= SHORTFALL_KW
        served += ok
        alive &= ok
        survived += alive
    return survived * h, served * h
