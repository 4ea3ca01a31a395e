"""Pyomo MILP of outage dispatch with EV relocation in blocks (the exact model), built by named steps.

Decisions: x[v,s,b] (binary) car v stationed at station s (a shelter or a charge point) in block b, as a
time-expanded network flow per car: g[v,s,b] leaves its start site for s, y[v,r,s,b] goes from r to s
(r == s: stays), 0..1 and integral when x is; ev_kw[v,s,t] kW it delivers at a shelter, charge_kw[v,c,t]
kW it takes at a charge point; per shelter PV used, battery charge/discharge and served critical load, kW
per slot; stored energies in kWh at slot starts. A car is at one station per block and, once deployed,
stays deployed (there is no arc home). It delivers nothing before it has arrived along its arc (travel
slots at the block start; a move must fit in one block: there is no arc otherwise), nothing below its
floor, at most v2h_kw (bidirectional charger, capped at its rating) or v2l_kw; one car per V2H charger at a
time and one V2L outlet alone unless the wiring allows more (``add_outlets``); not before the car is free
(available_from_slot) plus its travel. Interchangeable cars are ordered (``same_car_order``).
Objective, lexicographic (solved in stages): shelters with tier 1 fully served for the whole outage, then
tier-1 kWh, then priority- and slot-weighted served kWh (OutageInput.slot_weights) minus move_penalty per
move, then (with a comfort tier) comfort kWh with the other stages' values kept. A PHEV's engine adds
eng_kw[v,s,t] to its delivery (within its outlet's kW), from its fuel's kWh. routing.py is the block-level
relaxation of this model.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyomo.environ as pyo

from optimizer.outage.inputs import OutageEV, OutageInput


def candidate_sets(data: OutageInput, extra: Mapping[int, set[int]] | None = None) -> dict[int, list[int]]:
    """Shelters each usable car may serve: its nearest `candidate_shelters` plus `extra`, with power > 0 and
    reachable from its start within one block."""
    extra = extra or {}
    out = {}
    for v, ev in enumerate(data.usable_evs):
        chosen = set(data.candidates(ev)) | set(extra.get(v, set()))
        shelters = [s for s in chosen if s < len(data.shelters)]
        out[v] = sorted(s for s in shelters if ev.power_at(data.shelters[s]) > 0 and data.reachable(ev.site, s))
        if ev.charge_kw > 0:
            out[v] += [c.site for c in data.charge_points]
    return out


def add_index_sets(m: pyo.ConcreteModel, data: OutageInput) -> None:
    """The index sets every outage model shares: slots T, SoC instants T1 (slot starts and the end), shelters S,
    relocation blocks B."""
    m.T = pyo.RangeSet(0, data.n_slots - 1)
    m.T1 = pyo.RangeSet(0, data.n_slots)
    m.S = pyo.RangeSet(0, len(data.shelters) - 1)
    m.B = pyo.RangeSet(0, data.n_blocks - 1)


def build_model(data: OutageInput, candidates: Mapping[int, list[int]]) -> pyo.ConcreteModel:
    """The outage MILP for `data` with the given candidate shelters per car (index into usable_evs)."""
    m = pyo.ConcreteModel(name="outage")
    add_index_sets(m, data)
    add_shelters(m, data)
    add_batteries(m, data)
    add_ev_assignment(m, data, candidates)
    add_ev_delivery(m, data, candidates)
    add_ev_charging(m, data, candidates)
    add_ev_energy(m, data, candidates)
    add_outlets(m, data, shelter_candidates(data, candidates))
    add_balance(m, data)
    add_objective(m, data)
    return m


def add_shelters(m: pyo.ConcreteModel, data: OutageInput) -> None:
    """Served critical load and PV used per shelter and slot, kW, bounded by the series; comfort[t,s] kW of
    the comfort tier served, for shelters with one (m.SC)."""
    load, pv, comfort = data.critical_matrix(), data.pv_matrix(), data.comfort_matrix()
    m.SC = pyo.Set(initialize=[s for s in range(len(data.shelters)) if comfort[:, s].sum() > 0])
    m.comfort = pyo.Var(m.T, m.SC, bounds=lambda _m, t, s: (0.0, float(comfort[t, s])))
    m.served = pyo.Var(m.T, m.S, bounds=lambda _m, t, s: (0.0, float(load[t, s])))
    m.pv_used = pyo.Var(m.T, m.S, bounds=lambda _m, t, s: (0.0, float(pv[t, s])))
    tier1 = data.tier1_matrix()
    m.served1 = pyo.Var(m.T, m.S, bounds=lambda _m, t, s: (0.0, float(tier1[t, s])))
    m.tier1_first = pyo.Constraint(m.T, m.S, rule=lambda _m, t, s: _m.served1[t, s] <= _m.served[t, s])


def add_batteries(m: pyo.ConcreteModel, data: OutageInput) -> None:
    """Battery charge/discharge kW and stored kWh for shelters with a battery (others fixed to zero)."""
    bats = {s: sh.battery for s, sh in enumerate(data.shelters) if sh.battery is not None}
    m.SB = pyo.Set(initialize=sorted(bats))
    m.bat_charge = pyo.Var(m.T, m.S, bounds=lambda _m, t, s: (0.0, bats[s].charge_kw if s in bats else 0.0))
    m.bat_discharge = pyo.Var(m.T, m.S, bounds=lambda _m, t, s: (0.0, bats[s].discharge_kw if s in bats else 0.0))
    m.bat_kwh = pyo.Var(m.T1, m.SB, bounds=lambda _m, t, s: (bats[s].floor_kwh, bats[s].ceiling_kwh))
    for s, bat in bats.items():
        m.bat_kwh[0, s].fix(bat.start_kwh)
    h = data.slot_hours

    def stored(_m: pyo.ConcreteModel, t: int, s: int) -> pyo.Expression:
        bat = bats[s]
        return _m.bat_kwh[t + 1, s] == _m.bat_kwh[t, s] + h * (
            bat.charge_efficiency * _m.bat_charge[t, s] - _m.bat_discharge[t, s] / bat.discharge_efficiency
        )

    m.battery_energy = pyo.Constraint(m.T, m.SB, rule=stored)


def add_ev_assignment(m: pyo.ConcreteModel, data: OutageInput, cand: Mapping[int, list[int]]) -> None:
    """Time-expanded network flow per car: node = (station, block), arcs = stay, travel between stations
    (only if the trip fits in one block) and departure from the start site (not before the car is free).

    x[v,s,b] (binary) car v stationed at s in block b = the arcs arriving there (``arrive``) = the arcs
    leaving it at the next block (``leave``); g[v,s,b] departs from its start site to s in block b, y[v,r,s,b]
    goes from r (block b-1) to s (block b), r == s a stay. Flow conservation makes the arcs 0/1 when x is and
    is far tighter than linking moves to pairs of x by big-M rows (z >= x + x - 1). Once deployed a car stays
    deployed (there is no arc back to the start site)."""
    evs = data.usable_evs
    m.VSB = pyo.Set(dimen=3, initialize=[(v, s, b) for v in cand for s in cand[v] for b in range(data.n_blocks)])
    m.x = pyo.Var(m.VSB, domain=pyo.Binary)
    home = [(v, s, b) for v, s, b in m.VSB if not _before_free(data, evs[v], s, b)]
    m.HOME = pyo.Set(dimen=3, initialize=home)
    m.g = pyo.Var(m.HOME, bounds=(0.0, 1.0))
    arcs = [
        (v, r, s, b)
        for v in cand
        for r in cand[v]
        for s in cand[v]
        for b in range(1, data.n_blocks)
        if r == s or data.reachable(r, s)
    ]
    m.ARC = pyo.Set(dimen=4, initialize=arcs)
    m.y = pyo.Var(m.ARC, bounds=(0.0, 1.0))
    into: dict[tuple[int, int, int], list[pyo.Var]] = {k: [] for k in m.VSB}
    out: dict[tuple[int, int, int], list[pyo.Var]] = {k: [] for k in m.VSB}
    for v, s, b in home:
        into[v, s, b].append(m.g[v, s, b])
    for v, r, s, b in arcs:
        into[v, s, b].append(m.y[v, r, s, b])
        out[v, r, b - 1].append(m.y[v, r, s, b])
    m.arrive = pyo.Constraint(m.VSB, rule=lambda _m, v, s, b: _m.x[v, s, b] == sum(into[v, s, b]))
    last = data.n_blocks - 1
    m.leave = pyo.Constraint(
        [k for k in m.VSB if k[2] < last], rule=lambda _m, v, s, b: _m.x[v, s, b] == sum(out[v, s, b])
    )
    vb = [(v, b) for v in cand if cand[v] for b in range(data.n_blocks)]  # a car with no station: no row
    m.one_place = pyo.Constraint(vb, rule=lambda _m, v, b: sum(_m.x[v, s, b] for s in cand[v]) <= 1)
    for v, s, b in m.VSB:
        if not into[v, s, b]:
            m.x[v, s, b].fix(0)
    add_symmetry_breaking(m, data, cand)


def _before_free(data: OutageInput, ev: OutageEV, s: int, b: int) -> bool:
    """True if the car cannot leave its start site for s in block b: not free yet, or not there by the end
    of the block it becomes free in."""
    return b <= ev.available_from_slot // data.block_slots and b < data.first_block(ev, s)


def identical_groups(data: OutageInput, cand: Mapping[int, list[int]]) -> list[list[int]]:
    """Groups (size >= 2) of usable cars that are interchangeable: same start site, battery, powers,
    efficiencies, availability and candidate stations."""
    groups: dict[tuple[object, ...], list[int]] = {}
    for v in cand:
        e = data.usable_evs[v]
        key: tuple[object, ...] = (
            e.site,
            e.capacity_kwh,
            e.soc_start,
            e.soc_floor,
            e.v2h_kw,
            e.v2l_kw,
            e.consumption_kwh_per_km,
        )
        key += (e.discharge_efficiency, e.charge_kw, e.charge_efficiency, e.available_from_slot, tuple(cand[v]))
        key += (e.engine_kw, e.engine_kwh)
        groups.setdefault(key, []).append(v)
    return [g for g in groups.values() if len(g) > 1]


def add_symmetry_breaking(m: pyo.ConcreteModel, data: OutageInput, cand: Mapping[int, list[int]]) -> None:
    """Of two interchangeable cars the first is deployed no later (``same_car_order``): swapping their whole
    itineraries gives a plan of the same value, so this removes only duplicates."""
    pairs = [(g[i], g[i + 1]) for g in identical_groups(data, cand) for i in range(len(g) - 1)]
    keys = [(a, c, b) for a, c in pairs for b in range(data.n_blocks)]
    m.same_car_order = pyo.Constraint(
        keys,
        rule=lambda _m, a, c, b: sum(_m.x[a, s, b] for s in cand[a]) >= sum(_m.x[c, s, b] for s in cand[c]),
    )


def shelter_candidates(data: OutageInput, cand: Mapping[int, list[int]]) -> dict[int, list[int]]:
    """The shelters among each car's stations (charge points are sites beyond the shelters)."""
    return {v: [s for s in stations if s < len(data.shelters)] for v, stations in cand.items()}


