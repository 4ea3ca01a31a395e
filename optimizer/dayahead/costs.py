"""The cost function (JPY) of a plan, shared by the optimiser's result and the rule-based baseline.

Terms (same names as the model's cost_<term> Expressions). Money: energy = sum h (price buy - (price - fee)
sell); wheeling = wheeling x imported kWh; link = links' charge x kWh sent; wear = batteries' throughput cost x
(charged + discharged kWh) + EVs' V2H wear x discharged kWh; demand = basic charge x bills x kW of 30-min demand
above each facility's reference; capacity = the capacity-contribution price x kW of the group's summed demand
above its season peak; curtailment = plant kWh below its forecast x cost. Penalties: penalty_* = soft-target
shortfalls x penalty prices. Valuation: terminal_value = - value of energy stored at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.dayahead.decisions import Dispatch
from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.model.objective import terminal_params
from optimizer.dayahead.model.reserve import reserve_facilities, reserve_params
from scenarios.timegrid import SLOT_HOURS


@dataclass(frozen=True)
class Shortfalls:
    """Soft-target misses of a plan: departure (E, T) kWh, trip (E, T) kWh, reserve {facility: (T,) kWh};
    and the demand above the billing references: peak excess (F,) kW, capacity excess (kW, the group's)."""

    departure_kwh: np.ndarray
    trip_kwh: np.ndarray
    reserve_kwh: dict[str, np.ndarray]
    peak_kw: np.ndarray
    capacity_kw: float = 0.0


def demand_kw(inputs: PlanInputs, d: Dispatch) -> np.ndarray:
    """30-min demand (mean import over the whole slot, kW) per facility and slot, (F, T); slot 0 counts the
    energy metered before the plan started: (metered kWh + hours[0] x import) / 0.5 h."""
    demand = np.array(d.import_kw, dtype=float, copy=True)
    if inputs.n_slots:
        metered = np.array([f.metered_kwh_first_slot for f in inputs.facilities])
        demand[:, 0] = (metered + inputs.hours[0] * d.import_kw[:, 0]) / SLOT_HOURS
    return demand


def shortfalls(inputs: PlanInputs, d: Dispatch) -> Shortfalls:
    """Soft-target shortfalls implied by a dispatch (what the model's slack variables equal at the optimum)."""
    targets = np.array([e.target_kwh for e in inputs.evs]).reshape(len(inputs.evs), inputs.n_slots)
    departure = np.clip(targets - d.ev_soc_kwh, 0.0, None)
    reserve = {}
    levels = reserve_params(inputs)["reserve_level_kwh"]
    for fid in reserve_facilities(inputs):
        rows = [i for i, b in enumerate(inputs.batteries) if b.facility == fid and b.available]
        level = levels[fid]
        stored = d.bat_soc_kwh[rows].sum(axis=0) if rows else np.zeros(inputs.n_slots)
        reserve[fid] = np.clip(level - stored, 0.0, None)
    refs = np.array([f.peak_reference_kw for f in inputs.facilities])
    demand = demand_kw(inputs, d)
    peak = np.clip(demand.max(axis=1) - refs, 0.0, None) if inputs.n_slots else np.zeros(len(refs))
    capacity = 0.0
    if inputs.capacity_slots:
        group = demand[:, list(inputs.capacity_slots)].sum(axis=0)
        capacity = max(0.0, float(group.max()) - inputs.capacity_peak_so_far_kw)
    return Shortfalls(departure, d.ev_trip_short_kwh.copy(), reserve, peak, capacity)


def _link_charges(inputs: PlanInputs, d: Dispatch) -> float:
    """JPY of the links' per-kWh charges on the energy sent (both directions)."""
    if not inputs.links:
        return 0.0
    charge = np.array([lk.charge_jpy_per_kwh for lk in inputs.links])[:, None]
    return float((charge * (d.link_ab_kw + d.link_ba_kw) * inputs.hours).sum())


def _wear(inputs: PlanInputs, d: Dispatch) -> float:
    """JPY of battery throughput wear and EV V2H wear."""
    h = inputs.hours
    deg = np.array([b.degradation_jpy_per_kwh for b in inputs.batteries])
    throughput = ((d.bat_charge_kw + d.bat_discharge_kw) * h).sum(axis=1) if len(deg) else np.zeros(0)
    wear = np.array([e.degradation_jpy_per_kwh for e in inputs.evs])
    v2h_kwh = (d.ev_discharge_kw * h).sum(axis=1) if len(wear) else np.zeros(0)
    return float((deg * throughput).sum() + (wear * v2h_kwh).sum())


def cost_breakdown(inputs: PlanInputs, d: Dispatch) -> dict[str, float]:
    """Cost of a dispatch by term in JPY (sum of values = total cost; terminal_value is <= 0)."""
    h, price, pen = inputs.hours, inputs.price_jpy_per_kwh, inputs.penalties
    s = shortfalls(inputs, d)
    curtail = 0.0
    if inputs.plant is not None:
        curtail = inputs.plant.curtailment_cost_jpy_per_kwh * float(((inputs.plant.forecast_kw - d.plant_kw) * h).sum())
    values = terminal_params(inputs)  # the model's own terminal values, JPY per kWh left
    bat_value = sum(values["bat_terminal_value"][b.key] * d.bat_soc_kwh[i, -1] for i, b in enumerate(inputs.batteries))
    ev_value = sum(values["ev_terminal_value"][e.id] * d.ev_soc_kwh[i, -1] for i, e in enumerate(inputs.evs))
    reserve_kwh_h = sum(float((v * h).sum()) for v in s.reserve_kwh.values())
    bills = np.array([inputs.demand_charge_jpy_per_kw_month * f.demand_bills for f in inputs.facilities])
    return {
        "energy": float((h * (price * d.buy_kw - (price - inputs.sale_discount_jpy_per_kwh) * d.sell_kw)).sum()),
        "wheeling": inputs.wheeling_jpy_per_kwh * float((d.import_kw * h).sum()),
        "link": _link_charges(inputs, d),
        "wear": _wear(inputs, d),
        "demand": float((bills * s.peak_kw).sum()),
        "capacity": inputs.capacity_jpy_per_kw * s.capacity_kw,
        "curtailment": curtail,
        "penalty_ev_departure": pen.ev_departure_jpy_per_kwh * float(s.departure_kwh.sum()),
        "penalty_ev_trip": pen.ev_trip_jpy_per_kwh * float(s.trip_kwh.sum()),
        "penalty_reserve": pen.reserve_jpy_per_kwh_h * reserve_kwh_h,
        "terminal_value": -float(bat_value + ev_value),
    }
