"""The loop's planner: a PlanRequest → optimizer inputs → HiGHS (rolling planner) → a storable PlanIn.

``OptimizerPlanner`` is owned by the service (built in ``runtime.loop.build.build_service`` and passed in): it
holds one RollingPlanner per solve options and the lock that serialises them, and offers the optimiser's rungs
one by one to the fallback chain (runtime.loop.fallback.StagedPlanner). Called directly (what-if plans) it assembles
and solves, raising RuntimeError when the MILP gives no plan.
Set-points: battery kW = discharge - charge (+ = discharge); EV charger kW = charge - discharge (+ = charge).
"""

from __future__ import annotations

import threading

import numpy as np

from optimizer.dayahead.from_scenario import Overrides, build_inputs
from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.result import PlanResult, SolveOptions
from optimizer.dayahead.rolling import RollingPlanner
from optimizer.dayahead.solve import baseline, solve_relaxed
from runtime.loop.fallback import NoPlan
from runtime.loop.service import PlanRequest
from runtime.settings import Settings
from runtime.store.plans import PlanIn
from runtime.store.records import PlanInputsSummary, PlanSlotIn, Setpoints, SlackEntry
from scenarios.device_identity import DeviceKey
from scenarios.timegrid import SLOT


def solve_options(settings: Settings | None) -> SolveOptions:
    """HiGHS options from the service settings (time limit s, relative MIP gap, threads); defaults without.

    Note: the relative gap is measured on the whole horizon's net cost (~600,000 JPY a day for Yamaguchi), so 1 %
    may leave ~6,000 JPY on the table; SolveOptions also stops at an absolute gap of 100 JPY, whichever comes first.
    """
    if settings is None:
        return SolveOptions()
    return SolveOptions(
        time_limit_s=settings.highs_time_limit_s, mip_rel_gap=settings.highs_mip_gap, threads=settings.highs_threads
    )


def request_inputs(request: PlanRequest) -> PlanInputs:
    """The optimiser's inputs for a request (measured SoC, unavailable batteries, the request's prices, the
    measured demand peaks, the energy already metered in a partial first slot, the V2H energy of the last
    24 h, the SoC the connected cars report)."""
    overrides = Overrides(
        battery_soc=dict(request.battery_soc),
        unavailable_batteries=request.unavailable_batteries,
        peak_this_month_kw=dict(request.peak_this_month_kw),
        peak_12_months_kw=dict(request.peak_12_months_kw),
        metered_kwh_first_slot=dict(request.metered_kwh_first_slot),
        capacity_peak_kw=request.capacity_peak_kw,
        extra_reserve_kwh=dict(request.extra_reserve_kwh),
        v2h_kwh_24h=dict(request.v2h_kwh_24h),
        ev_soc_at_charger=dict(request.ev_soc_at_charger),
    )
    return build_inputs(
        request.scenario,
        request.index,
        dict(request.pv_kw),
        dict(request.load_kw),
        request.price,
        first_slot_fraction=request.first_slot_fraction,
        overrides=overrides,
    )


class OptimizerPlanner:
    """The optimiser behind the loop: rolling planners per solve options, serialised by one lock."""

    def __init__(self) -> None:
        self._planners: dict[tuple[float, float, int], RollingPlanner] = {}
        self._lock = threading.Lock()

    def _rolling(self, options: SolveOptions) -> RollingPlanner:
        key = (options.time_limit_s, options.mip_rel_gap, options.threads)
        if key not in self._planners:
            self._planners[key] = RollingPlanner(options)
        return self._planners[key]

    def inputs(self, request: PlanRequest) -> PlanInputs:
        """Assemble the optimiser's inputs (InputError naming the field on bad data)."""
        return request_inputs(request)

    def solve(self, request: PlanRequest, inputs: PlanInputs) -> PlanIn | NoPlan:
        """The MILP in the kept model (a what-if with unavailable batteries gets a model of its own)."""
        options = solve_options(request.settings)
        if request.unavailable_batteries:  # a what-if keeps the rolling model's structure intact
            result = RollingPlanner(options).plan(inputs)
        else:
            with self._lock:
                result = self._rolling(options).plan(inputs)
        return to_plan_in(result) if isinstance(result, PlanResult) else NoPlan(result.reason)

    def relaxed(self, request: PlanRequest, inputs: PlanInputs) -> PlanIn | NoPlan:
        """The LP relaxation, one-shot."""
        result = solve_relaxed(inputs, solve_options(request.settings))
        return to_plan_in(result) if isinstance(result, PlanResult) else NoPlan(result.reason)

    def baseline(self, request: PlanRequest, inputs: PlanInputs) -> PlanIn:
        """The rule-based baseline on the same inputs."""
        return to_plan_in(baseline(inputs))

    def __call__(self, request: PlanRequest) -> PlanIn:
        """Assemble and solve; RuntimeError with the reason if the MILP gives no plan."""
        plan = self.solve(request, self.inputs(request))
        if isinstance(plan, NoPlan):
            raise RuntimeError(f"optimiser found no plan: {plan.reason}")
        return plan


