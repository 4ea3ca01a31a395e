"""The benchmark floor: the day-ahead plan model built straight from the frozen PlanInputs as numpy/scipy
matrices (vectorised per family, no Pyomo) and solved by highspy.

It is the model of optimizer/dayahead/model, family by family: the same columns in the same declaration order
(plant_out, plant_self, bat_charge, bat_discharge, bat_soc, ev_charge, ev_discharge, ev_soc, ev_trip_short,
ev_departure_short, ev_on, ev_v2h_used, link_ab, link_ba, x_charging, fac_import, fac_export, fac_pv_used,
market_buy, market_sell, reserve_short, peak_kw, peak_excess, cap_peak, cap_excess), the same rows in the
same order and sign convention as Pyomo's standard-form compiler writes them (mixed form: equality, '<=' or
'>=' rows, constants moved to the bounds), and the same objective, so HiGHS sees the same problem
(bench_optimizer.py checks the matrices and the objectives agree). Units as in the model: kW, kWh, JPY.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp

INF = np.inf


@dataclass
class Builder:
    """Columns and rows appended block by block; row entries as (row, col, value) triplets."""

    lower: list[np.ndarray] = field(default_factory=list)
    upper: list[np.ndarray] = field(default_factory=list)
    cost: list[np.ndarray] = field(default_factory=list)
    integer: list[np.ndarray] = field(default_factory=list)
    n_cols: int = 0
    rows: list[np.ndarray] = field(default_factory=list)
    cols: list[np.ndarray] = field(default_factory=list)
    vals: list[np.ndarray] = field(default_factory=list)
    row_lower: list[np.ndarray] = field(default_factory=list)
    row_upper: list[np.ndarray] = field(default_factory=list)
    n_rows: int = 0
    offset: float = 0.0

    def columns(self, shape: tuple[int, ...], lower: Any = 0.0, upper: Any = INF, integer: bool = False) -> np.ndarray:
        """A block of columns (row-major over `shape`); returns their indices with that shape."""
        n = int(np.prod(shape))
        self.lower.append(np.broadcast_to(np.asarray(lower, dtype=float), shape).reshape(-1).copy())
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=float), shape).reshape(-1).copy())
        self.cost.append(np.zeros(n))
        self.integer.append(np.full(n, integer))
        idx = np.arange(self.n_cols, self.n_cols + n).reshape(shape)
        self.n_cols += n
        return idx

    def add_cost(self, cols: np.ndarray, values: Any) -> None:
        """Add objective coefficients to columns."""
        flat = np.concatenate(self.cost) if len(self.cost) > 1 else self.cost[0]
        np.add.at(flat, cols.reshape(-1), np.broadcast_to(values, cols.shape).reshape(-1))
        self.cost = [flat]

    def block(self, n: int, lower: Any, upper: Any, terms: list[tuple[np.ndarray, np.ndarray, Any]]) -> None:
        """n rows; terms: (row offsets 0..n-1, columns, coefficients) triplet arrays of equal length."""
        for r, c, v in terms:
            shape = np.shape(r)
            self.rows.append(np.asarray(r).reshape(-1) + self.n_rows)
            self.cols.append(np.broadcast_to(np.asarray(c), shape).reshape(-1))
            self.vals.append(np.broadcast_to(np.asarray(v, dtype=float), shape).reshape(-1).copy())
        self.row_lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy())
        self.row_upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy())
        self.n_rows += n

    def matrices(self) -> dict[str, Any]:
        """Dense vectors and the CSC matrix (duplicates summed, structural zeros dropped as the compiler does)."""
        a = sp.csc_array(
            (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(self.n_rows, self.n_cols),
        )
        a.sum_duplicates()
        a.eliminate_zeros()
        a.sort_indices()
        return {
            "cost": np.concatenate(self.cost),
            "offset": self.offset,
            "col_lower": np.concatenate(self.lower),
            "col_upper": np.concatenate(self.upper),
            "integer": np.concatenate(self.integer),
            "row_lower": np.concatenate(self.row_lower),
            "row_upper": np.concatenate(self.row_upper),
            "a": a,
        }


def _grid(n_rows: int, n_slots: int) -> np.ndarray:
    return np.arange(n_rows * n_slots).reshape(n_rows, n_slots)


def build(inputs: Any, relax: bool = False) -> dict[str, Any]:  # noqa: PLR0912, PLR0915 - one model, by family
    """The day-ahead model of `inputs` as matrices (see the module docstring)."""
    b = Builder()
    n, h = inputs.n_slots, np.asarray(inputs.hours, dtype=float)
    bats, evs, facs, links = inputs.batteries, inputs.evs, inputs.facilities, inputs.links
    nb, ne, nf, nl = len(bats), len(evs), len(facs), len(links)
    plant = inputs.plant
    # columns, in the model's declaration order
    plant_out = b.columns((n,), plant.min_kw, plant.forecast_kw) if plant is not None else None
    site = plant.facility if plant is not None else None
    site_load = next((f.load_kw for f in facs if f.id == site), None)
    plant_self = b.columns((n,), 0.0, site_load) if site_load is not None else None
    avail = np.array([1.0 if x.available else 0.0 for x in bats])
    bat_ch = b.columns((nb, n), 0.0, (np.array([x.charge_kw for x in bats]) * avail)[:, None] if nb else 0.0)
    bat_dis = b.columns((nb, n), 0.0, (np.array([x.discharge_kw for x in bats]) * avail)[:, None] if nb else 0.0)
    bat_lo = np.array([x.lower_kwh for x in bats])[:, None] if nb else 0.0
    bat_hi = np.array([x.upper_kwh for x in bats])[:, None] if nb else 0.0
    bat_soc = b.columns((nb, n), bat_lo, bat_hi)
    plugged = np.array([e.plugged for e in evs]).reshape(ne, n)
    ev_p = np.array([e.charge_kw for e in evs]).reshape(ne, 1)
    ev_pd = np.array([e.discharge_kw for e in evs]).reshape(ne, 1)
    ev_ch = b.columns((ne, n), 0.0, ev_p * plugged)
    ev_dis = b.columns((ne, n), 0.0, ev_pd * plugged)
    ev_soc = b.columns(
        (ne, n),
        np.array([e.lower_kwh for e in evs]).reshape(ne, 1),
        np.array([e.capacity_kwh for e in evs]).reshape(ne, 1),
    )
    trips = np.array([e.trip_kwh for e in evs]).reshape(ne, n)
    ev_trip = b.columns((ne, n), 0.0, trips)
    ev_dep = b.columns((ne, n))
    binary = [i for i, e in enumerate(evs) if e.min_charge_kw > 0]
    ev_on = b.columns((len(binary), n), 0.0, 1.0, integer=not relax)
    capped = [i for i, e in enumerate(evs) if e.discharge_kw > 0 and e.v2h_max_kwh_per_24h is not None]
    v2h_used = b.columns((len(capped), n))
    slots = inputs.disposal_slots()
    units = [
        ("bat", i, x.charge_kw, x.discharge_kw)
        for i, x in enumerate(bats)
        if x.available and x.discharge_kw > 0 and x.charge_kw > 0
    ]
    units += [
        ("ev", i, e.charge_kw, e.discharge_kw) for i, e in enumerate(evs) if e.discharge_kw > 0 and e.charge_kw > 0
    ]
    lim = np.array([lk.limit_kw for lk in links]).reshape(nl, 1)
    link_ab = b.columns((nl, n), 0.0, lim)
    link_ba = b.columns((nl, n), 0.0, lim)
    units += [("link", i, lk.limit_kw, lk.limit_kw) for i, lk in enumerate(links) if lk.loss_fraction > 0]
    units = units if slots else []
    x_chg = b.columns((len(units), len(slots)), 0.0, 1.0, integer=not relax)
    peak_ids = inputs.peak_facilities()
    refs = np.array([f.peak_reference_kw for f in facs]).reshape(nf, 1)
    capable = np.array([f.id in peak_ids for f in facs]).reshape(nf, 1)
    imp = b.columns((nf, n), 0.0, np.where(capable, INF, refs))
    limits = np.array([INF if f.export_limit_kw is None else f.export_limit_kw for f in facs]).reshape(nf, 1)
    exp = b.columns((nf, n), 0.0, limits)
    pv_rows = [j for j, f in enumerate(facs) if f.has_pv]
    pv_used = b.columns((len(pv_rows), n), 0.0, np.array([facs[j].pv_kw for j in pv_rows]).reshape(len(pv_rows), n))
    buy, sell = b.columns((n,)), b.columns((n,))
    holders = {x.facility for x in bats}
    res_ids = [f.id for f in facs if f.reserve_kwh > 0 and f.id in holders]
    res_short = b.columns((len(res_ids), n))
    fp = [j for j, f in enumerate(facs) if f.id in peak_ids]
    peak_kw, peak_excess = b.columns((len(fp),)), b.columns((len(fp),))
    cap_slots = list(inputs.capacity_slots)
    cap_peak, cap_excess = (b.columns((1,)), b.columns((1,))) if cap_slots else (None, None)
    t = np.arange(n)
    # rows, in the model's declaration order
    if plant is not None and plant_out is not None and plant.ramp_up_kw is not None:
        up, down = np.asarray(plant.ramp_up_kw, dtype=float), np.asarray(plant.ramp_down_kw, dtype=float)
        upper = up.copy()
        upper[0] += plant.initial_kw
        b.block(n, -INF, upper, [(t, plant_out, 1.0), (t[1:], plant_out[:-1], -1.0)])
        upper = down.copy()
        upper[0] -= plant.initial_kw
        b.block(n, -INF, upper, [(t, plant_out, -1.0), (t[1:], plant_out[:-1], 1.0)])
    if plant_self is not None and plant_out is not None:
        b.block(n, -INF, 0.0, [(t, plant_self, 1.0), (t, plant_out, -1.0)])
    if nb:
        eta_c = np.array([x.charge_efficiency for x in bats])[:, None]
        eta_d = np.array([x.discharge_efficiency for x in bats])[:, None]
        r = _grid(nb, n)
        rhs = np.zeros((nb, n))
        rhs[:, 0] = [x.initial_kwh for x in bats]
        terms = [(r, bat_soc, 1.0), (r, bat_ch, -h * eta_c), (r, bat_dis, h / eta_d)]
        terms.append((r[:, 1:], bat_soc[:, :-1], -1.0))
        b.block(nb * n, rhs.reshape(-1), rhs.reshape(-1), terms)
    if ne:
        eta = np.array([e.efficiency for e in evs]).reshape(ne, 1)
        r = _grid(ne, n)
        rhs = -trips.copy()
        rhs[:, 0] += [e.initial_kwh for e in evs]
        terms = [(r, ev_soc, 1.0), (r, ev_ch, -h * eta), (r, ev_dis, h / eta), (r, ev_trip, -1.0)]
        terms.append((r[:, 1:], ev_soc[:, :-1], -1.0))
        b.block(ne * n, rhs.reshape(-1), rhs.reshape(-1), terms)
        target = np.array([e.target_kwh for e in evs]).reshape(-1)
        b.block(ne * n, target, INF, [(r, ev_soc, 1.0), (r, ev_dep, 1.0)])
    if binary:
        r = _grid(len(binary), n)
        p_max = ev_p[binary]
        p_min = np.array([evs[i].min_charge_kw for i in binary]).reshape(-1, 1)
        b.block(r.size, -INF, 0.0, [(r, ev_ch[binary], 1.0), (r, ev_on, -p_max)])
        b.block(r.size, -INF, 0.0, [(r, ev_on, p_min), (r, ev_ch[binary], -1.0)])
    if capped:
        r = _grid(len(capped), n)
        b.block(r.size, 0.0, 0.0, [(r, v2h_used, 1.0), (r, ev_dis[capped], -h), (r[:, 1:], v2h_used[:, :-1], -1.0)])
        cap = np.array([evs[i].v2h_max_kwh_per_24h for i in capped], dtype=float).reshape(-1, 1)
        room = np.maximum(0.0, cap - np.array([evs[i].v2h_prior_kwh for i in capped]).reshape(-1, 1))
        upper = np.where(np.arange(n) < 48, room, cap)
        b.block(r.size, -INF, upper.reshape(-1), [(r, v2h_used, 1.0), (r[:, 48:], v2h_used[:, :-48], -1.0)])
    if units:
        r = _grid(len(units), len(slots))
        into = {"bat": bat_ch, "ev": ev_ch, "link": link_ab}
        out_of = {"bat": bat_dis, "ev": ev_dis, "link": link_ba}
        charge = np.array([[into[k][i, s] for s in slots] for k, i, _, _ in units])
        dis = np.array([[out_of[k][i, s] for s in slots] for k, i, _, _ in units])
        p_c = np.array([u[2] for u in units]).reshape(-1, 1)
        p_d = np.array([u[3] for u in units]).reshape(-1, 1)
        b.block(r.size, -INF, 0.0, [(r, charge, 1.0), (r, x_chg, -p_c)])
        b.block(r.size, -INF, np.broadcast_to(p_d, r.shape).reshape(-1), [(r, dis, 1.0), (r, x_chg, p_d)])
    # facility balance: import - export + pv_used + sum(dis - ch) + sum(ev_dis - ev_ch) + links in - out == load
    r = _grid(nf, n)
    fac_of = {f.id: j for j, f in enumerate(facs)}
    terms = [(r, imp, 1.0), (r, exp, -1.0), (r[pv_rows], pv_used, 1.0)]
    bat_rows = r[[fac_of[x.facility] for x in bats]] if nb else np.zeros((0, n), dtype=int)
    ev_rows = r[[fac_of[e.facility] for e in evs]] if ne else np.zeros((0, n), dtype=int)
    terms += [(bat_rows, bat_dis, 1.0), (bat_rows, bat_ch, -1.0), (ev_rows, ev_dis, 1.0), (ev_rows, ev_ch, -1.0)]
    if nl:
        kept = np.array([1 - lk.loss_fraction for lk in links]).reshape(nl, 1)
        at_b, at_a = r[[fac_of[lk.b] for lk in links]], r[[fac_of[lk.a] for lk in links]]
        terms += [(at_b, link_ab, kept), (at_b, link_ba, -1.0), (at_a, link_ab, -1.0), (at_a, link_ba, kept)]
    if plant_self is not None:
        terms.append((r[fac_of[site]], plant_self, 1.0))
    load = np.array([f.load_kw for f in facs]).reshape(-1)
    b.block(nf * n, load, load, terms)
    # group balance: buy - sell + plant - sum(import) + sum(export) == 0
    terms = [(t, buy, 1.0), (t, sell, -1.0)]
    if plant_out is not None:
        terms.append((t, plant_out, 1.0))
    if plant_self is not None:
        terms.append((t, plant_self, -1.0))
    terms += [(np.tile(t, (nf, 1)), imp, -1.0), (np.tile(t, (nf, 1)), exp, 1.0)]
    b.block(n, 0.0, 0.0, terms)
    if res_ids:
        r = _grid(len(res_ids), n)
        mins = {fid: sum(x.soc_min_kwh for x in bats if x.facility == fid and x.available) for fid in res_ids}
        level = {f.id: f.reserve_kwh + mins[f.id] for f in facs if f.id in mins}
        terms = [(r, res_short, 1.0)]
        for k, fid in enumerate(res_ids):
            for i, x in enumerate(bats):
                if x.facility == fid and x.available:
                    terms.append((r[k], bat_soc[i], 1.0))
        b.block(r.size, np.repeat([level[f] for f in res_ids], n), INF, terms)
    metered = np.array([f.metered_kwh_first_slot for f in facs])
    share = np.ones(n)
    share[0] = h[0] / 0.5  # slot 0's demand counts the energy metered before the plan: (metered + h0 import) / 0.5
    if fp:
        r = _grid(len(fp), n)
        upper = np.zeros((len(fp), n))
        upper[:, 0] = -metered[fp] / 0.5
        terms = [(r, imp[fp], share), (r, np.repeat(peak_kw[:, None], n, axis=1), -1.0)]
        b.block(r.size, -INF, upper.reshape(-1), terms)
        rows = np.arange(len(fp))
        b.block(len(fp), -INF, refs[fp, 0], [(rows, peak_kw, 1.0), (rows, peak_excess, -1.0)])
    if cap_peak is not None and cap_excess is not None:
        k = len(cap_slots)
        r = np.arange(k)
        upper = np.where(np.array(cap_slots) == 0, -metered.sum() / 0.5, 0.0)
        terms = [(np.tile(r, (nf, 1)), imp[:, cap_slots], share[cap_slots]), (r, np.repeat(cap_peak, k), -1.0)]
        b.block(k, -INF, upper, terms)
        b.block(
            1,
            -INF,
            inputs.capacity_peak_so_far_kw,
            [(np.zeros(1, int), cap_peak, 1.0), (np.zeros(1, int), cap_excess, -1.0)],
        )
    cols = {
        "buy": buy,
        "sell": sell,
        "imp": imp,
        "link_ab": link_ab,
        "link_ba": link_ba,
        "bat_ch": bat_ch,
        "bat_dis": bat_dis,
        "bat_soc": bat_soc,
        "ev_dis": ev_dis,
        "ev_soc": ev_soc,
        "ev_dep": ev_dep,
        "ev_trip": ev_trip,
        "res_short": res_short,
        "peak_excess": peak_excess,
        "cap_excess": cap_excess,
        "plant_out": plant_out,
    }
    _objective(b, inputs, cols, fp)
    return b.matrices()


def _objective(b: Builder, inputs: Any, c: dict[str, Any], fp: list[int]) -> None:
    """The objective's coefficients (and offset) on the columns `c`, as the model's cost_<term> Expressions."""
    h, pen, plant = np.asarray(inputs.hours, dtype=float), inputs.penalties, inputs.plant
    bats, evs, facs, links = inputs.batteries, inputs.evs, inputs.facilities, inputs.links
    price, fee = np.asarray(inputs.price_jpy_per_kwh, dtype=float), inputs.sale_discount_jpy_per_kwh
    b.add_cost(c["buy"], h * price)
    b.add_cost(c["sell"], -(h * (price - fee)))
    b.add_cost(c["imp"], inputs.wheeling_jpy_per_kwh * h)
    if links:
        fee_link = np.array([lk.charge_jpy_per_kwh for lk in links]).reshape(len(links), 1)
        b.add_cost(c["link_ab"], fee_link * h)
        b.add_cost(c["link_ba"], fee_link * h)
    if bats:
        deg = np.array([x.degradation_jpy_per_kwh for x in bats])[:, None]
        b.add_cost(c["bat_ch"], deg * h)
        b.add_cost(c["bat_dis"], deg * h)
    if evs:
        b.add_cost(c["ev_dis"], np.array([e.degradation_jpy_per_kwh for e in evs]).reshape(len(evs), 1) * h)
    if fp:
        bills = [inputs.demand_charge_jpy_per_kw_month * facs[j].demand_bills for j in fp]
        b.add_cost(c["peak_excess"], np.array(bills))
    if c["cap_excess"] is not None:
        b.add_cost(c["cap_excess"], inputs.capacity_jpy_per_kw)
    if c["plant_out"] is not None:
        cost = plant.curtailment_cost_jpy_per_kwh
        b.add_cost(c["plant_out"], -cost * h)
        b.offset = float((cost * h * plant.forecast_kw).sum())
    b.add_cost(c["ev_dep"], pen.ev_departure_jpy_per_kwh)
    b.add_cost(c["ev_trip"], pen.ev_trip_jpy_per_kwh)
    b.add_cost(c["res_short"], pen.reserve_jpy_per_kwh_h * h)
    default = inputs.terminal_price_jpy_per_kwh  # stored energy's value at the end, as the model's terminal_params
    tp = {f.id: default if f.terminal_price_jpy_per_kwh is None else f.terminal_price_jpy_per_kwh for f in facs}
    if bats:
        values = [max(0.0, tp[x.facility] * x.discharge_efficiency - x.degradation_jpy_per_kwh) for x in bats]
        b.add_cost(c["bat_soc"][:, -1], -np.array(values))
    if evs:
        b.add_cost(c["ev_soc"][:, -1], -np.array([tp[e.facility] * e.efficiency for e in evs]))


def pass_model(h: highspy.Highs, mat: dict[str, Any]) -> None:
    """Hand the matrices to HiGHS as a column-wise HighsLp, then mark the integer columns."""
    a = mat["a"]
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_, lp.offset_ = mat["cost"], mat["offset"]
    lp.col_lower_, lp.col_upper_ = mat["col_lower"], mat["col_upper"]
    lp.row_lower_, lp.row_upper_ = mat["row_lower"], mat["row_upper"]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_ = a.indptr.astype(np.int32), a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    h.passModel(lp)
    ints = np.flatnonzero(mat["integer"]).astype(np.int32)
    if len(ints):
        h.changeColsIntegrality(len(ints), ints, np.ones(len(ints), dtype=np.uint8))


def push_changes(h: highspy.Highs, old: dict[str, Any], new: dict[str, Any]) -> None:
    """Send HiGHS what differs between two builds of the same structure (costs, bounds, coefficients)."""

    def changed(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.flatnonzero(x != y).astype(np.int32)

    idx = changed(old["cost"], new["cost"])
    if len(idx):
        h.changeColsCost(len(idx), idx, new["cost"][idx])
    idx = np.union1d(changed(old["col_lower"], new["col_lower"]), changed(old["col_upper"], new["col_upper"]))
    if len(idx):
        idx = idx.astype(np.int32)
        h.changeColsBounds(len(idx), idx, new["col_lower"][idx], new["col_upper"][idx])
    idx = np.union1d(changed(old["row_lower"], new["row_lower"]), changed(old["row_upper"], new["row_upper"]))
    if len(idx):
        idx = idx.astype(np.int32)
        h.changeRowsBounds(len(idx), idx, new["row_lower"][idx], new["row_upper"][idx])  # type: ignore[attr-defined]
    a_old, a_new = old["a"], new["a"]
    nz = changed(a_old.data, a_new.data)
    cols = np.searchsorted(a_new.indptr, nz, side="right") - 1
    for k, col in zip(nz.tolist(), cols.tolist(), strict=True):
        h.changeCoeff(int(a_new.indices[k]), int(col), float(a_new.data[k]))
    if new["offset"] != old["offset"]:
        h.changeObjectiveOffset(new["offset"])
