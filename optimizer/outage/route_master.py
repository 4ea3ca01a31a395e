"""The restricted master of the route LP (route_lp.py) in HiGHS: the shelters exact, the cars as routes.

The shelter side is model.py's (PV, battery, tier-1 rows) with the tier-1 ``full`` relaxed to 0..1 and their
count at least full_min; the balance rows take the routes' kW, the V2L-alone rows ``served <= load`` take
-kW + load x occupancy (a kW's occupancy of an outlet is kW / cap: the share of the slot at full power), the
outlet rows (V2H chargers, one lone V2L outlet) the occupancies. A route (pricing.Route) enters as its weight
lam (at most the class's number of cars over its routes; energy row: drives - budget) and one kW column per
slot it may deliver in (<= cap x lam). Presence rows (>= 1): some car is stationed at a shelter that every
counted plan must serve fully during each night its own PV and battery cannot bridge (``presence_windows``).
Units: kW per 30-min slot, kWh.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np
import pyomo.environ as pyo

from optimizer.matrices import Matrices, compile_model, pass_model
from optimizer.outage.fleet_bound import CarClass, count_bound, first_slots
from optimizer.outage.inputs import OutageInput, StationaryBattery
from optimizer.outage.model import add_batteries, add_index_sets, add_shelters, bridges_until_cars
from optimizer.outage.route_pricing import CarData, Prices, Route, route_slots


@dataclass
class Master:
    """The restricted master in HiGHS and where its coupling rows are: balance and alone rows per (shelter,
    slot), outlet rows per (shelter, slot, 'h' or 'l'), one convexity row per class."""

    highs: highspy.Highs
    balance: np.ndarray  # (shelters, slots) row index
    alone: np.ndarray  # (shelters, slots) row index or -1
    v2h: np.ndarray  # (shelters, slots) row index or -1
    v2l: np.ndarray  # (shelters, slots) row index or -1
    convexity: list[int]
    columns: int = 0
    load: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    kept: list[tuple[int, Route, int]] = field(default_factory=list)  # class, route, its weight's column
    shelter: Matrices | None = None  # the shelter side's matrices (its columns come first in HiGHS)
    row_lower: np.ndarray = field(default_factory=lambda: np.zeros(0))  # every row but the convexity rows
    row_upper: np.ndarray = field(default_factory=lambda: np.zeros(0))
    presence: list[tuple[int, int, int, int]] = field(default_factory=list)  # shelter, first/last block, row
    full_columns: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # the ``full`` vars


def single_v2l(data: OutageInput) -> np.ndarray:
    """Per shelter: True if V2L outlets there are not wired in parallel (one lone outlet feeds at a time)."""
    return np.array([not s.v2l_parallel for s in data.shelters], dtype=bool)


def build_shelter_side(data: OutageInput, full_min: float) -> pyo.ConcreteModel:
    """The master's shelter part: model.py's shelters and batteries, balance rows without cars (columns add
    their kW), alone rows ``served <= load`` (columns add -kW + load x occupancy), tier-1 full relaxed to 0..1
    with the count at least full_min; objective tier-1 kWh."""
    m = pyo.ConcreteModel(name="outage_route_master")
    add_index_sets(m, data)
    add_shelters(m, data)
    add_batteries(m, data)

    def balance(_m: pyo.ConcreteModel, t: int, s: int) -> pyo.Expression:
        comfort = _m.comfort[t, s] if s in _m.SC else 0.0
        return _m.pv_used[t, s] + _m.bat_discharge[t, s] - _m.served[t, s] - comfort - _m.bat_charge[t, s] == 0

    m.energy_balance = pyo.Constraint(m.T, m.S, rule=balance)
    load, single = data.critical_matrix(), single_v2l(data)
    alone_keys = [(t, s) for t in m.T for s in m.S if single[s]]
    m.alone = pyo.Constraint(alone_keys, rule=lambda _m, t, s: _m.served[t, s] <= float(load[t, s]))
    h, tier1 = data.slot_hours, data.tier1_matrix()
    m.full = pyo.Var(m.S, bounds=(0.0, 1.0))
    m.tier1_full = pyo.Constraint(m.T, m.S, rule=lambda _m, t, s: _m.served1[t, s] >= float(tier1[t, s]) * _m.full[s])
    m.keep_full = pyo.Constraint(expr=sum(m.full[s] for s in m.S) >= full_min)
    m.objective = pyo.Objective(expr=h * sum(m.served1[t, s] for t in m.T for s in m.S), sense=pyo.maximize)
    return m


def build_master(data: OutageInput, classes: list[CarClass], full_min: float, presence: bool = True) -> Master:
    """The shelter side compiled into HiGHS, with empty outlet and convexity rows for the columns to fill."""
    m = build_shelter_side(data, full_min)
    mat = compile_model(m)
    h = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy ships partial stubs
    h.setOptionValue("output_flag", False)
    pass_model(h, mat)
    row_of = {id(c): k for k, c in enumerate(mat.rows)}
    n_s, n_t = len(data.shelters), data.n_slots
    balance = np.full((n_s, n_t), -1, dtype=np.int64)
    alone = np.full((n_s, n_t), -1, dtype=np.int64)
    for (t, s), con in m.energy_balance.items():
        balance[s, t] = row_of[id(con)]
    for (t, s), con in m.alone.items():
        alone[s, t] = row_of.get(id(con), -1)
    rows = len(mat.rows)
    v2h, rows = _add_rows(h, rows, [(s, t, float(data.shelters[s].chargers)) for s in range(n_s) for t in range(n_t)])
    single = single_v2l(data)
    v2l, rows = _add_rows(h, rows, [(s, t, 1.0) for s in range(n_s) if single[s] for t in range(n_t)])
    windows = presence_windows(data, full_min) if presence else []
    if windows:
        n_w = len(windows)
        empty = np.array([], dtype=np.int32)
        h.addRows(n_w, np.ones(n_w), np.full(n_w, highspy.kHighsInf), 0, np.zeros(n_w, dtype=np.int32), empty, [])
    presence_rows = [(s, b0, b1, rows + i) for i, (s, b0, b1) in enumerate(windows)]
    rows += len(windows)
    convexity = []
    for c in classes:
        h.addRow(-highspy.kHighsInf, float(c.count), 0, np.array([], dtype=np.int32), np.array([], dtype=float))
        convexity.append(rows)
        rows += 1
    caps = [float(data.shelters[s].chargers) for s, _ in v2h] + [1.0] * len(v2l)
    lower = np.concatenate([mat.row_lower, np.full(len(caps), -np.inf), np.ones(len(windows))])
    upper = np.concatenate([mat.row_upper, np.array(caps, dtype=float), np.full(len(windows), np.inf)])
    load = data.critical_matrix().T
    master = Master(h, balance, alone, _grid(v2h, n_s, n_t), _grid(v2l, n_s, n_t), convexity, 0, load)
    master.shelter, master.row_lower, master.row_upper = mat, lower, upper
    master.presence = presence_rows
    full = [k for k, var in enumerate(mat.columns) if var.parent_component() is m.full]
    master.full_columns = np.array(full, dtype=np.int32)
    return master


def presence_windows(data: OutageInput, full_min: float) -> list[tuple[int, int, int]]:
    """(shelter, first block, last block) of each night a shelter that every plan with full_min shelters fully
    served must serve fully cannot bridge alone: a run of slots with tier 1 above its PV whose shortfall its
    battery, full at the start of the run, cannot cover (kWh or kW). Some car must be stationed there in one
    of those blocks in every such plan: a valid cut (``presence`` rows, >= 1)."""
    if full_min < count_bound(data) - 1e-9:
        return []
    first = first_slots(data)
    earliest = first.min(axis=0) if len(first) else np.full(len(data.site_ids), data.n_slots)
    out: set[tuple[int, int, int]] = set()
    for s, shelter in enumerate(data.shelters):
        if not bridges_until_cars(data, s, int(earliest[s])):
            continue
        short = shelter.tier1 - shelter.usable_pv_kw
        t = 0
        while t < data.n_slots:
            if short[t] <= 1e-9:
                t += 1
                continue
            end = t
            while end < data.n_slots and short[end] > 1e-9:
                end += 1
            if not _battery_bridges(shelter.battery, short[t:end], data.slot_hours):
                out.add((s, data.block_of(t), data.block_of(end - 1)))
            t = end
    return sorted(out)


def _battery_bridges(bat: StationaryBattery | None, short: np.ndarray, h: float) -> bool:
    """True if a battery full at the start could serve these shortfalls (kW per slot) alone."""
    if bat is None:
        return False
    if float(short.max()) > bat.discharge_kw + 1e-9:
        return False
    return float(short.sum()) * h <= (bat.ceiling_kwh - bat.floor_kwh) * bat.discharge_efficiency + 1e-9


def _add_rows(
    h: highspy.Highs, first: int, rows: list[tuple[int, int, float]]
) -> tuple[dict[tuple[int, int], int], int]:
    """Empty rows (-inf, upper] for (shelter, slot) keys; their indices and the next free row index."""
    out = {}
    if rows:
        upper = np.array([u for _, _, u in rows], dtype=float)
        lower = np.full(len(rows), -highspy.kHighsInf)
        h.addRows(len(rows), lower, upper, 0, np.zeros(len(rows), dtype=np.int32), np.array([], dtype=np.int32), [])
    for k, (s, t, _) in enumerate(rows):
        out[s, t] = first + k
    return out, first + len(rows)


def _grid(rows: dict[tuple[int, int], int], n_s: int, n_t: int) -> np.ndarray:
    """A (shelter, slot) -> row dict as an array (-1 where there is no row)."""
    out = np.full((n_s, n_t), -1, dtype=np.int64)
    for (s, t), r in rows.items():
        out[s, t] = r
    return out


def signed(master: Master, duals: np.ndarray) -> np.ndarray:
    """Duals with round-off of the wrong sign set to 0 (a '<=' row's dual >= 0, a '>=' row's <= 0 in a
    maximisation): any duals of the right signs give a valid Lagrangian bound."""
    y = duals.copy()
    n = len(master.row_lower)
    y[:n][(y[:n] > 0) & ~np.isfinite(master.row_upper)] = 0.0
    y[:n][(y[:n] < 0) & ~np.isfinite(master.row_lower)] = 0.0
    return y


def shelter_value(master: Master, duals: np.ndarray) -> float:
    """The Lagrangian's part without cars at row duals (HiGHS signs: reduced cost = cost - A^T duals; in a
    maximisation a '<=' row's dual >= 0, a '>=' row's <= 0): duals x row bounds plus each shelter column at
    whichever of its bounds its reduced cost prefers. Convexity rows are not dualized."""
    mat = master.shelter
    if mat is None:
        raise ValueError("master: built without its shelter matrices (use build_master)")
    n_rows = len(master.row_lower)
    y = duals[:n_rows]
    side = np.where(y > 0, master.row_upper, np.where(y < 0, master.row_lower, 0.0))
    a_ty = np.zeros(len(mat.cost))
    counts = np.diff(mat.a_start)
    used = counts > 0
    products = mat.a_value * y[mat.a_index]
    a_ty[used] = np.add.reduceat(products, mat.a_start[:-1][used]) if len(products) else 0.0
    rc = mat.cost - a_ty
    box = np.where(rc > 0, rc * mat.col_upper, np.where(rc < 0, rc * mat.col_lower, 0.0))
    return float((y * side).sum() + box.sum() + mat.offset)


def prices(master: Master, cd: CarData, duals: np.ndarray, row: int) -> Prices:
    """Reduced-cost pieces of car cd's columns under row duals (reduced cost = -(column . duals), its cost 0)."""
    st = cd.stations
    bal = duals[master.balance[st]]
    alone_rows = master.alone[st]
    alone = np.where(alone_rows >= 0, duals[np.maximum(alone_rows, 0)], 0.0)
    lone = (~cd.v2h)[:, None] & (alone_rows >= 0)
    per_kw = -bal + np.where(lone, alone, 0.0)
    h_rows, l_rows = master.v2h[st], master.v2l[st]
    occ_h = np.where(h_rows >= 0, duals[np.maximum(h_rows, 0)], 0.0)
    occ_l = np.where(l_rows >= 0, duals[np.maximum(l_rows, 0)], 0.0) + master.load[st] * alone
    occupy = np.where(cd.v2h[:, None], occ_h, np.where(lone, occ_l, 0.0))
    net = per_kw - np.divide(occupy, cd.cap, out=np.zeros_like(occupy), where=cd.cap > 0)
    index = {int(s): j for j, s in enumerate(st)}
    n_b = cd.depart_arrival.shape[0]
    enter, stay = np.zeros((len(st), n_b)), np.zeros((len(st), n_b))
    windows = []
    for s, b0, b1, r in master.presence:
        j = index.get(s)
        if j is None:
            continue
        value = -float(duals[r])  # a '>=' row's dual is <= 0 in a maximisation
        windows.append((j, b0, b1, value))
        enter[j, b0 : b1 + 1] += value
        stay[j, b0] += value
    return Prices(per_kw, occupy, float(duals[row]), net, tuple(windows), enter, stay)


