"""Fleet relaxation: an upper bound on what any outage plan serves, over every shelter (no candidate sets).

Each car keeps its own energy (kWh at slot starts within [floor, ceiling], through its discharge and charge
efficiencies, a PHEV's engine kWh apart) and its own power, but may be anywhere from the slot it could first
arrive (its free slot plus the shortest travel there) and may share a slot between stations: share[v,s,t]
>= 0 is the part of slot t car v delivers at station s (charges, at a charge point), at most 1 over all
stations. At a shelter it delivers at most share x min(its kW there, the tier-1 load + battery charge kW:
more serves only tiers 2 and 3); outlets are time-shared as in the exact model: shares of V2H cars at most the
shelter's chargers, of V2L cars at most 1 without v2l_parallel wiring, and while a lone V2L outlet feeds,
PV and battery serve only the rest of the slot. A charge point takes at most its chargers' shares.

Travel: each car's first trip (the shortest drive to anywhere it can serve) is taken at the start, and without
charge points a car also pays, for every kWh it delivers at shelter s, (its first trip to s) / (the most it can
deliver): a car that delivers everything at s has driven at least there (``travel_share``).

Every plan of model.py is a point of this LP (share = its plug, or 1 while it is alone on its station), with
the same tier-1 kWh (cars' deliveries cut to what tier 1 and the battery take): travel time and energy only
make plans worse. So its optimum bounds the first two stages: shelters fully served (``full`` relaxed to 0..1)
and tier-1 kWh given that count. Units: kW per 30-min slot, kWh; slots of data.slot_hours from data.start.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import numpy as np
import pyomo.environ as pyo

from optimizer.outage.inputs import OutageEV, OutageInput
from optimizer.outage.model import add_batteries, add_index_sets, add_shelters, bridges_until_cars
from optimizer.solver import HighsOptions, solve_once

log = logging.getLogger(__name__)


def shortest_paths(matrix: np.ndarray) -> np.ndarray:
    """Shortest sum between every two sites by any chain of moves (Floyd-Warshall on a site x site matrix of
    travel slots or km), as float."""
    best = np.asarray(matrix, dtype=float).copy()
    for k in range(len(best)):
        best = np.minimum(best, best[:, [k]] + best[[k], :])
    return best


@dataclass(frozen=True)
class CarClass:
    """Identical usable cars: the first one's index in usable_evs (its fields stand for all), how many, which."""

    car: int
    count: int
    members: tuple[int, ...]


def car_classes_with_members(data: OutageInput) -> list[CarClass]:
    """Usable cars grouped by every field but the id."""
    groups: dict[OutageEV, list[int]] = {}
    for v, ev in enumerate(data.usable_evs):
        groups.setdefault(replace(ev, id=""), []).append(v)
    return [CarClass(m[0], len(m), tuple(m)) for m in groups.values()]


def car_classes(data: OutageInput) -> list[tuple[int, int]]:
    """Usable cars grouped into classes of identical cars (every field but the id): (index of the first of
    the class in usable_evs, number of cars). The LP needs one set of columns per class: for an LP, n
    identical cars are one car n times as large (any plan's class sums are a point of it)."""
    return [(c.car, c.count) for c in car_classes_with_members(data)]


def first_slots(data: OutageInput) -> np.ndarray:
    """First slot each usable car could deliver (or charge) at each site: free slot + shortest travel, shape
    (cars, sites); n_slots if never."""
    travel = shortest_paths(data.travel_slots).astype(int)
    evs = data.usable_evs
    out = np.array([[e.available_from_slot + travel[e.site, j] for j in range(len(data.site_ids))] for e in evs])
    return np.asarray(np.minimum(out, data.n_slots), dtype=int).reshape(len(evs), len(data.site_ids))


def first_trip_kwh(data: OutageInput, v: int, km: np.ndarray | None = None) -> float:
    """kWh car v spends before it can deliver anywhere: the shortest drive from its start site to a shelter
    it can serve or a charge point (every plan that uses the car drives at least that far first), 0 if
    none is reachable (then it delivers nothing anyway). km: shortest_paths(distance_km), if already made."""
    ev, n_s = data.usable_evs[v], len(data.shelters)
    km = shortest_paths(data.distance_km) if km is None else km
    sites = [s for s in range(n_s) if ev.power_at(data.shelters[s]) > 0] + [c.site for c in data.charge_points]
    trips = [float(km[ev.site, s]) for s in sites]
    spend = min(trips, default=0.0) * ev.consumption_kwh_per_km
    return min(spend, max(ev.start_kwh - ev.floor_kwh, 0.0))


