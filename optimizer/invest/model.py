"""Pyomo MILP of investment sizing over representative days, with outage windows to survive, built by named
steps (one per family: sizing, fleet, operation, outage, objective).

Decisions (per shelter j): pv_new[j] kWp (roof limit), bat_kwh[j] and bat_kw[j] added, v2h_new[j] chargers
(integer); per car c: buy[c] (candidate cars, binary) and alloc[c, j] (binary: the car goes to shelter j in
every outage), hold[c, j] (the car holds one of j's V2H chargers: v2h_kw instead of v2l_kw).
Operation (days d, slots t, kW): import, export, PV curtailed; shelter batteries are held at the outage-ready
SoC for disasters and do not trade (the verification's year of operation makes the same assumption).
Outage (window k of shelter j, slots u): the battery starts at the outage-ready SoC and, with the PV and the
cars allotted, serves the whole critical load every slot (least-cost mode), or the window counts as survived
only if nothing is unserved (budget mode: served[j, k] binary).
Objective (JPY/yr): annualised capex net of subsidy + O&M + the weighted days' energy, wheeling and imbalance
+ demand (basic charge × 12 × peak import kW) + capacity (price per kW-year × half of each season's
summed peak); in budget mode minus a resilience weight per survived window (dominant), with net capex ≤ budget.
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.invest.inputs import InvestCar, InvestInput, OutageWindow
from scenarios.invest_costs import TechCost

RESILIENCE_WEIGHT_JPY = 1e9  # JPY per unit of mean survival share (budget mode): resilience comes first


def build_model(data: InvestInput) -> pyo.ConcreteModel:
    """The sizing MILP for `data` (checked by the caller)."""
    m = pyo.ConcreteModel(name="invest")
    m.J = pyo.RangeSet(0, len(data.sites) - 1)
    m.D = pyo.RangeSet(0, data.n_days - 1)
    m.T = pyo.RangeSet(0, data.slots_per_day - 1)
    m.T1 = pyo.RangeSet(0, data.slots_per_day)
    m.U = pyo.RangeSet(0, data.duration_slots - 1)
    m.U1 = pyo.RangeSet(0, data.duration_slots)
    m.W = pyo.Set(dimen=2, initialize=[(j, k) for j, s in enumerate(data.sites) for k in range(len(s.outages))])
    add_sizing(m, data)
    add_fleet(m, data)
    add_operation(m, data)
    add_outage(m, data)
    add_outage_cars(m, data)
    add_objective(m, data)
    return m


def _ceiling(data: InvestInput, m: pyo.ConcreteModel, j: int) -> pyo.Expression:
    """Highest stored kWh at site j: existing × its soc_max + added × the new battery's soc_max."""
    old = data.sites[j].battery
    base = 0.0 if old is None else old.soc_max * old.capacity_kwh
    return base + data.costs.new_battery.soc_max * m.bat_kwh[j]


def _floor(data: InvestInput, m: pyo.ConcreteModel, j: int) -> pyo.Expression:
    """Lowest stored kWh in an outage: existing × its soc_min + added × the new battery's soc_min."""
    old = data.sites[j].battery
    base = 0.0 if old is None else old.soc_min * old.capacity_kwh
    return base + data.costs.new_battery.soc_min * m.bat_kwh[j]


def _total_kwh(data: InvestInput, m: pyo.ConcreteModel, j: int) -> pyo.Expression:
    old = data.sites[j].battery
    return (0.0 if old is None else old.capacity_kwh) + m.bat_kwh[j]


def _total_kw(data: InvestInput, m: pyo.ConcreteModel, j: int) -> pyo.Expression:
    old = data.sites[j].battery
    return (0.0 if old is None else old.power_kw) + m.bat_kw[j]


def add_sizing(m: pyo.ConcreteModel, data: InvestInput) -> None:
    """Sizes added per shelter: PV kWp within the roof, battery kWh and kW, V2H chargers; `fixed` pins any."""
    sites, c = data.sites, data.costs
    m.pv_new = pyo.Var(m.J, bounds=lambda _m, j: (0.0, max(sites[j].roof_limit_kwp - sites[j].existing_pv_kwp, 0.0)))
    m.bat_kwh = pyo.Var(m.J, bounds=(0.0, c.new_battery.max_kwh))
    m.bat_kw = pyo.Var(m.J, bounds=(0.0, c.new_battery.max_kwh))
    m.v2h_new = pyo.Var(
        m.J,
        domain=pyo.NonNegativeIntegers,
        bounds=lambda _m, j: (0, max(c.max_v2h_per_shelter - sites[j].v2h_chargers, 0)),
    )
    for key, value in data.fixed.items():
        name, _, site = key.partition(":")
        getattr(m, name)[[s.id for s in sites].index(site)].fix(value)


