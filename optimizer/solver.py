"""The one HiGHS interface of the optimizer (day-ahead and outage): Pyomo model -> matrices -> highspy.

A model is compiled with Pyomo's public standard-form compiler (``LinearStandardFormCompiler``, mixed form: each
row keeps its own sense, variable bounds stay bounds) and handed to one ``highspy.Highs`` as a column-wise
``HighsLp``. ``HighsModel`` keeps that HiGHS object for re-solves in which only mutable Param values changed
(a re-plan): the first re-solve records which matrix entries depend on Params and the expressions that give
them (``ParamEntries``, from ``generate_standard_repn`` with ``compute_values=False``); every re-solve then
evaluates just those expressions and pushes what changed (costs, column bounds, row bounds, coefficients), so
HiGHS keeps its basis and nothing is compiled or handed over whole again. A model whose structure changed
needs a new HighsModel.

Only public APIs: the compiler's ``write(model, mixed_form=True, set_sense=None, column_order=...)``,
``ConstraintData.to_bounded_expression``, ``generate_standard_repn``, ``VarData.bounds`` / ``lower`` / ``upper`` /
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

from optimizer.matrices import Matrices, ParamEntries, compile_model, param_entries, pass_model, push_changes

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
    """One Pyomo model held in one HiGHS object across solves; between solves only mutable Param values may
    change (re-plans push only changes, see above)."""

    def __init__(self, model: pyo.ConcreteModel) -> None:
        self.model = model
        self.highs = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy ships partial stubs
        self.highs.setOptionValue("output_flag", False)
        self.matrices: Matrices | None = None
        self.entries: ParamEntries | None = None
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
        """Bring HiGHS up to date: compile and hand over the first time, afterwards re-evaluate the Param-dependent
        entries and push what changed; returns the seconds spent compiling / evaluating."""
        tick = time.perf_counter()
        old = self.matrices
        if old is None:
            new = compile_model(self.model)
            compiled = time.perf_counter() - tick
            pass_model(self.highs, new)
            self._index_columns(new)
            self.handovers += 1
            self.values_sent = len(new.cost) + len(new.row_lower) + len(new.a_value)
        else:
            if self.entries is None:
                self.entries = param_entries(self.model, old)
            new = self.entries.evaluate(old)
            compiled = time.perf_counter() - tick
            self.values_sent = push_changes(self.highs, old, new)
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
            settings = options.items()
            if not self._integer():  # HiGHS's LP clock runs on across runs: the limit is per run here
                settings["time_limit"] = self.highs.getRunTime() + float(settings["time_limit"])
            for name, value in settings.items():
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

    def _integer(self) -> bool:
        """True if the compiled model has integer columns (HiGHS's MIP solver times each run by itself)."""
        return self.matrices is not None and bool(self.matrices.integer.any())

    def _outcome(self, compile_s: float, before_s: float, highs_s: float) -> RunOutcome:
        tick = time.perf_counter()
        h, info = self.highs, self.highs.getInfo()
        status = h.getModelStatus()
        has = info.primal_solution_status == FEASIBLE
        objective = float(info.objective_function_value) if has else None
        bound = float(info.mip_dual_bound) if self._integer() else objective
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
