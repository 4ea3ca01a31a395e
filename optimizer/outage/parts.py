"""Dispatch a fixed routing part by part: with the routing fixed, the exact MILP (model.py) falls apart into
independent parts, each a set of shelters and the cars that visit them (two shelters are in one part if a car
visits both; every car at a charge point shares that point's chargers, so charge points join parts too).

Every stage of the lexicographic objective (shelters fully served, tier-1 kWh, slot-weighted served kWh less
move penalties, comfort kWh) is a sum over parts, so the lexicographic optimum of the whole is the parts'
optima put together (a part that reached less than its most fully served shelters would lower the sum), and
each part is a far smaller MILP than the whole. ``redispatch`` solves only the parts a change of routing
touched and takes every other shelter's and car's arrays from the plan before the change.

Units as in OutagePlan: kW per slot of data.slot_hours, kWh at slot starts; indices of usable_evs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from optimizer.outage.inputs import OutageInput
from optimizer.outage.load_following import plan_objective, simulate
from optimizer.outage.result import OutagePlan

Part = tuple[list[int], list[int]]  # (shelters, cars), sorted
Dispatch = Callable[[OutageInput, np.ndarray], OutagePlan | None]  # exact dispatch of a fixed routing


def parts(data: OutageInput, assignment: np.ndarray) -> list[Part]:
    """The independent parts of a routing: shelters linked by the cars that visit them (union-find over
    stations); shelters no car visits are not in any part."""
    parent: dict[int, int] = {}

    def root(a: int) -> int:
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    car_of: dict[int, int] = {}
    for v in range(assignment.shape[0]):
        stations = sorted({int(s) for s in assignment[v] if s >= 0})
        if not stations:
            continue
        car_of[v] = stations[0]
        for s in stations[1:]:
            parent[root(s)] = root(stations[0])
    groups: dict[int, Part] = {}
    for v, first in car_of.items():
        groups.setdefault(root(first), ([], []))[1].append(v)
    n_s = len(data.shelters)
    for s in list(parent):
        if s < n_s:
            groups.setdefault(root(s), ([], []))[0].append(s)
    return [(sorted(shelters), sorted(cars)) for shelters, cars in groups.values() if shelters]


def sub_input(data: OutageInput, shelters: list[int], cars: list[int]) -> tuple[OutageInput, dict[int, int]]:
    """The input of one part: its shelters (in order), its cars (indices of usable_evs, in order), the sites
    they start from and the charge points, with distances and travel slots between them; and the map from
    the whole input's site indices to the part's."""
    n_s = len(data.shelters)
    others = {data.usable_evs[v].site for v in cars} | {c.site for c in data.charge_points}
    sites = [*shelters, *sorted(others - set(shelters))]
    pos = {site: i for i, site in enumerate(sites)}
    ix = np.array(sites, dtype=int)
    part = replace(
        data,
        shelters=tuple(data.shelters[s] for s in shelters),
        evs=tuple(replace(data.usable_evs[v], site=pos[data.usable_evs[v].site]) for v in cars),
        site_ids=tuple(data.site_ids[i] for i in sites),
        distance_km=data.distance_km[np.ix_(ix, ix)],
        travel_slots=data.travel_slots[np.ix_(ix, ix)],
        candidate_shelters=max(len(shelters), 1),
        charge_points=tuple(replace(c, site=pos[c.site]) for c in data.charge_points if c.site >= n_s),
    )
    return part, pos


def touched(before: np.ndarray, after: np.ndarray) -> set[int]:
    """Stations (shelters and charge points) of every car whose row differs, in either routing."""
    changed = np.flatnonzero((before != after).any(axis=1))
    return {int(s) for v in changed for row in (before[v], after[v]) for s in row if s >= 0}


def changed_parts(data: OutageInput, before: np.ndarray, after: np.ndarray) -> list[Part]:
    """The parts of `after` that a change from `before` touches (a car whose row differs, or a shelter such a
    car visits in either routing), and each touched shelter no car visits any more as a part of its own."""
    hit = touched(before, after)
    changed = set(np.flatnonzero((before != after).any(axis=1)).tolist())
    todo = [p for p in parts(data, after) if hit & set(p[0]) or changed & set(p[1])]
    covered = {s for p in todo for s in p[0]}
    return todo + [([s], []) for s in sorted(hit) if s < len(data.shelters) and s not in covered]


def redispatch(data: OutageInput, base: OutagePlan, assignment: np.ndarray, dispatch: Dispatch) -> OutagePlan | None:
    """The plan of `assignment` from `base` (a dispatched plan of a routing of the same input): the parts the
    change touches dispatched anew by `dispatch` (each over its own sub-input), every other shelter and car
    as in `base`; None if a part has no plan."""
    return _dispatched(data, base, assignment, changed_parts(data, base.assignment, assignment), dispatch)


def dispatch_all(data: OutageInput, assignment: np.ndarray, dispatch: Dispatch) -> OutagePlan | None:
    """The plan of `assignment` with every part, and every shelter no car visits (alone), dispatched by
    `dispatch` over its own sub-input; None if a part has no plan."""
    idle = np.full(assignment.shape, -1, dtype=int)
    every = np.arange(len(data.shelters))
    base = replace(simulate(data, idle, method="milp"), status="optimal")  # every shelter is overwritten below
    todo = parts(data, assignment)
    covered = {s for shelters, _ in todo for s in shelters}
    todo += [([int(s)], []) for s in every if int(s) not in covered]
    return _dispatched(data, base, assignment, todo, dispatch)


def _dispatched(
    data: OutageInput, base: OutagePlan, assignment: np.ndarray, todo: list[Part], dispatch: Dispatch
) -> OutagePlan | None:
    """`base` with each part of `todo` dispatched by `dispatch` (see redispatch)."""
    plans: list[tuple[Part, OutagePlan]] = []
    for shelters, cars in todo:
        part, pos = sub_input(data, shelters, cars)
        rows = np.array([[pos[int(s)] if s >= 0 else -1 for s in assignment[v]] for v in cars], dtype=int)
        found = dispatch(part, rows.reshape(len(cars), data.n_blocks))
        if found is None:
            return None
        plans.append(((shelters, cars), found))
    return stitch(base, assignment, plans)


def stitch(base: OutagePlan, assignment: np.ndarray, plans: list[tuple[Part, OutagePlan]]) -> OutagePlan:
    """`base` with the shelters and cars of each part replaced by that part's plan; cars in no part idle
    (at their start energy); objective recomputed, status optimal only if every part's and base's is."""
    data = base.data
    ev_kw, ev_kwh = base.ev_kw.copy(), base.ev_kwh.copy()
    engine = np.zeros(base.ev_kwh[:, :-1].shape) if base.engine_kw is None else base.engine_kw.copy()
    grids = {
        name: np.asarray(getattr(base, name), dtype=float).copy()
        for name in ("served_kw", "pv_used_kw", "battery_charge_kw", "battery_discharge_kw", "battery_kwh")
    }
    comfort = base.comfort_served_kw.copy()
    idle = [v for v in range(assignment.shape[0]) if not (assignment[v] >= 0).any()]
    for v in idle:
        ev_kw[v], engine[v], ev_kwh[v] = 0.0, 0.0, data.usable_evs[v].start_kwh
    statuses = {base.status}
    for (shelters, cars), plan in plans:
        statuses.add(plan.status)
        cols = np.array(shelters, dtype=int)
        for name, grid in grids.items():
            grid[:, cols] = getattr(plan, name)
        comfort[:, cols] = plan.comfort_served_kw
        for i, v in enumerate(cars):
            ev_kw[v] = 0.0
            ev_kw[v][:, cols] = plan.ev_kw[i]
            ev_kwh[v] = plan.ev_kwh[i]
            engine[v] = 0.0 if plan.engine_kw is None else plan.engine_kw[i]
    status = "optimal" if statuses == {"optimal"} else "feasible"
    out = replace(
        base,
        status=status,
        assignment=assignment.copy(),
        served_kw=grids["served_kw"],
        pv_used_kw=grids["pv_used_kw"],
        battery_charge_kw=grids["battery_charge_kw"],
        battery_discharge_kw=grids["battery_discharge_kw"],
        battery_kwh=grids["battery_kwh"],
        ev_kw=ev_kw,
        ev_kwh=ev_kwh,
        engine_kw=engine,
        comfort_kw=comfort,
        notes=(),
    )
    return replace(out, objective=plan_objective(out))