def useful_kw(data: OutageInput, s: int, t: int) -> float:
    """Most kW cars could usefully put into shelter s in slot t for tier 1: its tier-1 load and battery charge
    (what a plan delivers beyond that serves only tiers 2 and 3, which these bounds do not count)."""
    shelter = data.shelters[s]
    charge = shelter.battery.charge_kw if shelter.battery is not None else 0.0
    return float(shelter.tier1[t]) + charge


def build_fleet_bound(data: OutageInput) -> pyo.ConcreteModel:
    """The fleet relaxation LP with the first two lexicographic stages (mutable Params stage_full /
    stage_tier1 and full_min), ``full`` relaxed to 0..1."""
    m = pyo.ConcreteModel(name="outage_fleet_bound")
    add_index_sets(m, data)
    add_shelters(m, data)
    add_batteries(m, data)
    _add_shares(m, data)
    _add_car_energy(m, data)
    if not data.charge_points:
        _add_travel_share(m, data)
    _add_balance(m, data)
    _add_stages(m, data)
    return m


def _add_shares(m: pyo.ConcreteModel, data: OutageInput) -> None:
    """share / kw per (car, shelter, slot) from its first slot there, shares of charge points, outlet rules."""
    evs, n_s, many = data.usable_evs, len(data.shelters), dict(car_classes(data))
    first = first_slots(data)
    keys = [
        (v, s, t)
        for v, ev in ((v, evs[v]) for v in many)
        for s in range(n_s)
        if ev.power_at(data.shelters[s]) > 0
        for t in range(int(first[v, s]), data.n_slots)
    ]
    m.VST = pyo.Set(dimen=3, initialize=keys)
    m.share = pyo.Var(m.VST, bounds=lambda _m, v, s, t: (0.0, float(many[v])))
    m.kw = pyo.Var(m.VST, bounds=(0.0, None))
    limit = {(v, s, t): min(evs[v].power_at(data.shelters[s]), useful_kw(data, s, t)) for v, s, t in keys}
    m.kw_share = pyo.Constraint(m.VST, rule=lambda _m, v, s, t: _m.kw[v, s, t] <= limit[v, s, t] * _m.share[v, s, t])
    points = {c.site: c for c in data.charge_points}
    ckeys = [
        (v, c, t)
        for v, ev in ((v, evs[v]) for v in many)
        if ev.charge_kw > 0
        for c in points
        for t in range(int(first[v, c]), data.n_slots)
    ]
    m.VCT = pyo.Set(dimen=3, initialize=ckeys)
    m.cshare = pyo.Var(m.VCT, bounds=lambda _m, v, c, t: (0.0, float(many[v])))
    by_vt: dict[tuple[int, int], list[pyo.Var]] = {}
    for v, s, t in keys:
        by_vt.setdefault((v, t), []).append(m.share[v, s, t])
    for v, c, t in ckeys:
        by_vt.setdefault((v, t), []).append(m.cshare[v, c, t])
    m.one_place = pyo.Constraint(list(by_vt), rule=lambda _m, v, t: sum(by_vt[v, t]) <= many[v])
    cb: dict[tuple[int, int], list[pyo.Var]] = {}
    for v, c, t in ckeys:
        cb.setdefault((c, t), []).append(m.cshare[v, c, t])
    m.charge_point_chargers = pyo.Constraint(list(cb), rule=lambda _m, c, t: sum(cb[c, t]) <= points[c].chargers)
    _add_outlet_shares(m, data, keys)


def _add_outlet_shares(m: pyo.ConcreteModel, data: OutageInput, keys: list[tuple[int, int, int]]) -> None:
    """V2H shares at most the chargers, V2L shares at most 1 (unless v2l_parallel) per shelter and slot; a lone
    V2L outlet's share of the slot leaves PV and battery only the rest (``fleet_v2l_alone``)."""
    evs = data.usable_evs
    v2h: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    v2l: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for v, s, t in keys:
        (v2h if evs[v].uses_v2h(data.shelters[s]) else v2l).setdefault((s, t), []).append((v, s, t))
    m.fleet_v2h = pyo.Constraint(
        list(v2h), rule=lambda _m, s, t: sum(_m.share[k] for k in v2h[s, t]) <= data.shelters[s].chargers
    )
    single = [k for k in v2l if not data.shelters[k[0]].v2l_parallel]
    m.fleet_v2l = pyo.Constraint(single, rule=lambda _m, s, t: sum(_m.share[k] for k in v2l[s, t]) <= 1)
    load = data.critical_matrix()

    def alone(_m: pyo.ConcreteModel, s: int, t: int) -> pyo.Expression:
        outlets = sum(_m.kw[k] for k in v2l[s, t])
        return _m.served[t, s] - outlets <= float(load[t, s]) * (1 - sum(_m.share[k] for k in v2l[s, t]))

    m.fleet_v2l_alone = pyo.Constraint(single, rule=alone)