def slack_report(result: PlanResult) -> list[SlackEntry]:
    """The soft targets a plan missed, as stored records (slot start tz-aware)."""
    return [
        SlackEntry(
            kind=m.kind,
            subject=m.subject,
            slot=None if m.slot is None else m.slot.to_pydatetime(),
            shortfall=float(m.shortfall),
            unit=m.unit,
            penalty_jpy=float(m.penalty_jpy),
            reason=m.reason,
        )
        for m in result.missed
    ]


def to_plan_in(result: PlanResult) -> PlanIn:
    """Convert an optimizer result into the stored plan (slots, set-points, costs, slack report); kind 'optimal'
    (the fallback chain sets the kind of the rung it came from)."""
    inputs, d = result.inputs, result.dispatch
    proc = result.procurement
    hours = np.asarray(inputs.hours, dtype=float)
    slots = [
        PlanSlotIn(
            slot_start=ts.to_pydatetime(),
            plant_kw=float(d.plant_kw[i]),
            jepx_buy_kw=float(d.buy_kw[i]),
            jepx_sell_kw=float(d.sell_kw[i]),
            pv_kw=float(d.pv_used_kw[:, i].sum()) if d.pv_used_kw.size else 0.0,
            battery_kw=float((d.bat_discharge_kw[:, i] - d.bat_charge_kw[:, i]).sum()) if d.bat_charge_kw.size else 0.0,
            interchange_kw=float(proc["interchange_kwh"].iloc[i] / hours[i]) if hours[i] > 0 else 0.0,
            load_kw=float(sum(f.load_kw[i] for f in inputs.facilities)),
            price_jpy_per_kwh=float(inputs.price_jpy_per_kwh[i]),
        )
        for i, ts in enumerate(inputs.index)
    ]
    setpoints: Setpoints = {}
    for j, b in enumerate(inputs.batteries):
        values = (d.bat_discharge_kw[j] - d.bat_charge_kw[j]).astype(float).round(3).tolist()
        setpoints.setdefault(b.facility, {})[DeviceKey.parse(b.key).device_id] = values
    for j, e in enumerate(inputs.evs):
        values = (d.ev_charge_kw[j] - d.ev_discharge_kw[j]).astype(float).round(3).tolist()
        setpoints.setdefault(e.facility, {})[e.charger] = values
    return PlanIn(
        horizon_start=inputs.index[0].to_pydatetime(),
        horizon_end=(inputs.index[-1] + SLOT).to_pydatetime(),  # slots are named by their start
        kind="optimal",
        slots=slots,
        setpoints=setpoints,
        solver_status=result.status,
        objective_jpy=float(result.objective_jpy),
        inputs_summary=PlanInputsSummary(
            facilities=len(inputs.facilities),
            batteries=len(inputs.batteries),
            evs=len(inputs.evs),
            slots=len(inputs.index),
            termination=result.termination,
            mip_gap=result.mip_gap,
            solve_s=round(result.solve_s, 3),
            build_s=round(result.build_s, 3),
            notes=list(inputs.notes),
        ),
        cost_breakdown={k: float(v) for k, v in result.breakdown.items()},
        slack_report=slack_report(result),
    )
