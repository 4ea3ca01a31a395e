"""The slack report: which soft targets a plan missed, by how much, what it costs and why (binding limits)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.dayahead.costs import demand_kw, shortfalls
from optimizer.dayahead.decisions import Dispatch
from optimizer.dayahead.inputs import EVInput, PlanInputs

TOL = 1e-4


@dataclass(frozen=True)
class MissedTarget:
    """One missed soft target. kind: 'ev_departure', 'ev_trip', 'shelter_reserve', 'shelter_no_storage' or
    'contract_peak'; subject: EV or facility id; slot: first slot missed; shortfall in `unit` (kWh or kW);
    penalty_jpy: what the miss costs (for 'contract_peak' the demand charge, money in the 'demand' term)."""

    kind: str
    subject: str
    slot: pd.Timestamp | None
    shortfall: float
    unit: str
    penalty_jpy: float
    reason: str


def _run_start(plugged: np.ndarray, t: int) -> int:
    start = t
    while start > 0 and plugged[start - 1]:
        start -= 1
    return start


def _ev_departure_reason(inputs: PlanInputs, d: Dispatch, i: int, e: EVInput, t: int, short: float) -> str:
    start = _run_start(e.plugged, t)
    charge = d.ev_charge_kw[i, start : t + 1]
    slots = t + 1 - start
    gain = float((inputs.hours[start : t + 1] * e.charge_kw * e.efficiency).sum())
    if (charge >= e.charge_kw - 1e-3).all():
        since = "the horizon start" if start == 0 else inputs.index[start].isoformat()
        return (
            f"charger at its maximum {e.charge_kw:g} kW in all {slots} plugged slot(s) since {since}: "
            f"at most {gain:.1f} kWh could be added"
        )
    step = e.min_charge_kw * 0.5 * e.efficiency
    if e.min_charge_kw > 0 and short < step:
        return (
            f"the missing {short:.2f} kWh is less than one slot at the charger's minimum "
            f"{e.min_charge_kw:g} kW ({step:.2f} kWh); that extra slot costs more than the penalty"
        )
    if e.trip_kwh[start] > 0 and (d.ev_trip_short_kwh[i, start] > TOL):
        return f"the car returned with too little energy after a {e.trip_kwh[start]:.1f} kWh trip"
    return "charging more was dearer than the penalty (check penalty prices)"


def _ev_misses(inputs: PlanInputs, d: Dispatch, departure: np.ndarray, trip: np.ndarray) -> list[MissedTarget]:
    pen = inputs.penalties
    out = []
    for i, e in enumerate(inputs.evs):
        for t in np.flatnonzero(departure[i] > TOL).tolist():
            short = float(departure[i, t])
            out.append(
                MissedTarget(
                    "ev_departure",
                    e.id,
                    inputs.index[t],
                    short,
                    "kWh",
                    pen.ev_departure_jpy_per_kwh * short,
                    _ev_departure_reason(inputs, d, i, e, t, short),
                )
            )
        for t in np.flatnonzero(trip[i] > TOL).tolist():
            out.append(
                MissedTarget(
                    "ev_trip",
                    e.id,
                    inputs.index[t],
                    float(trip[i, t]),
                    "kWh",
                    pen.ev_trip_jpy_per_kwh * float(trip[i, t]),
                    f"the trip needs {e.trip_kwh[t]:.1f} kWh but the car left with too little above its "
                    f"{e.floor_kwh:.1f} kWh floor (not plugged long enough before)",
                )
            )
    return out


def _reserve_reason(inputs: PlanInputs, d: Dispatch, fid: str, short: np.ndarray) -> str:
    f = next(x for x in inputs.facilities if x.id == fid)
    rows = [k for k, b in enumerate(inputs.batteries) if b.facility == fid]
    bats = [inputs.batteries[k] for k in rows]
    down = [b.key for b in bats if not b.available]
    usable = sum(b.upper_kwh - b.soc_min_kwh for b in bats if b.available)
    if usable < f.reserve_kwh - TOL:
        extra = f" (out of service: {', '.join(down)})" if down else ""
        return f"reserve {f.reserve_kwh:.1f} kWh exceeds the usable battery energy {usable:.1f} kWh{extra}"
    last = int(np.flatnonzero(short > TOL)[-1])
    live = [k for k, b in zip(rows, bats, strict=True) if b.available]
    full = all((d.bat_charge_kw[k, : last + 1] >= inputs.batteries[k].charge_kw - 1e-3).all() for k in live)
    power = sum(inputs.batteries[k].charge_kw for k in live)
    if full:
        start = sum(inputs.batteries[k].initial_kwh - inputs.batteries[k].soc_min_kwh for k in live)
        return (
            f"started with {start:.1f} kWh usable against a {f.reserve_kwh:.1f} kWh reserve; charging at "
            f"its maximum {power:g} kW in every slot until {inputs.index[last].isoformat()}"
        )
    return "keeping the reserve was dearer than the penalty in these slots (check penalty prices)"


def _reserve_misses(inputs: PlanInputs, d: Dispatch, reserve: dict[str, np.ndarray]) -> list[MissedTarget]:
    out = []
    pen = inputs.penalties.reserve_jpy_per_kwh_h
    for fid, short in reserve.items():
        if (short > TOL).any():
            first = int(np.argmax(short > TOL))
            out.append(
                MissedTarget(
                    "shelter_reserve",
                    fid,
                    inputs.index[first],
                    float(short.max()),
                    "kWh",
                    pen * float((short * inputs.hours).sum()),
                    _reserve_reason(inputs, d, fid, short),
                )
            )
    holders = {b.facility for b in inputs.batteries}
    for f in inputs.facilities:
        if f.reserve_kwh > 0 and f.id not in holders:
            out.append(
                MissedTarget(
                    "shelter_no_storage",
                    f.id,
                    None,
                    f.reserve_kwh,
                    "kWh",
                    0.0,
                    "no battery at the facility: the reserve cannot be held in storage",
                )
            )
    return out


def _peak_misses(inputs: PlanInputs, d: Dispatch, peak: np.ndarray) -> list[MissedTarget]:
    """New demand peaks: money (the 'demand' term), reported here with the limit that explains them."""
    out = []
    demand = demand_kw(inputs, d)
    for j, f in enumerate(inputs.facilities):
        if peak[j] <= TOL:
            continue
        t = int(np.argmax(demand[j]))
        dis = sum(b.discharge_kw for b in inputs.batteries if b.facility == f.id and b.available)
        floor = f.load_kw[t] - f.pv_kw[t] - dis
        if floor > f.peak_reference_kw - TOL:
            why = (
                f"load {f.load_kw[t]:.1f} kW - PV {f.pv_kw[t]:.1f} kW - full battery discharge {dis:g} kW = "
                f"{floor:.1f} kW exceeds the reference {f.peak_reference_kw:g} kW"
            )
        else:
            why = "battery energy too small to shave the import over the whole peak period"
        price = inputs.demand_charge_jpy_per_kw_month * f.demand_bills
        why += f"; billed {f.demand_bills} month(s) at {inputs.demand_charge_jpy_per_kw_month:g} JPY/kW"
        out.append(
            MissedTarget(
                "contract_peak",
                f.id,
                inputs.index[t],
                float(peak[j]),
                "kW",
                price * float(peak[j]),
                why,
            )
        )
    return out


def slack_report(inputs: PlanInputs, d: Dispatch) -> tuple[MissedTarget, ...]:
    """Every missed soft target of a plan with its penalty and the binding limit that explains it."""
    s = shortfalls(inputs, d)
    return tuple(
        _ev_misses(inputs, d, s.departure_kwh, s.trip_kwh)
        + _reserve_misses(inputs, d, s.reserve_kwh)
        + _peak_misses(inputs, d, s.peak_kw)
    )


def slack_frame(missed: tuple[MissedTarget, ...]) -> pd.DataFrame:
    """The slack report as a table."""
    return pd.DataFrame(
        [m.__dict__ for m in missed], columns=["kind", "subject", "slot", "shortfall", "unit", "penalty_jpy", "reason"]
    )
