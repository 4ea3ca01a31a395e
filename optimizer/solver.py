"""The one HiGHS interface of the optimizer (day-ahead and outage): Pyomo model -> matrices -> highspy.

A model is compiled with Pyomo's public standard-form compiler (``LinearStandardFormCompiler``, mixed form: each
row keeps its own sense, variable bounds stay bounds) and handed to one ``highspy.Highs`` as a column-wise
``HighsLp``. ``HighsModel`` keeps that HiGHS object: after the caller rewrites mutable Params (a re-plan),
``solve`` compiles again and pushes only what changed (costs, column bounds, row bounds, changed matrix
coefficients), so HiGHS keeps its basis and the model is never handed over whole a second time. If the
compiled structure changed (other columns or rows), the model is handed over again.

Only public APIs: the compiler's ``write(model, mixed_form=True, set_sense=None)``, ``VarData.bounds`` /
``is_integer`` / ``set_value`` and highspy's ``passModel``, ``change*`` and ``setSolution``. Objective values
are in the model's units (JPY for the day-ahead plan, weighted kWh for outages); seconds are wall time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

log = logging.getLogger(__name__)

FEASIBLE = int(highspy.SolutionStatus.kSolutionStatusFeasible)


@dataclass(frozen=True)
class HighsOptions:
    """HiGHS stopping rules: time_limit_s (s per run), mip_rel_gap (fraction), mip_abs_gap (objective units,
    None = HiGHS default), threads, and further raw HiGHS options (name -> value)."""

    time_limit_s: float = 30.0
    mip_rel_gap: float = 1e-4
    mip_abs_gap: float | None = None
    threads: int = 1
    raw: Mapping[str, Any] = field(default_factory=dict)

    def items(self) -> dict[str, Any]:
        """Every option as HiGHS names it (presolve on and the log off unless `raw` says otherwise)."""
        out: dict[str, Any] = {
            "output_flag": False,
            "presolve": "on",
            "time_limit": float(self.time_limit_s),
            "mip_rel_gap": float(self.mip_rel_gap),
            "threads": int(self.threads),
        }
        if self.mip_abs_gap is not None:
            out["mip_abs_gap"] = float(self.mip_abs_gap)
        return {**out, **self.raw}


@dataclass(frozen=True)
class RunOutcome:
    """What one HiGHS run gave. termination: HiGHS model status without its 'k' ('Optimal', 'TimeLimit', ...);
    objective and bound in model units (None without a solution / bound); gap = |objective - bound| /
    max(1, |objective|). Seconds: compile_s (Pyomo -> matrices), handover_s (matrices or changes into HiGHS and
    the solution back), highs_s (the HiGHS run). values: the solution per Var component name, in the
    component's index order (None without a solution)."""

    has_solution: bool
    optimal: bool
    termination: str
    objective: float | None
    bound: float | None
    gap: float | None
    compile_s: float
    handover_s: float
    highs_s: float
    values: dict[str, np.ndarray] | None = None


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

    Variables that appear nowhere and fixed variables are left out by the compiler (see ``HighsModel.values``).
    """
    info = LinearStandardFormCompiler().write(m, mixed_form=True, set_sense=None)
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


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """|objective - bound| / max(1, |objective|), None if either is missing."""
    if objective is None or bound is None:
        return None
    return abs(objective - bound) / max(1.0, abs(objective))


def _fallback_value(var: Any) -> float:
    """Value of a variable the compiler left out: its fixed value, else 0 moved into its bounds."""
    if var.fixed and var.value is not None:
        return float(var.value)
    lb, ub = var.bounds
    return float(min(max(0.0, -np.inf if lb is None else lb), np.inf if ub is None else ub))


class HighsModel:
    """One Pyomo model held in one HiGHS object across solves (re-plans push only changes, see above)."""

    def __init__(self, model: pyo.ConcreteModel) -> None:
        self.model = model
        self.highs = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy ships partial stubs
        self.highs.setOptionValue("output_flag", False)
        self.matrices: Matrices | None = None
        self.handovers = 0
        self.values_sent = 0
        self._positions: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def _index_columns(self, mat: Matrices) -> None:
        """Per Var component: the HiGHS column of each element in index order (-1 if left out) and the value
        such an element takes."""
        col_of = {id(v): k for k, v in enumerate(mat.columns)}
        self._positions = {}
        for comp in self.model.component_objects(pyo.Var, descend_into=True):
            elements = list(comp.values())
            pos = np.fromiter((col_of.get(id(v), -1) for v in elements), dtype=np.int64, count=len(elements))
            fallback = np.array([_fallback_value(v) if p < 0 else 0.0 for v, p in zip(elements, pos, strict=True)])
            self._positions[comp.local_name] = (pos, fallback)

    def _sync(self) -> float:
        """Compile the model and bring HiGHS up to date; returns the compile seconds."""
        tick = time.perf_counter()
        new = compile_model(self.model)
        compiled = time.perf_counter() - tick
        old = self.matrices
        if old is not None and old.same_structure(new):
            self.values_sent = push_changes(self.highs, old, new)
        else:
            pass_model(self.highs, new)
            self._index_columns(new)
            self.handovers += 1
            self.values_sent = len(new.cost) + len(new.row_lower) + len(new.a_value)
        self.matrices = new
        return compiled

    def _warm_start(self) -> None:
        """Offer HiGHS the model's current variable values as a MIP start (HiGHS repairs or drops it)."""
        if self.matrices is None:
            return
        start = highspy.HighsSolution()
        start.col_value = [0.0 if v.value is None else float(v.value) for v in self.matrices.columns]
        start.value_valid = True
        self.highs.setSolution(start)

    def values(self, solution: np.ndarray) -> dict[str, np.ndarray]:
        """The solution per Var component name, in index order (left-out elements: see _fallback_value)."""
        out = {}
        for name, (pos, fallback) in self._positions.items():
            out[name] = np.where(pos >= 0, solution[np.maximum(pos, 0)] if len(solution) else 0.0, fallback)
        return out

    def load_values(self, values: Mapping[str, np.ndarray]) -> None:
        """Write solution arrays (as ``values`` returns them) into the Pyomo variables."""
        for comp in self.model.component_objects(pyo.Var, descend_into=True):
            for var, value in zip(comp.values(), values[comp.local_name], strict=True):
                if not var.fixed:
                    var.set_value(float(value), skip_validation=True)

    def solve(self, options: HighsOptions, warm_start: bool = False) -> RunOutcome:
        """Compile (first time) or push changed Params, run HiGHS, read the solution. Never raises: solver or
        compiler trouble becomes has_solution=False with the error as termination."""
        tick = time.perf_counter()
        compile_s = 0.0
        try:
            compile_s = self._sync()
            for name, value in options.items().items():
                self.highs.setOptionValue(name, value)
            if warm_start:
                self._warm_start()
            ready = time.perf_counter()
            self.highs.run()
            highs_s = time.perf_counter() - ready
            return self._outcome(compile_s, time.perf_counter() - tick - highs_s, highs_s)
        except Exception as exc:  # solver trouble must not escape
            log.warning("HiGHS run failed: %s", exc)
            wall = time.perf_counter() - tick
            return RunOutcome(
                False, False, f"error: {type(exc).__name__}: {exc}", None, None, None, compile_s, wall - compile_s, 0.0
            )

    def _outcome(self, compile_s: float, before_s: float, highs_s: float) -> RunOutcome:
        tick = time.perf_counter()
        h, info = self.highs, self.highs.getInfo()
        status = h.getModelStatus()
        has = info.primal_solution_status == FEASIBLE
        objective = float(info.objective_function_value) if has else None
        mip = self.matrices is not None and bool(self.matrices.integer.any())
        bound = float(info.mip_dual_bound) if mip else objective
        if bound is not None and not np.isfinite(bound):
            bound = None
        values = self.values(np.asarray(h.getSolution().col_value)) if has else None
        read_s = time.perf_counter() - tick
        return RunOutcome(
            has_solution=has,
            optimal=status == highspy.HighsModelStatus.kOptimal,
            termination=status.name.removeprefix("k"),
            objective=objective,
            bound=bound,
            gap=relative_gap(objective, bound),
            compile_s=compile_s,
            handover_s=before_s - compile_s + read_s,
            highs_s=highs_s,
            values=values,
        )


def solve_once(model: pyo.ConcreteModel, options: HighsOptions, warm_start: bool = False) -> RunOutcome:
    """Compile, hand over and solve `model` in a fresh HiGHS (nothing kept)."""
    return HighsModel(model).solve(options, warm_start=warm_start)
