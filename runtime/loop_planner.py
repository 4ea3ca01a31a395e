"""The loop's planner: a PlanRequest → optimizer inputs → HiGHS (rolling planner) → a storable PlanIn.

Optimizer statuses 'optimal', 'feasible' and 'relaxed' give an 'optimal' plan (the solver status is kept);
'baseline'/'shifted' mean the solve failed, so this raises and the loop applies its own fallback chain.
Set-points: battery kW = discharge - charge (+ = discharge); EV charger kW = charge - discharge (+ = charge).
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import numpy as np

from optimizer.dayahead.result import PlanResult, SolveOptions
from optimizer.dayahead.rolling import RollingPlanner
from optimizer.dayahead.from_scenario import Overrides, build_inputs
from runtime.loop import PlanRequest
from runtime.store.plans import PlanIn
from scenarios.timegrid import SLOT

GOOD = ("optimal", "feasible", "relaxed")
_planners: dict[tuple[float, float, int], RollingPlanner] = {}
_lock = threading.Lock()


def _options(request: PlanRequest) -> SolveOptions:
    s = request.settings
    if s is None:
        return SolveOptions()
    return SolveOptions(time_limit_s=s.highs_time_limit_s, mip_rel_gap=s.highs_mip_gap, threads=s.highs_threads)


def _planner(options: SolveOptions) -> RollingPlanner:
    key = (options.time_limit_s, options.mip_rel_gap, options.threads)
    with _lock:
        if key not in _planners:
            _planners[key] = RollingPlanner(options)
        return _planners[key]


def solve_request(request: PlanRequest) -> PlanResult:
    """Run the optimiser on a request (measured SoC, unavailable batteries, the request's prices)."""
    overrides = Overrides(battery_soc=dict(request.battery_soc), unavailable_batteries=request.unavailable_batteries)
    pv = {f: s for f, s in request.pv_kw.items()}
    load = {f: s for f, s in request.load_kw.items()}
    inputs = build_inputs(
        request.scenario,
        request.index,
        pv,
        load,
        request.price,
        first_slot_fraction=request.first_slot_fraction,
        overrides=overrides,
    )
    if request.unavailable_batteries:  # a what-if gets its own model; the rolling one keeps its structure
        return RollingPlanner(_options(request)).plan(inputs)
    planner = _planner(_options(request))
    with _lock:
        return planner.plan(inputs)


def to_plan_in(result: PlanResult, request: PlanRequest) -> PlanIn:
    """Convert an optimizer result into the stored plan (slots, set-points, costs, slack report)."""
    inputs, d = result.inputs, result.dispatch
    proc = result.procurement
    hours = np.asarray(inputs.hours, dtype=float)
    slots: list[dict[str, Any]] = []
    for i, ts in enumerate(inputs.index):
        slots.append(
            {
                "slot_start": ts.to_pydatetime(),
                "plant_kw": float(d.plant_kw[i]),
                "jepx_buy_kw": float(d.buy_kw[i]),
                "jepx_sell_kw": float(d.sell_kw[i]),
                "pv_kw": float(d.pv_used_kw[:, i].sum()) if d.pv_used_kw.size else 0.0,
                "battery_kw": float((d.bat_discharge_kw[:, i] - d.bat_charge_kw[:, i]).sum())
                if d.bat_charge_kw.size
                else 0.0,
                "interchange_kw": float(proc["interchange_kwh"].iloc[i] / hours[i]) if hours[i] > 0 else 0.0,
                "load_kw": float(sum(f.load_kw[i] for f in inputs.facilities)),
                "price_jpy_per_kwh": float(inputs.price_jpy_per_kwh[i]),
            }
        )
    setpoints: dict[str, dict[str, list[float]]] = {}
    for j, b in enumerate(inputs.batteries):
        values = (d.bat_discharge_kw[j] - d.bat_charge_kw[j]).astype(float).round(3).tolist()
        setpoints.setdefault(b.facility, {})[b.key.split("/", 1)[1]] = values
    for j, e in enumerate(inputs.evs):
        values = (d.ev_charge_kw[j] - d.ev_discharge_kw[j]).astype(float).round(3).tolist()
        setpoints.setdefault(e.facility, {})[e.charger] = values
    slack = [
        {
            k: (v if isinstance(v, (int, float, str, bool)) or v is None else str(v))
            for k, v in dataclasses.asdict(m).items()
        }
        for m in result.missed
    ]
    return PlanIn(
        horizon_start=inputs.index[0].to_pydatetime(),
        horizon_end=(inputs.index[-1] + SLOT).to_pydatetime(),  # slots are named by their start
        kind="optimal",
        slots=slots,
        setpoints=setpoints,
        solver_status=result.status,
        objective_jpy=float(result.objective_jpy),
        inputs_summary={
            "facilities": len(inputs.facilities),
            "batteries": len(inputs.batteries),
            "evs": len(inputs.evs),
            "slots": len(inputs.index),
            "termination": result.termination,
            "mip_gap": result.mip_gap,
            "solve_s": round(result.solve_s, 3),
            "build_s": round(result.build_s, 3),
            "notes": list(getattr(inputs, "notes", ())),
        },
        cost_breakdown={k: float(v) for k, v in result.breakdown.items()},
        slack_report=slack,
    )


def plan(request: PlanRequest) -> PlanIn:
    """The loop's Planner: solve and convert; RuntimeError if the optimiser fell back to a non-solve."""
    result = solve_request(request)
    if result.status not in GOOD:
        raise RuntimeError(f"optimiser status {result.status}: {result.fallback_reason or result.termination}")
    return to_plan_in(result, request)