def add_fleet(m: pyo.ConcreteModel, data: InvestInput) -> None:
    """Cars bought (candidates), each allotted to at most one shelter it can reach; V2H holds per charger."""
    cars = data.cars if data.with_fleet else ()
    m.C = pyo.RangeSet(0, len(cars) - 1) if cars else pyo.Set(initialize=[])
    pairs = [(c, j) for c, car in enumerate(cars) for j in candidate_shelters(car, data.car_candidates)]
    m.CJ = pyo.Set(dimen=2, initialize=pairs)
    m.CJH = pyo.Set(dimen=2, initialize=[(c, j) for c, j in pairs if cars[c].v2h_kw > cars[c].v2l_kw])
    m.buy = pyo.Var(m.C, domain=pyo.Binary)
    for c, car in enumerate(cars):
        if not car.candidate:
            m.buy[c].fix(1)
    twins = [(a, b) for a, b in zip(range(len(cars)), range(1, len(cars)), strict=False) if _twins(cars[a], cars[b])]
    m.twin_order = pyo.Constraint(pyo.Set(dimen=2, initialize=twins), rule=lambda _m, a, b: _m.buy[a] >= _m.buy[b])
    m.alloc = pyo.Var(m.CJ, domain=pyo.Binary)
    m.hold = pyo.Var(m.CJH, bounds=(0.0, 1.0))
    if data.fixed_fleet is not None:
        allotment, bought = data.fixed_fleet
        ids = [s.id for s in data.sites]
        for c, j in pairs:
            m.alloc[c, j].fix(1 if allotment.get(cars[c].id) == ids[j] else 0)
        for c, car in enumerate(cars):
            if car.candidate:
                m.buy[c].fix(1 if car.id in bought else 0)
    m.one_place = pyo.Constraint(
        m.C, rule=lambda _m, c: sum(_m.alloc[c, j] for (cc, j) in _m.CJ if cc == c) <= _m.buy[c]
    )
    m.hold_needs_alloc = pyo.Constraint(m.CJH, rule=lambda _m, c, j: _m.hold[c, j] <= _m.alloc[c, j])
    chargers = {j: [c for (c, jj) in pairs if jj == j and (c, j) in m.CJH] for j in range(len(data.sites))}
    m.hold_per_charger = pyo.Constraint(
        m.J,
        rule=lambda _m, j: (
            sum(_m.hold[c, j] for c in chargers[j]) <= data.sites[j].v2h_chargers + _m.v2h_new[j]
            if chargers[j]
            else pyo.Constraint.Skip
        ),
    )


def candidate_shelters(car: InvestCar, keep: int) -> list[int]:
    """Shelters a car may be allotted to: the `keep` it reaches soonest with the most energy (usable > 0)."""
    reach = [j for j in range(len(car.usable_kwh)) if car.usable_kwh[j] > 1e-9]
    reach.sort(key=lambda j: (int(car.delay_slots[j]), -float(car.usable_kwh[j])))
    return sorted(reach[:keep])


def _twins(a: InvestCar, b: InvestCar) -> bool:
    """Two candidate cars of one base (identical): buy the first before the second (symmetry breaking)."""
    return a.candidate and b.candidate and a.base == b.base


def add_operation(m: pyo.ConcreteModel, data: InvestInput) -> None:
    """Normal operation on the representative days: balance at the meter (PV first, curtailment allowed, export
    within the limit), peaks for the demand charge and the season peaks for the capacity contribution. Shelter
    batteries are held at the outage-ready SoC, so they do not trade (their band above it is left out)."""
    sites = data.sites
    m.imp = pyo.Var(m.J, m.D, m.T, bounds=(0.0, None))
    m.exp = pyo.Var(m.J, m.D, m.T, bounds=lambda _m, j, d, t: (0.0, sites[j].export_limit_kw))
    m.curt = pyo.Var(m.J, m.D, m.T, bounds=(0.0, None))
    m.peak = pyo.Var(m.J, bounds=(0.0, None))
    m.season_peak = pyo.Var(["summer", "winter"], bounds=(0.0, None))

    def pv(_m: pyo.ConcreteModel, j: int, d: int, t: int) -> pyo.Expression:
        s = sites[j]
        return float(s.pv_existing_kw[d, t]) + float(s.pv_per_kwp[d, t]) * _m.pv_new[j]

    m.balance = pyo.Constraint(
        m.J,
        m.D,
        m.T,
        rule=lambda _m, j, d, t: (
            _m.imp[j, d, t] - _m.exp[j, d, t] == float(sites[j].load_kw[d, t]) - pv(_m, j, d, t) + _m.curt[j, d, t]
        ),
    )
    m.curt_le_pv = pyo.Constraint(m.J, m.D, m.T, rule=lambda _m, j, d, t: _m.curt[j, d, t] <= pv(_m, j, d, t))
    m.peak_def = pyo.Constraint(m.J, m.D, m.T, rule=lambda _m, j, d, t: _m.peak[j] >= _m.imp[j, d, t])
    seasons = {"summer": data.summer, "winter": data.winter}
    m.season_peak_def = pyo.Constraint(
        ["summer", "winter"],
        m.D,
        m.T,
        rule=lambda _m, s, d, t: (
            _m.season_peak[s] >= sum(_m.imp[j, d, t] for j in _m.J) if seasons[s][d] else pyo.Constraint.Skip
        ),
    )