def add_ev_delivery(m: pyo.ConcreteModel, data: OutageInput, cand: Mapping[int, list[int]]) -> None:
    """Car discharge kW at a shelter: only when stationed there and arrived (not while travelling)."""
    evs, shelters = data.usable_evs, shelter_candidates(data, cand)
    m.VST = pyo.Set(dimen=3, initialize=[(v, s, t) for v in shelters for s in shelters[v] for t in range(data.n_slots)])
    power = {(v, s): evs[v].power_at(data.shelters[s]) for v in shelters for s in shelters[v]}
    m.ev_kw = pyo.Var(m.VST, bounds=lambda _m, v, s, t: (0.0, power[v, s]))
    add_station_rules(m, "ev", m.ev_kw, m.VST, power, data, cand)
    add_engines(m, data, shelters)


def add_engines(m: pyo.ConcreteModel, data: OutageInput, shelters: Mapping[int, list[int]]) -> None:
    """A PHEV's engine: eng_kw[v,s,t] kW of its delivery ev_kw made by the engine (``engine_within``: at most
    ev_kw, so within the outlet's kW and only while there), at most engine_kw, and over the outage at most
    its fuel's electric kWh (``engine_fuel``)."""
    evs, h = data.usable_evs, data.slot_hours
    phev = [v for v in shelters if evs[v].engine_kwh > 0]
    m.VSTE = pyo.Set(dimen=3, initialize=[(v, s, t) for v in phev for s in shelters[v] for t in range(data.n_slots)])
    m.eng_kw = pyo.Var(m.VSTE, bounds=lambda _m, v, s, t: (0.0, evs[v].engine_kw))
    m.engine_within = pyo.Constraint(m.VSTE, rule=lambda _m, v, s, t: _m.eng_kw[v, s, t] <= _m.ev_kw[v, s, t])
    m.engine_fuel = pyo.Constraint(
        phev,
        rule=lambda _m, v: (
            h * sum(_m.eng_kw[v, s, t] for s in shelters[v] for t in range(data.n_slots)) <= evs[v].engine_kwh
        ),
    )


