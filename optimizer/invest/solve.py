"""Solve the sizing MILP with HiGHS through optimizer.solver and read the design; never raises on solver trouble
(an error or infeasibility becomes an InvestDesign without sizes, with HiGHS's termination as status)."""

from __future__ import annotations

import logging
import time

import numpy as np
import pyomo.environ as pyo

from optimizer.invest.inputs import InvestInput, check_invest_input
from optimizer.invest.model import COST_TERMS, build_model, capex_expression
from optimizer.invest.result import InvestDesign, SiteSizes
from optimizer.solver import HighsModel, HighsOptions

log = logging.getLogger(__name__)


def solve_sizing(data: InvestInput, time_limit_s: float = 120.0, mip_gap: float = 1e-3) -> InvestDesign:
    """Build, solve and read the sizing MILP (time_limit_s: HiGHS wall seconds; mip_gap: relative gap)."""
    check_invest_input(data)
    tick = time.perf_counter()
    model = build_model(data)
    built = time.perf_counter() - tick
    held = HighsModel(model)
    # budget mode: offer "nothing bought, nothing survived" (integers at 0) as a start, which HiGHS completes
    # with the continuous part, so a time-limited solve still returns a design
    run = held.solve(
        HighsOptions(time_limit_s=time_limit_s, mip_rel_gap=mip_gap), warm_start=data.budget_jpy is not None
    )
    seconds = {"build": built, "compile": run.compile_s, "handover": run.handover_s, "highs": run.highs_s}
    windows = sum(len(s.outages) for s in data.sites)
    if not run.has_solution or run.values is None:
        log.warning("sizing MILP: %s", run.termination)
        return InvestDesign(status=run.termination, objective_jpy=None, gap=None, seconds=seconds, windows=windows)
    held.load_values(run.values)
    return _read(model, data, "optimal" if run.optimal else run.termination, run.objective, run.gap, seconds)


def _value(expr: object) -> float:
    return float(pyo.value(expr))


def _read(
    m: pyo.ConcreteModel,
    data: InvestInput,
    status: str,
    objective: float | None,
    gap: float | None,
    seconds: dict[str, float],
) -> InvestDesign:
    sizes = tuple(
        SiteSizes(
            s.id,
            round(_value(m.pv_new[j]), 6),
            round(_value(m.bat_kwh[j]), 6),
            round(_value(m.bat_kw[j]), 6),
            round(_value(m.v2h_new[j])),
        )
        for j, s in enumerate(data.sites)
    )
    cars = data.cars if data.with_fleet else ()
    allotment = {cars[c].id: data.sites[j].id for (c, j) in m.CJ if _value(m.alloc[c, j]) > 0.5}
    holds = tuple(cars[c].id for (c, j) in m.CJH if _value(m.hold[c, j]) > 0.5)
    bought = tuple(car.id for c, car in enumerate(cars) if car.candidate and _value(m.buy[c]) > 0.5)
    survived = {
        s.id: float(np.mean([_value(m.survived[j, k]) for k in range(len(s.outages))])) if s.outages else 1.0
        for j, s in enumerate(data.sites)
    }
    if data.budget_jpy is None:
        survived = {k: 1.0 for k in survived}
    return InvestDesign(
        status=status,
        objective_jpy=objective,
        gap=gap,
        sizes=sizes,
        cars_bought=bought,
        allotment=allotment,
        v2h_holds=holds,
        costs={k: _value(getattr(m, f"cost_{k}")) for k in COST_TERMS},
        capex_jpy=_value(capex_expression(m, data, annualised=False)),
        survived=survived,
        seconds=seconds,
        windows=sum(len(s.outages) for s in data.sites),
    )
