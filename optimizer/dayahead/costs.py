"""The cost function (JPY) of a plan, shared by the optimiser's result and the rule-based baseline.

Terms (same names as the model's cost_<term> Expressions): energy = sum h (price buy - (price - fee) sell);
wheeling = wheeling x imported kWh; link = links' charge x kWh sent; degradation = batteries' throughput cost
x (charged + discharged kWh) + EVs' V2H wear x discharged kWh;
peak = peak price x kW above max(contract, month peak); curtailment = plant kWh below its forecast x cost;
penalty_* = soft-target shortfalls x penalty prices; terminal_value = - value of energy stored at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.dayahead.decisions import Dispatch
from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.model.objective import terminal_params
from optimizer.dayahead.model.reserve import reserve_facilities, reserve_params


@dataclass(frozen=True)
class Shortfalls:
    """Soft-target misses of a plan: departure (E, T) kWh, trip (E, T) kWh, reserve {facility: (T,) kWh},
    peak excess (F,) kW."""

    departure_kwh: np.ndarray
    trip_kwh: np.ndarray
    reserve_kwh: dict[str, np.ndarray]
    peak_kw: np.ndarray


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
    peak = np.clip(d.import_kw.max(axis=1) - refs, 0.0, None) if inputs.n_slots else np.zeros(len(refs))
    return Shortfalls(departure, d.ev_trip_short_kwh.copy(), reserve, peak)


def _link_charges(inputs: PlanInputs, d: Dispatch) -> float:
    """JPY of the links' per-kWh charges on the energy sent (both directions)."""
    if not inputs.links:
        return 0.0
    charge = np.array([lk.charge_jpy_per_kwh for lk in inputs.links])[:, None]
    return float((charge * (d.link_ab_kw + d.link_ba_kw) * inputs.hours).sum())


def cost_breakdown(inputs: PlanInputs, d: Dispatch) -> dict[str, float]:
    """Cost of a dispatch by term in JPY (sum of values = total cost; terminal_value is <= 0)."""
    h, price, pen = inputs.hours, inputs.price_jpy_per_kwh, inputs.penalties
    s = shortfalls(inputs, d)
    deg = np.array([b.degradation_jpy_per_kwh for b in inputs.batteries])
    throughput = ((d.bat_charge_kw + d.bat_discharge_kw) * h).sum(axis=1) if len(deg) else np.zeros(0)
    wear = np.array([e.degradation_jpy_per_kwh for e in inputs.evs])
    v2h_kwh = (d.ev_discharge_kw * h).sum(axis=1) if len(wear) else np.zeros(0)
    curtail = 0.0
    if inputs.plant is not None:
        curtail = inputs.plant.curtailment_cost_jpy_per_kwh * float(((inputs.plant.forecast_kw - d.plant_kw) * h).sum())
    values = terminal_params(inputs)  # the model's own terminal values, JPY per kWh left
    bat_value = sum(values["bat_terminal_value"][b.key] * d.bat_soc_kwh[i, -1] for i, b in enumerate(inputs.batteries))
    ev_value = sum(values["ev_terminal_value"][e.id] * d.ev_soc_kwh[i, -1] for i, e in enumerate(inputs.evs))
    reserve_kwh_h = sum(float((v * h).sum()) for v in s.reserve_kwh.values())
    return {
        "energy": float((h * (price * d.buy_kw - (price - inputs.sale_discount_jpy_per_kwh) * d.sell_kw)).sum()),
        "wheeling": inputs.wheeling_jpy_per_kwh * float((d.import_kw * h).sum()),
        "link": _link_charges(inputs, d),
        "degradation": float((deg * throughput).sum() + (wear * v2h_kwh).sum()),
        "peak": pen.peak_jpy_per_kw * float(s.peak_kw.sum()),
        "curtailment": curtail,
        "penalty_ev_departure": pen.ev_departure_jpy_per_kwh * float(s.departure_kwh.sum()),
        "penalty_ev_trip": pen.ev_trip_jpy_per_kwh * float(s.trip_kwh.sum()),
        "penalty_reserve": pen.reserve_jpy_per_kwh_h * reserve_kwh_h,
        "terminal_value": -float(bat_value + ev_value),
    }