def add_station_rules(
    m: pyo.ConcreteModel,
    name: str,
    flow: pyo.Var,
    keys: pyo.Set,
    power: Mapping[tuple[int, int], float],
    data: OutageInput,
    cand: Mapping[int, list[int]],
) -> None:
    """flow[v,s,t] (kW, delivered or charged at station s) <= power x (the arcs into (s, block of t) along
    which the car has arrived by slot t) (``<name>_arrived``): a stay, a move whose travel slots have passed,
    or a departure from the start site at max(block start, available_from_slot) plus its travel."""
    arcs_in = arcs_into(m, data)

    def arrived(_m: pyo.ConcreteModel, v: int, s: int, t: int) -> pyo.Expression:
        terms = arrived_terms(_m, data, arcs_in, v, s, t)
        if not terms:
            return flow[v, s, t] <= 0
        return flow[v, s, t] <= power[v, s] * sum(terms)

    m.add_component(f"{name}_arrived", pyo.Constraint(keys, rule=arrived))


ArcsIn = dict[tuple[int, int, int], list[tuple[int, int]]]


def arcs_into(m: pyo.ConcreteModel, data: OutageInput) -> ArcsIn:
    """Per (car, station, block): the (from-station, travel slots) of the arcs y arriving there."""
    arcs_in: ArcsIn = {}
    for v, r, s, b in m.ARC:
        steps = 0 if r == s else min(int(data.travel_slots[r, s]), data.block_slots)
        arcs_in.setdefault((v, s, b), []).append((r, steps))
    return arcs_in