def _add_car_energy(m: pyo.ConcreteModel, data: OutageInput) -> None:
    """Car kWh at slot starts: delivered (less engine kWh) through the discharge efficiency, charged through the
    charge efficiency, within [floor, ceiling]; engine kW at most engine_kw x share and the kW delivered, its
    fuel's kWh in all."""
    evs, h, many = data.usable_evs, data.slot_hours, dict(car_classes(data))
    by_vt: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for v, s, t in m.VST:
        by_vt.setdefault((v, t), []).append((v, s, t))
    cby: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for v, c, t in m.VCT:
        cby.setdefault((v, t), []).append((v, c, t))
    points = {c.site: c for c in data.charge_points}
    ekeys = [k for k in m.VST if evs[k[0]].engine_kwh > 0]
    m.VSTE = pyo.Set(dimen=3, initialize=ekeys)
    m.eng = pyo.Var(m.VSTE, bounds=(0.0, None))
    m.eng_within = pyo.Constraint(m.VSTE, rule=lambda _m, v, s, t: _m.eng[v, s, t] <= _m.kw[v, s, t])
    m.eng_kw = pyo.Constraint(m.VSTE, rule=lambda _m, v, s, t: _m.eng[v, s, t] <= evs[v].engine_kw * _m.share[v, s, t])
    phev = sorted({k[0] for k in ekeys})
    m.eng_fuel = pyo.Constraint(
        phev, rule=lambda _m, v: h * sum(_m.eng[k] for k in ekeys if k[0] == v) <= many[v] * evs[v].engine_kwh
    )
    has_cp = {v for v, _, _ in m.VCT}
    top = {v: n * (evs[v].ceiling_kwh if v in has_cp else evs[v].start_kwh) for v, n in many.items()}
    vt1 = [(v, t) for v in many for t in range(data.n_slots + 1)]
    m.ev_kwh = pyo.Var(vt1, bounds=lambda _m, v, t: (many[v] * evs[v].floor_kwh, top[v]))
    km = shortest_paths(data.distance_km)
    for v, n in many.items():
        m.ev_kwh[v, 0].fix(n * (evs[v].start_kwh - first_trip_kwh(data, v, km)))

    def balance(_m: pyo.ConcreteModel, v: int, t: int) -> pyo.Expression:
        ev = evs[v]
        engine = sum(_m.eng[k] for k in by_vt.get((v, t), []) if k in _m.VSTE)
        out = (sum(_m.kw[k] for k in by_vt.get((v, t), [])) - engine) * h / ev.discharge_efficiency
        power = {k: min(ev.charge_kw, points[k[1]].charger_kw) for k in cby.get((v, t), [])}
        charged = sum(p * _m.cshare[k] for k, p in power.items()) * h * ev.charge_efficiency
        return _m.ev_kwh[v, t + 1] <= _m.ev_kwh[v, t] - out + charged

    m.ev_energy = pyo.Constraint([(v, t) for v in many for t in range(data.n_slots)], rule=balance)


def most_delivered_kwh(ev: OutageEV) -> float:
    """Most kWh (AC) a car can deliver over an outage without recharging: its battery above the floor through
    its discharge efficiency, plus its engine's fuel kWh."""
    return max(ev.start_kwh - ev.floor_kwh, 0.0) * ev.discharge_efficiency + ev.engine_kwh


def _add_travel_share(m: pyo.ConcreteModel, data: OutageInput) -> None:
    """Without charge points a car drives at least as far as the farthest shelter it delivers at, so at least
    sum over shelters of (its first trip there, kWh) x (share of its most deliverable kWh it delivers there):
    each class ends the outage that much above its floors, beyond the first trips taken at the start
    (``travel_share``). Valid for classes: the sum of its cars' own inequalities."""
    evs, h, many = data.usable_evs, data.slot_hours, dict(car_classes(data))
    km = shortest_paths(data.distance_km)
    by_v: dict[int, list[tuple[int, int, int]]] = {}
    for k in m.VST:
        by_v.setdefault(k[0], []).append(k)

    def rule(_m: pyo.ConcreteModel, v: int) -> pyo.Expression:
        ev, n = evs[v], many[v]
        most = most_delivered_kwh(ev)
        if most <= 1e-9:
            return pyo.Constraint.Skip
        per_kwh = {s: ev.consumption_kwh_per_km * float(km[ev.site, s]) / most for _, s, _ in by_v.get(v, [])}
        drive = h * sum(per_kwh[s] * _m.kw[v, s, t] for _, s, t in by_v.get(v, []))
        return _m.ev_kwh[v, data.n_slots] >= n * ev.floor_kwh + drive - n * first_trip_kwh(data, v, km)

    m.travel_share = pyo.Constraint(sorted(many), rule=rule)