def add_route(master: Master, cd: CarData, route: Route, k: int, data: OutageInput) -> None:
    """A route as master columns: its weight lam (class k's convexity row; energy row: drives - budget) and
    one kW column per slot it may deliver in (<= cap x lam; energy h; balance; the outlet rows per kW / cap,
    so occupancy is the share of the slot at full power; the alone row -1 + load / cap)."""
    hs, h = master.highs, data.slot_hours
    slots = route_slots(cd, route, data.n_slots, data.block_slots)
    first_row = hs.getNumRow()
    n_rows = 1 + len(slots)
    hs.addRows(
        n_rows,
        np.full(n_rows, -highspy.kHighsInf),
        np.zeros(n_rows),
        0,
        np.zeros(n_rows, dtype=np.int32),
        np.array([], dtype=np.int32),
        np.array([], dtype=float),
    )
    energy = first_row
    lam_index = [master.convexity[k], energy] + [first_row + 1 + i for i in range(len(slots))]
    lam_value = [1.0, route.drive_kwh - cd.budget_kwh] + [-float(cd.cap[j, t]) for j, t in slots]
    at = [int(cd.stations[j]) if j >= 0 else -1 for j in route.stations]
    for s, b0, b1, r in master.presence:
        if s in at[b0 : b1 + 1]:
            lam_index.append(r)
            lam_value.append(1.0)
    hs.addCol(0.0, 0.0, highspy.kHighsInf, len(lam_index), np.array(lam_index, dtype=np.int32), np.array(lam_value))
    starts: list[int] = []
    index: list[int] = []
    value: list[float] = []
    for i, (j, t) in enumerate(slots):
        s, cap = int(cd.stations[j]), float(cd.cap[j, t])
        starts.append(len(index))
        rows = [first_row + 1 + i, energy, int(master.balance[s, t])]
        vals = [1.0, h, 1.0]
        if cd.v2h[j] and master.v2h[s, t] >= 0:
            rows.append(int(master.v2h[s, t]))
            vals.append(1.0 / cap)
        elif not cd.v2h[j] and master.alone[s, t] >= 0:
            rows += [int(master.alone[s, t]), int(master.v2l[s, t])]
            vals += [-1.0 + float(master.load[s, t]) / cap, 1.0 / cap]
        index += rows
        value += vals
    if slots:
        n = len(slots)
        hs.addCols(
            n,
            np.zeros(n),
            np.zeros(n),
            np.full(n, highspy.kHighsInf),
            len(index),
            np.array(starts, dtype=np.int32),
            np.array(index, dtype=np.int32),
            np.array(value, dtype=float),
        )
    master.kept.append((k, route, hs.getNumCol() - len(slots) - 1))
    master.columns += 1 + len(slots)