def arrived_terms(m: pyo.ConcreteModel, data: OutageInput, arcs_in: ArcsIn, v: int, s: int, t: int) -> list[pyo.Var]:
    """The arc variables along which car v is at station s and has arrived by slot t (their sum is 0 or 1):
    a stay, a move whose travel slots have passed, a departure from the start site at max(block start,
    available_from_slot) plus its travel."""
    b, ev, block = data.block_of(t), data.usable_evs[v], data.block_slots
    terms = [m.y[v, r, s, b] for r, steps in arcs_in.get((v, s, b), []) if t >= b * block + steps]
    leave = max(b * block, ev.available_from_slot)
    if (v, s, b) in m.HOME and t >= leave + min(int(data.travel_slots[ev.site, s]), block):
        terms.append(m.g[v, s, b])
    return terms


def add_ev_charging(m: pyo.ConcreteModel, data: OutageInput, cand: Mapping[int, list[int]]) -> None:
    """Recharge at charge points: charge_kw[v,c,t] <= min(car, charger) kW while stationed there and arrived;
    at most `chargers` cars at a charge point per block (``charge_point_chargers``)."""
    evs, n_s = data.usable_evs, len(data.shelters)
    keys = [(v, c, t) for v in cand for c in cand[v] if c >= n_s for t in range(data.n_slots)]
    m.VCT = pyo.Set(dimen=3, initialize=keys)
    points = {c.site: c for c in data.charge_points}
    power = {(v, c): min(evs[v].charge_kw, points[c].charger_kw) for v in cand for c in cand[v] if c >= n_s}
    m.charge_kw = pyo.Var(m.VCT, bounds=lambda _m, v, c, t: (0.0, power[v, c]))
    add_station_rules(m, "charge", m.charge_kw, m.VCT, power, data, cand)
    cb = [(c, b) for c in points for b in range(data.n_blocks) if any(c in cand[v] for v in cand)]
    m.charge_point_chargers = pyo.Constraint(
        cb,
        rule=lambda _m, c, b: sum(_m.x[v, c, b] for v in cand if c in cand[v]) <= points[c].chargers,
    )


