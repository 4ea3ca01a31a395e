"""A Pyomo model as matrices for HiGHS: compile (Pyomo's public standard-form compiler), hand over, push changes.

``compile_model`` gives ``Matrices`` (costs, column bounds and integrality, row bounds, a CSC matrix, in the
variables' and constraints' declaration order); ``pass_model`` hands them to a ``highspy.Highs``;
``param_entries`` finds the entries that depend on mutable Params (with the expressions that give them) so a
re-plan re-evaluates only those (``ParamEntries.evaluate``) and ``push_changes`` sends HiGHS only what differs.
Public APIs only (see optimizer.solver). Units are the model's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.numeric_types import native_numeric_types
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler
from pyomo.repn.standard_repn import generate_standard_repn


@dataclass(frozen=True)
class Matrices:
    """A compiled model: costs c (n,), offset, column bounds and integrality (n,), row bounds (m,), A (m x n,
    CSC arrays), the Pyomo columns and row constraints (for identity checks), and the objective sense."""

    cost: np.ndarray
    offset: float
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    a_start: np.ndarray
    a_index: np.ndarray
    a_value: np.ndarray
    columns: list[Any]
    rows: list[Any]
    maximize: bool

    def same_structure(self, other: Matrices) -> bool:
        """True if both have the same columns, rows and matrix pattern (only values may differ)."""
        return (
            len(self.columns) == len(other.columns)
            and len(self.rows) == len(other.rows)
            and all(a is b for a, b in zip(self.columns, other.columns, strict=True))
            and all(a is b for a, b in zip(self.rows, other.rows, strict=True))
            and np.array_equal(self.a_start, other.a_start)
            and np.array_equal(self.a_index, other.a_index)
            and np.array_equal(self.integer, other.integer)
            and self.maximize == other.maximize
        )


def _bounds(values: list[float | None], fill: float) -> np.ndarray:
    return np.array([fill if v is None else v for v in values], dtype=float)


def _row_bounds(kinds: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row lower/upper bounds of the compiler's mixed form: kind 0 '==', 1 '<=', -1 '>='."""
    lower = np.where(kinds <= 0, rhs, -np.inf)
    upper = np.where(kinds >= 0, rhs, np.inf)
    return lower, upper


def compile_model(m: pyo.ConcreteModel) -> Matrices:
    """The active objective and constraints of `m` as matrices (a ranged constraint becomes one ranged row).

    Columns follow the variables' declaration order (unless a variable is fixed, see below), rows the
    constraints' (the compiler's default), so the matrix does not depend on which term mentions a variable
    first. Variables that appear nowhere and fixed variables are left out by the compiler (see
    ``HighsModel.values``).
    """
    order = list(m.component_data_objects(pyo.Var, descend_into=True))
    # Pyomo 6.10's compiler keeps fixed variables as extra (duplicate) columns instead of moving them to the
    # bounds when given a column order, so a model with fixed variables keeps the compiler's own order.
    options = {} if any(v.fixed for v in order) else {"column_order": order}
    info = LinearStandardFormCompiler().write(m, mixed_form=True, set_sense=None, **options)
    columns = list(info.columns)
    n = len(columns)
    kinds = np.fromiter((r.bound_type for r in info.rows), dtype=np.int8, count=len(info.rows))
    rhs = np.asarray(info.rhs, dtype=float).reshape(-1)
    lower, upper = _row_bounds(kinds, rhs)
    cons = [r.constraint for r in info.rows]
    a = info.A.tocsr()
    # a ranged constraint comes as two rows ('<=' then '>='): keep one row with both bounds
    twin = np.array([i > 0 and cons[i] is cons[i - 1] for i in range(len(cons))], dtype=bool)
    if twin.any():
        first = np.flatnonzero(twin) - 1
        lower[first] = lower[twin]
        keep = ~twin
        a, lower, upper = a[keep], lower[keep], upper[keep]
        cons = [c for c, k in zip(cons, keep, strict=True) if k]
    a = a.tocsc()
    a.sort_indices()
    bounds = [v.bounds for v in columns]
    cost = info.c.toarray()[0] if info.c.shape[0] else np.zeros(n)
    objective = info.objectives[0] if info.objectives else None
    return Matrices(
        cost=np.asarray(cost, dtype=float).reshape(-1),
        offset=float(info.c_offset[0]) if len(info.c_offset) else 0.0,
        col_lower=_bounds([b[0] for b in bounds], -np.inf),
        col_upper=_bounds([b[1] for b in bounds], np.inf),
        integer=np.fromiter((v.is_integer() for v in columns), dtype=bool, count=n),
        row_lower=lower,
        row_upper=upper,
        a_start=np.asarray(a.indptr, dtype=np.int32),
        a_index=np.asarray(a.indices, dtype=np.int32),
        a_value=np.asarray(a.data, dtype=float),
        columns=columns,
        rows=cons,
        maximize=objective is not None and objective.sense == pyo.maximize,
    )