def add_outage(m: pyo.ConcreteModel, data: InvestInput) -> None:
    """Each outage window of a shelter: battery from the outage-ready SoC, PV, the allotted cars (their delivery
    in add_outage_cars); critical load served in full (or unserved kW that forfeits the window, budget mode)."""
    sites, h, c = data.sites, data.slot_hours, data.costs
    eta_c, eta_d = c.new_battery.charge_efficiency, c.new_battery.discharge_efficiency
    m.och = pyo.Var(m.W, m.U, bounds=(0.0, None))
    m.odis = pyo.Var(m.W, m.U, bounds=(0.0, None))
    m.oev = pyo.Var(m.W, m.U, bounds=(0.0, None))
    m.osoc = pyo.Var(m.W, m.U1, bounds=(0.0, None))
    budget = data.budget_jpy is not None
    m.unserved = pyo.Var(m.W, m.U, bounds=(0.0, None) if budget else (0.0, 0.0))
    m.survived = pyo.Var(m.W, domain=pyo.Binary if budget else pyo.Reals, bounds=(0.0, 1.0))

    def window(j: int, k: int) -> OutageWindow:
        return sites[j].outages[k]

    def pv(_m: pyo.ConcreteModel, j: int, k: int, u: int) -> pyo.Expression:
        w = window(j, k)
        return float(w.pv_existing_kw[u]) + float(w.pv_per_kwp[u]) * _m.pv_new[j]

    m.o_balance = pyo.Constraint(
        m.W,
        m.U,
        rule=lambda _m, j, k, u: (
            pv(_m, j, k, u) + _m.odis[j, k, u] + _m.oev[j, k, u] - _m.och[j, k, u] + _m.unserved[j, k, u]
            >= float(window(j, k).critical_kw[u])
        ),
    )
    m.o_charge_from_pv = pyo.Constraint(m.W, m.U, rule=lambda _m, j, k, u: _m.och[j, k, u] <= pv(_m, j, k, u))
    m.o_ch_limit = pyo.Constraint(m.W, m.U, rule=lambda _m, j, k, u: _m.och[j, k, u] <= _total_kw(data, _m, j))
    m.o_dis_limit = pyo.Constraint(m.W, m.U, rule=lambda _m, j, k, u: _m.odis[j, k, u] <= _total_kw(data, _m, j))
    m.o_stored = pyo.Constraint(
        m.W,
        m.U,
        rule=lambda _m, j, k, u: (
            _m.osoc[j, k, u + 1] == _m.osoc[j, k, u] + h * (eta_c * _m.och[j, k, u] - _m.odis[j, k, u] / eta_d)
        ),
    )
    m.o_start = pyo.Constraint(
        m.W, rule=lambda _m, j, k: _m.osoc[j, k, 0] == c.outage_start_soc * _total_kwh(data, _m, j)
    )
    m.o_floor = pyo.Constraint(m.W, m.U1, rule=lambda _m, j, k, u: _m.osoc[j, k, u] >= _floor(data, _m, j))
    m.o_top = pyo.Constraint(m.W, m.U1, rule=lambda _m, j, k, u: _m.osoc[j, k, u] <= _ceiling(data, _m, j))

    if budget:
        m.o_forfeit = pyo.Constraint(
            m.W,
            m.U,
            rule=lambda _m, j, k, u: (
                _m.unserved[j, k, u] <= float(window(j, k).critical_kw[u]) * (1 - _m.survived[j, k])
            ),
        )