def add_ev_energy(m: pyo.ConcreteModel, data: OutageInput, cand: Mapping[int, list[int]]) -> None:
    """Car stored kWh: discharge (less what its engine makes) through its efficiency, recharge (charge_kw from
    add_ev_charging) through its charge efficiency, travel energy taken at the block start, >= floor."""
    evs, h, block = data.usable_evs, data.slot_hours, data.block_slots
    shelters = shelter_candidates(data, cand)
    vt1 = [(v, t) for v in cand for t in range(data.n_slots + 1)]
    top = {v: evs[v].ceiling_kwh if any(s >= len(data.shelters) for s in cand[v]) else evs[v].start_kwh for v in cand}
    m.ev_kwh = pyo.Var(vt1, bounds=lambda _m, v, t: (evs[v].floor_kwh, top[v]))
    for v in cand:
        m.ev_kwh[v, 0].fix(evs[v].start_kwh)
    km = data.distance_km
    moves_of: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for v, r, s, b in m.ARC:
        if r != s:
            moves_of.setdefault((v, b), []).append((r, s))

    def travel(_m: pyo.ConcreteModel, v: int, t: int) -> pyo.Expression:
        if t % block:
            return 0.0
        b, ev = t // block, evs[v]
        home = sum(km[ev.site, s] * _m.g[v, s, b] for s in cand[v] if (v, s, b) in _m.HOME)
        moves = sum(km[r, s] * _m.y[v, r, s, b] for r, s in moves_of.get((v, b), []))
        return ev.consumption_kwh_per_km * (home + moves)

    def balance(_m: pyo.ConcreteModel, v: int, t: int) -> pyo.Expression:
        engine = sum(_m.eng_kw[v, s, t] for s in shelters[v] if (v, s, t) in _m.VSTE)
        out = (sum(_m.ev_kw[v, s, t] for s in shelters[v]) - engine) * h / evs[v].discharge_efficiency
        charged = sum(_m.charge_kw[v, c, t] for c in cand[v] if c >= len(data.shelters)) * h * evs[v].charge_efficiency
        return _m.ev_kwh[v, t + 1] == _m.ev_kwh[v, t] - out + charged - travel(_m, v, t)

    m.ev_energy = pyo.Constraint([(v, t) for v in cand for t in range(data.n_slots)], rule=balance)


def outlet_groups(
    data: OutageInput, cand: Mapping[int, list[int]]
) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """Per shelter, the candidate cars that discharge through a V2H charger and those through a V2L outlet."""
    v2h: dict[int, list[int]] = {s: [] for s in range(len(data.shelters))}
    v2l: dict[int, list[int]] = {s: [] for s in range(len(data.shelters))}
    for v, shelters in cand.items():
        for s in shelters:
            (v2h if data.usable_evs[v].uses_v2h(data.shelters[s]) else v2l)[s].append(v)
    return v2h, v2l