def _add_balance(m: pyo.ConcreteModel, data: OutageInput) -> None:
    """PV used + battery discharge + cars = served + comfort + battery charge per shelter and slot (kW)."""
    at: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for v, s, t in m.VST:
        at.setdefault((s, t), []).append((v, s, t))

    def rule(_m: pyo.ConcreteModel, t: int, s: int) -> pyo.Expression:
        cars = sum(_m.kw[k] for k in at.get((s, t), []))
        comfort = _m.comfort[t, s] if s in _m.SC else 0.0
        return _m.pv_used[t, s] + _m.bat_discharge[t, s] + cars == _m.served[t, s] + comfort + _m.bat_charge[t, s]

    m.energy_balance = pyo.Constraint(m.T, m.S, rule=rule)


def _add_stages(m: pyo.ConcreteModel, data: OutageInput) -> None:
    """Stage objectives: n_full (full[s] in 0..1 with served1 >= tier1 x full) and tier1_kwh; full_min keeps
    the first stage's value in the second."""
    h, tier1 = data.slot_hours, data.tier1_matrix()
    m.full = pyo.Var(m.S, bounds=(0.0, 1.0))
    m.tier1_full = pyo.Constraint(m.T, m.S, rule=lambda _m, t, s: _m.served1[t, s] >= float(tier1[t, s]) * _m.full[s])
    m.n_full = pyo.Expression(expr=sum(m.full[s] for s in m.S))
    m.tier1_kwh = pyo.Expression(expr=h * sum(m.served1[t, s] for t in m.T for s in m.S))
    m.stage_full = pyo.Param(mutable=True, initialize=1.0)
    m.stage_tier1 = pyo.Param(mutable=True, initialize=0.0)
    m.full_min = pyo.Param(mutable=True, initialize=0.0)
    m.keep_full = pyo.Constraint(expr=m.n_full >= m.full_min)
    expr = m.stage_full * m.n_full + m.stage_tier1 * m.tier1_kwh
    m.objective = pyo.Objective(expr=expr, sense=pyo.maximize)


def count_bound(data: OutageInput) -> int:
    """Shelters whose tier 1 could be fully served all outage at most: those whose own PV and battery bridge
    until the first slot any car could deliver there (model.bridges_until_cars; a valid cut of every plan)."""
    first = first_slots(data)
    earliest = first.min(axis=0) if len(first) else np.full(len(data.site_ids), data.n_slots)
    return sum(1 for s in range(len(data.shelters)) if bridges_until_cars(data, s, int(earliest[s])))


def fleet_bounds(data: OutageInput, plan_full: int, time_limit_s: float = 30.0) -> dict[str, float]:
    """Upper bounds over every plan: 'full' (shelters with tier 1 fully served: ``count_bound``, tightened by
    the LP of the fleet relaxation if that does not already prove plan_full optimal) and 'tier1' (kWh, LP by
    the interior-point method; with the count held at plan_full when that is proven optimal, else whatever the
    count). A bound HiGHS does not reach in time is left out."""
    started = time.perf_counter()
    out: dict[str, float] = {"full": float(count_bound(data))}
    m = build_fleet_bound(data)
    if out["full"] > plan_full:
        run = solve_once(m, HighsOptions(time_limit_s=time_limit_s / 2, raw={"solver": "ipm"}))
        if run.optimal and run.objective is not None:
            out["full"] = min(out["full"], float(np.floor(run.objective + 1e-6)))
    m.stage_full.set_value(0.0)
    m.stage_tier1.set_value(1.0)
    m.full_min.set_value(float(plan_full) if plan_full >= out["full"] else 0.0)
    left = max(time_limit_s - (time.perf_counter() - started), 1.0)
    run = solve_once(m, HighsOptions(time_limit_s=left, raw={"solver": "ipm"}))
    if run.optimal and run.objective is not None:
        out["tier1"] = float(run.objective) * (1 + 1e-6)
    else:
        log.info("fleet tier-1 bound: HiGHS ended %s", run.termination)
    return out