def add_outage_cars(m: pyo.ConcreteModel, data: InvestInput) -> None:
    """Car delivery in each outage window: from each allotted car's arrival, v2l_kw (v2h_kw holding a V2H
    charger) per car, and in all at most the cars' usable energy × their discharge efficiency."""
    cars = data.cars if data.with_fleet else ()
    h = data.slot_hours

    def car_power(_m: pyo.ConcreteModel, j: int, k: int, u: int) -> pyo.Expression:
        terms = []
        for cc, car in enumerate(cars):
            if (cc, j) in _m.CJ and u >= car.delay_slots[j]:
                terms.append(car.v2l_kw * _m.alloc[cc, j])
                if (cc, j) in _m.CJH:
                    terms.append((car.v2h_kw - car.v2l_kw) * _m.hold[cc, j])
        return _m.oev[j, k, u] <= sum(terms) if terms else _m.oev[j, k, u] == 0

    m.o_car_power = pyo.Constraint(m.W, m.U, rule=car_power)

    def car_energy(_m: pyo.ConcreteModel, j: int, k: int) -> pyo.Expression:
        energy = [
            float(car.usable_kwh[j] * car.efficiency) * _m.alloc[cc, j]
            for cc, car in enumerate(cars)
            if (cc, j) in _m.CJ
        ]
        if not energy:
            return pyo.Constraint.Skip
        return h * sum(_m.oev[j, k, u] for u in _m.U) <= sum(energy)

    m.o_car_energy = pyo.Constraint(m.W, rule=car_energy)


def capex_expression(m: pyo.ConcreteModel, data: InvestInput, annualised: bool) -> pyo.Expression:
    """Capital JPY of the additions: annualised (net of subsidy, + O&M, JPY/yr) or upfront net of subsidy."""
    c, r = data.costs, data.costs.discount_rate

    def unit(tech: TechCost) -> float:
        return tech.annualised_jpy(r) if annualised else tech.net_capex_jpy

    cars = data.cars if data.with_fleet else ()
    return sum(
        unit(c.pv) * m.pv_new[j]
        + unit(c.battery_energy) * m.bat_kwh[j]
        + unit(c.battery_power) * m.bat_kw[j]
        + unit(c.v2h_charger) * m.v2h_new[j]
        for j in m.J
    ) + sum(unit(c.fleet_ev) * m.buy[cc] for cc, car in enumerate(cars) if car.candidate)


def add_objective(m: pyo.ConcreteModel, data: InvestInput) -> None:
    """Least annual cost (JPY/yr) by term as Expressions cost_<term>; budget mode: resilience first."""
    h, w, price = data.slot_hours, data.day_weights, data.price_jpy_per_kwh
    sites = data.sites
    m.cost_capital = pyo.Expression(expr=capex_expression(m, data, annualised=True))
    m.cost_energy = pyo.Expression(
        expr=sum(
            float(w[d])
            * h
            * (
                float(price[d, t]) * m.imp[j, d, t]
                - float(price[d, t] - data.sale_discount_jpy_per_kwh) * m.exp[j, d, t]
            )
            for j in m.J
            for d in m.D
            for t in m.T
        )
    )
    m.cost_wheeling = pyo.Expression(
        expr=data.wheeling_jpy_per_kwh * sum(float(w[d]) * h * m.imp[j, d, t] for j in m.J for d in m.D for t in m.T)
    )
    pv_kwh_per_kwp = [float((sites[j].pv_per_kwp * w[:, None]).sum() * h) for j in range(len(sites))]
    m.cost_imbalance = pyo.Expression(
        expr=data.imbalance_spread_jpy_per_kwh
        * data.costs.pv_forecast_nmae
        * sum(pv_kwh_per_kwp[j] * m.pv_new[j] for j in m.J)
    )
    m.cost_demand = pyo.Expression(expr=data.basic_charge_jpy_per_kw_month * 12 * sum(m.peak[j] for j in m.J))
    m.cost_capacity = pyo.Expression(
        expr=data.capacity_jpy_per_kw_year / 2 * (m.season_peak["summer"] + m.season_peak["winter"])
    )
    total = sum(getattr(m, f"cost_{k}") for k in COST_TERMS)
    if data.budget_jpy is None:
        m.objective = pyo.Objective(expr=total, sense=pyo.minimize)
        return
    m.budget = pyo.Constraint(expr=capex_expression(m, data, annualised=False) <= data.budget_jpy)
    share = sum(m.survived[j, k] / len(sites[j].outages) for (j, k) in m.W)
    m.objective = pyo.Objective(expr=total - RESILIENCE_WEIGHT_JPY * share, sense=pyo.minimize)


COST_TERMS = ("capital", "energy", "wheeling", "imbalance", "demand", "capacity")