def add_outlets(m: pyo.ConcreteModel, data: OutageInput, cand: Mapping[int, list[int]]) -> None:
    """Charger and outlet physics (binaries per slot only where they can bind).

    plug[v,s,t] = 1 if car v is on a V2H charger (or its V2L outlet feeds the shelter) in slot t. At most
    `chargers` cars per shelter on V2H at once (``v2h_chargers``). Without v2l_parallel wiring, v2l_on[s,t] = 1
    if one V2L outlet feeds the critical circuit alone: at most one car's outlet (``one_v2l_outlet``), and the
    building supply (PV, battery, V2H) serves nothing then (``v2l_alone``), nor the comfort tier on the
    building circuit (``v2l_no_comfort``)."""
    v2h, v2l = outlet_groups(data, cand)
    power = {(v, s): data.usable_evs[v].power_at(data.shelters[s]) for v in cand for s in cand[v]}
    crowded = {s: cars for s, cars in v2h.items() if len(cars) > data.shelters[s].chargers}
    single = {s: cars for s, cars in v2l.items() if cars and not data.shelters[s].v2l_parallel}
    keys = [(v, s, t) for s, cars in crowded.items() for v in cars for t in range(data.n_slots)]
    keys += [(v, s, t) for s, cars in single.items() if len(cars) > 1 for v in cars for t in range(data.n_slots)]
    m.PLUG = pyo.Set(dimen=3, initialize=keys)
    m.plug = pyo.Var(m.PLUG, domain=pyo.Binary)
    m.plugged = pyo.Constraint(m.PLUG, rule=lambda _m, v, s, t: _m.ev_kw[v, s, t] <= power[v, s] * _m.plug[v, s, t])
    m.plug_if_there = pyo.Constraint(m.PLUG, rule=lambda _m, v, s, t: _m.plug[v, s, t] <= _m.x[v, s, data.block_of(t)])
    st_h = [(s, t) for s in crowded for t in range(data.n_slots)]
    m.v2h_chargers = pyo.Constraint(
        st_h, rule=lambda _m, s, t: sum(_m.plug[v, s, t] for v in crowded[s]) <= data.shelters[s].chargers
    )
    m.SL = pyo.Set(dimen=2, initialize=[(s, t) for s in single for t in range(data.n_slots)])
    m.v2l_on = pyo.Var(m.SL, domain=pyo.Binary)
    load = data.critical_matrix()

    def one_outlet(_m: pyo.ConcreteModel, s: int, t: int) -> pyo.Expression:
        cars = single[s]
        if len(cars) == 1:
            return _m.ev_kw[cars[0], s, t] <= power[cars[0], s] * _m.v2l_on[s, t]
        return sum(_m.plug[v, s, t] for v in cars) <= _m.v2l_on[s, t]

    def alone(_m: pyo.ConcreteModel, s: int, t: int) -> pyo.Expression:
        outlets = sum(_m.ev_kw[v, s, t] for v in single[s])
        return _m.served[t, s] - outlets <= float(load[t, s]) * (1 - _m.v2l_on[s, t])

    m.one_v2l_outlet = pyo.Constraint(m.SL, rule=one_outlet)
    m.v2l_alone = pyo.Constraint(m.SL, rule=alone)
    comfort = data.comfort_matrix()
    m.v2l_no_comfort = pyo.Constraint(
        [(s, t) for s, t in m.SL if s in m.SC],
        rule=lambda _m, s, t: _m.comfort[t, s] <= float(comfort[t, s]) * (1 - _m.v2l_on[s, t]),
    )


def add_balance(m: pyo.ConcreteModel, data: OutageInput) -> None:
    """Per shelter and slot: PV used + battery discharge + EV delivery = served + comfort + battery charge (kW)."""
    by_shelter: dict[int, list[tuple[int, int]]] = {s: [] for s in range(len(data.shelters))}
    for v, s, t in m.VST:
        if t == 0:
            by_shelter[s].append((v, s))

    def rule(_m: pyo.ConcreteModel, t: int, s: int) -> pyo.Expression:
        evs = sum(_m.ev_kw[v, s, t] for v, _ in by_shelter[s])
        served = _m.served[t, s] + comfort_at(_m, t, s)
        return _m.pv_used[t, s] + _m.bat_discharge[t, s] + evs == served + _m.bat_charge[t, s]

    m.energy_balance = pyo.Constraint(m.T, m.S, rule=rule)


def comfort_at(m: pyo.ConcreteModel, t: int, s: int) -> pyo.Var | float:
    """The comfort tier served at shelter s in slot t (kW), 0 where the shelter has none."""
    return m.comfort[t, s] if s in m.SC else 0.0


def add_tiers(m: pyo.ConcreteModel, data: OutageInput) -> None:
    """full[s] = 1 only if shelter s has its tier 1 served in every slot (``tier1_full``)."""
    tier1 = data.tier1_matrix()
    m.full = pyo.Var(m.S, domain=pyo.Binary)
    m.tier1_full = pyo.Constraint(m.T, m.S, rule=lambda _m, t, s: _m.served1[t, s] >= float(tier1[t, s]) * _m.full[s])
    for s in m.S:
        if not bridges_until_cars(data, s, earliest_car_slot(data, m, s)):
            m.full[s].fix(0)