def highs_lp(mat: Matrices) -> highspy.HighsLp:
    """The matrices as a column-wise HighsLp (integrality is set after passModel, see ``pass_model``)."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(mat.cost), len(mat.row_lower)
    lp.col_cost_, lp.offset_ = mat.cost, mat.offset
    lp.col_lower_, lp.col_upper_ = mat.col_lower, mat.col_upper
    lp.row_lower_, lp.row_upper_ = mat.row_lower, mat.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = mat.a_start, mat.a_index, mat.a_value
    lp.sense_ = highspy.ObjSense.kMaximize if mat.maximize else highspy.ObjSense.kMinimize
    return lp


def pass_model(h: highspy.Highs, mat: Matrices) -> None:
    """Hand the whole model to HiGHS (replacing what it held)."""
    h.passModel(highs_lp(mat))
    ints = np.flatnonzero(mat.integer).astype(np.int32)
    if len(ints):
        h.changeColsIntegrality(len(ints), ints, np.ones(len(ints), dtype=np.uint8))


def _changed(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Indices where two float arrays differ (infinities compare equal)."""
    return np.flatnonzero(~((old == new) | (np.isnan(old) & np.isnan(new)))).astype(np.int32)


def push_changes(h: highspy.Highs, old: Matrices, new: Matrices) -> int:
    """Send HiGHS only what differs between two compiles of the same structure; returns the values sent."""
    sent = 0
    idx = _changed(old.cost, new.cost)
    if len(idx):
        h.changeColsCost(len(idx), idx, new.cost[idx])
    sent += len(idx)
    idx = np.union1d(_changed(old.col_lower, new.col_lower), _changed(old.col_upper, new.col_upper)).astype(np.int32)
    if len(idx):
        h.changeColsBounds(len(idx), idx, new.col_lower[idx], new.col_upper[idx])
    sent += len(idx)
    idx = np.union1d(_changed(old.row_lower, new.row_lower), _changed(old.row_upper, new.row_upper)).astype(np.int32)
    if len(idx):
        h.changeRowsBounds(len(idx), idx, new.row_lower[idx], new.row_upper[idx])  # type: ignore[attr-defined]
    sent += len(idx)
    nz = _changed(old.a_value, new.a_value)
    if len(nz):
        cols = np.searchsorted(new.a_start, nz, side="right") - 1
        for k, col in zip(nz.tolist(), cols.tolist(), strict=True):
            h.changeCoeff(int(new.a_index[k]), int(col), float(new.a_value[k]))
    sent += len(nz)
    if new.offset != old.offset:
        h.changeObjectiveOffset(new.offset)
    return sent


VECTORS = ("cost", "col_lower", "col_upper", "row_lower", "row_upper", "a_value")


def _parametric(expr: Any) -> bool:
    """True if an entry's expression depends on a mutable Param (not a plain number or constant)."""
    return expr is not None and type(expr) not in native_numeric_types and not expr.is_constant()


def _minus(bound: Any, constant: Any) -> Any:
    """bound - constant as an expression, leaving a bare bound alone when the constant is 0."""
    return bound if type(constant) in native_numeric_types and constant == 0 else bound - constant


@dataclass(frozen=True)
class ParamEntries:
    """The entries of compiled matrices that depend on mutable Params: per vector of ``Matrices`` (VECTORS),
    their indices and the Pyomo expressions giving their values; ``offset``: the objective constant's."""

    index: dict[str, np.ndarray]
    expressions: dict[str, list[Any]]
    offset: Any

    def evaluate(self, mat: Matrices) -> Matrices:
        """`mat` with every Param-dependent entry re-evaluated from the Params' current values."""
        changes: dict[str, Any] = {}
        for name in VECTORS:
            if not len(self.index[name]):
                continue
            values = getattr(mat, name).copy()
            values[self.index[name]] = [pyo.value(e) for e in self.expressions[name]]
            changes[name] = values
        if _parametric(self.offset):
            changes["offset"] = float(pyo.value(self.offset))
        return replace(mat, **changes)

    @property
    def count(self) -> int:
        """Number of Param-dependent entries."""
        return sum(len(v) for v in self.index.values())


def param_entries(m: pyo.ConcreteModel, mat: Matrices) -> ParamEntries:
    """Which entries of `mat` (compiled from `m`) depend on mutable Params, with their expressions."""
    found: dict[str, list[tuple[int, Any]]] = {name: [] for name in VECTORS}

    def add(name: str, idx: int, expr: Any) -> None:
        if _parametric(expr):
            found[name].append((idx, expr))

    col_of = {id(v): j for j, v in enumerate(mat.columns)}
    for j, var in enumerate(mat.columns):
        add("col_lower", j, var.lower)
        add("col_upper", j, var.upper)
    cols = np.repeat(np.arange(len(mat.cost)), np.diff(mat.a_start))
    position = {(int(r), int(c)): k for k, (r, c) in enumerate(zip(mat.a_index, cols, strict=True))}
    for i, con in enumerate(mat.rows):
        lb, body, ub = con.to_bounded_expression()
        repn = generate_standard_repn(body, compute_values=False, quadratic=False)
        if lb is not None:
            add("row_lower", i, _minus(lb, repn.constant))
        if ub is not None:
            add("row_upper", i, _minus(ub, repn.constant))
        for coef, var in zip(repn.linear_coefs, repn.linear_vars, strict=True):
            add("a_value", position[i, col_of[id(var)]], coef)
    offset: Any = 0.0
    objectives = list(m.component_data_objects(pyo.Objective, active=True))
    if objectives:
        repn = generate_standard_repn(objectives[0].expr, compute_values=False, quadratic=False)
        for coef, var in zip(repn.linear_coefs, repn.linear_vars, strict=True):
            if id(var) in col_of:
                add("cost", col_of[id(var)], coef)
        offset = repn.constant
    return ParamEntries(
        index={k: np.array([i for i, _ in v], dtype=np.int64) for k, v in found.items()},
        expressions={k: [e for _, e in v] for k, v in found.items()},
        offset=offset,
    )