@dataclass(frozen=True)
class IntegerRouting:
    """The route MIP's best solution: assignment (cars, blocks; shelter or -1), its master tier-1 kWh, HiGHS's
    bound over the routes it had (not over every plan) and status."""

    assignment: np.ndarray
    kwh: float
    bound: float | None
    status: str


def integer_routing(
    master: Master,
    cds: list[CarData],
    classes: list[CarClass],
    data: OutageInput,
    time_limit_s: float,
    start: dict[tuple[int, Route], int] | None = None,
) -> IntegerRouting | None:
    """Routes for the cars from the master's routes by a MIP (each route's weight integer: cars on it; each
    shelter fully served or not, as in the exact model), None
    if HiGHS finds no solution in time. start: (class, route) -> cars, a plan's, as a partial MIP start. The
    master becomes a MIP (generate no more routes after this)."""
    hs = master.highs
    lam = np.array([col for _, _, col in master.kept], dtype=np.int32)
    ints = np.concatenate([lam, master.full_columns]).astype(np.int32)
    hs.changeColsIntegrality(len(ints), ints, np.ones(len(ints), dtype=np.uint8))
    if start is not None:
        given = [float(start.get((k, route), 0)) for k, route, _ in master.kept]
        hs.setSolution(len(lam), lam, np.array(given, dtype=float))
    hs.setOptionValue("time_limit", max(time_limit_s, 0.5))
    hs.setOptionValue("mip_rel_gap", 1e-3)
    hs.run()
    info = hs.getInfo()
    if info.primal_solution_status != 2:
        return None
    weights = np.asarray(hs.getSolution().col_value)[lam]
    out = np.full((len(data.usable_evs), data.n_blocks), -1, dtype=int)
    free = {k: list(c.members) for k, c in enumerate(classes)}
    for (k, route, _), w in zip(master.kept, weights, strict=True):
        for _ in range(round(w)):
            if free[k]:
                out[free[k].pop(0)] = [int(cds[k].stations[j]) if j >= 0 else -1 for j in route.stations]
    bound = float(info.mip_dual_bound)
    status = hs.getModelStatus().name.removeprefix("k")
    return IntegerRouting(out, float(info.objective_function_value), bound if np.isfinite(bound) else None, status)