def earliest_car_slot(data: OutageInput, m: pyo.ConcreteModel, s: int) -> int:
    """First slot in which any car of the model can deliver at shelter s (n_slots if none can)."""
    first = data.n_slots
    for v, r, b in m.HOME:
        if r == s:
            ev = data.usable_evs[v]
            steps = min(int(data.travel_slots[ev.site, s]), data.block_slots)
            first = min(first, max(b * data.block_slots, ev.available_from_slot) + steps)
    return first


def bridges_until_cars(data: OutageInput, s: int, first: int) -> bool:
    """True if the shelter's own PV and battery can serve its tier 1 alone in every slot before `first`
    (serving only tier 1, storing all surplus PV: the most any plan can do before a car arrives). If not,
    no plan serves its tier 1 fully all outage and its ``full`` binary is fixed to 0 (a valid cut)."""
    shelter, h = data.shelters[s], data.slot_hours
    bat, pv, need = shelter.battery, shelter.usable_pv_kw, shelter.tier1
    level = bat.start_kwh if bat else 0.0
    for t in range(min(first, data.n_slots)):
        short = float(need[t] - pv[t])
        if bat is None:
            if short > 1e-6:
                return False
            continue
        if short > 0:
            give = min(bat.discharge_kw, max(level - bat.floor_kwh, 0.0) * bat.discharge_efficiency / h)
            if give < short - 1e-6:
                return False
            level -= short * h / bat.discharge_efficiency
        else:
            room = max(bat.ceiling_kwh - level, 0.0) / (bat.charge_efficiency * h)
            level += min(-short, bat.charge_kw, room) * h * bat.charge_efficiency
    return True


def add_objective(m: pyo.ConcreteModel, data: OutageInput) -> None:
    """Lexicographic objective, one stage at a time (solve.py): the stage weights are mutable Params.

    Stage 1 maximises ``n_full`` (shelters with tier 1 fully served all outage), stage 2 ``tier1_kwh`` with
    n_full >= full_min, stage 3 ``final`` (priority- and slot-weighted served kWh minus move_penalty per
    deployment or relocation: tier 2 and timing) with tier1_kwh >= tier1_min as well; with a comfort tier,
    stage 4 ``comfort_kwh`` with final >= final_min as well (so comfort never costs tiers 1 and 2)."""
    add_tiers(m, data)
    h, w = data.slot_hours, data.slot_weights
    served = sum(data.shelters[s].priority * w[t] * h * m.served[t, s] for t in m.T for s in m.S)
    moves = sum(m.g[k] for k in m.HOME) + sum(m.y[v, r, s, b] for v, r, s, b in m.ARC if r != s)
    m.weighted_served = pyo.Expression(expr=served)
    m.moves = pyo.Expression(expr=moves)
    m.n_full = pyo.Expression(expr=sum(m.full[s] for s in m.S))
    m.tier1_kwh = pyo.Expression(expr=h * sum(m.served1[t, s] for t in m.T for s in m.S))
    m.final = pyo.Expression(expr=served - data.move_penalty * moves)
    m.stage_full = pyo.Param(mutable=True, initialize=0.0)
    m.stage_tier1 = pyo.Param(mutable=True, initialize=0.0)
    m.stage_final = pyo.Param(mutable=True, initialize=1.0)
    m.full_min = pyo.Param(mutable=True, initialize=0.0)
    m.tier1_min = pyo.Param(mutable=True, initialize=0.0)
    m.keep_full = pyo.Constraint(expr=m.n_full >= m.full_min)
    m.keep_tier1 = pyo.Constraint(expr=m.tier1_kwh >= m.tier1_min)
    expr = m.stage_full * m.n_full + m.stage_tier1 * m.tier1_kwh + m.stage_final * m.final
    if len(m.SC):
        m.comfort_kwh = pyo.Expression(expr=h * sum(m.comfort[t, s] for t in m.T for s in m.SC))
        m.stage_comfort = pyo.Param(mutable=True, initialize=0.0)
        lowest = -data.move_penalty * (len(m.HOME) + len(m.ARC)) - 1.0  # final can be no lower
        m.final_min = pyo.Param(mutable=True, initialize=lowest)
        m.keep_final = pyo.Constraint(expr=m.final >= m.final_min)
        expr = expr + m.stage_comfort * m.comfort_kwh
    m.objective = pyo.Objective(expr=expr, sense=pyo.maximize)
