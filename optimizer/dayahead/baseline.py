"""Rule-based baseline on the same inputs (no optimisation), priced with the same cost function.

Rules per facility and slot: all PV is used (curtailed only above the facility's export limit); EVs charge
at full power from the slot they are plugged until full (a plain charger; chargers with a minimum power stop
when less than it would fit); surplus PV charges the batteries; a deficit is covered by discharging the
batteries down to their floor plus the shelter reserve share; at the plant's facility the plant's output
covers what is left behind the meter; the rest is imported or exported. Batteries never charge from the grid,
EVs never discharge, links carry nothing, the plant runs at its forecast; JEPX trades the balancing group's net
position.
"""

from __future__ import annotations

import numpy as np

from optimizer.dayahead.decisions import Dispatch
from optimizer.dayahead.inputs import PlanInputs


def _battery_floors(inputs: PlanInputs) -> np.ndarray:
    """Lowest energy (kWh) each battery may be discharged to: soc_min plus its share of the shelter reserve,
    never below the battery's floor (max(soc_min, reserve_soc), the model's and the follower's)."""
    reserve = {f.id: f.reserve_kwh for f in inputs.facilities}
    caps: dict[str, float] = {}
    for b in inputs.batteries:
        caps[b.facility] = caps.get(b.facility, 0.0) + b.capacity_kwh
    return np.array(
        [
            max(b.lower_kwh, min(b.upper_kwh, b.soc_min_kwh + reserve[b.facility] * b.capacity_kwh / caps[b.facility]))
            for b in inputs.batteries
        ]
    )


def _evs_slot(inputs: PlanInputs, d: Dispatch, soc: np.ndarray, t: int) -> None:
    h = inputs.hours[t]
    for i, e in enumerate(inputs.evs):
        level = soc[i] - e.trip_kwh[t]
        power = 0.0
        if e.plugged[t]:
            power = min(e.charge_kw, max(0.0, e.capacity_kwh - level) / (h * e.efficiency))
            if power < e.min_charge_kw:
                power = 0.0
        level += h * e.efficiency * power
        d.ev_trip_short_kwh[i, t] = max(0.0, e.lower_kwh - level)
        soc[i] = max(level, e.lower_kwh)
        d.ev_charge_kw[i, t] = power
        d.ev_soc_kwh[i, t] = soc[i]


def _batteries_slot(
    inputs: PlanInputs, d: Dispatch, soc: np.ndarray, net: dict[str, float], t: int, floors: np.ndarray
) -> None:
    h = inputs.hours[t]
    for i, b in enumerate(inputs.batteries):
        if not b.available:
            d.bat_soc_kwh[i, t] = soc[i]
            continue
        deficit = net[b.facility]
        if deficit < 0:
            charge = min(-deficit, b.charge_kw, max(0.0, b.upper_kwh - soc[i]) / (h * b.charge_efficiency))
            d.bat_charge_kw[i, t] = charge
            net[b.facility] += charge
            soc[i] += h * b.charge_efficiency * charge
        elif deficit > 0:
            dis = min(deficit, b.discharge_kw, max(0.0, soc[i] - floors[i]) * b.discharge_efficiency / h)
            d.bat_discharge_kw[i, t] = dis
            net[b.facility] -= dis
            soc[i] -= h * dis / b.discharge_efficiency
        d.bat_soc_kwh[i, t] = soc[i]


def baseline_dispatch(inputs: PlanInputs) -> Dispatch:
    """The rule-based plan for `inputs` (always feasible for the model's hard constraints)."""
    n, nf, nb, ne = inputs.n_slots, len(inputs.facilities), len(inputs.batteries), len(inputs.evs)
    zeros = np.zeros
    d = Dispatch(
        plant_kw=inputs.plant.forecast_kw.copy() if inputs.plant else zeros(n),
        buy_kw=zeros(n),
        sell_kw=zeros(n),
        import_kw=zeros((nf, n)),
        export_kw=zeros((nf, n)),
        pv_used_kw=np.array([f.pv_kw for f in inputs.facilities]),
        bat_charge_kw=zeros((nb, n)),
        bat_discharge_kw=zeros((nb, n)),
        bat_soc_kwh=zeros((nb, n)),
        ev_charge_kw=zeros((ne, n)),
        ev_discharge_kw=zeros((ne, n)),
        ev_soc_kwh=zeros((ne, n)),
        ev_trip_short_kwh=zeros((ne, n)),
        link_ab_kw=zeros((len(inputs.links), n)),
        link_ba_kw=zeros((len(inputs.links), n)),
        plant_self_kw=zeros(n),
    )
    bat_soc = np.array([b.initial_kwh for b in inputs.batteries])
    ev_soc = np.array([e.initial_kwh for e in inputs.evs])
    floors = _battery_floors(inputs) if nb else np.zeros(0)
    ev_fac = [e.facility for e in inputs.evs]
    site = inputs.plant.facility if inputs.plant is not None else None
    site_load = next((f.load_kw for f in inputs.facilities if f.id == site), np.zeros(n))
    for t in range(n):
        _evs_slot(inputs, d, ev_soc, t)
        net = {f.id: float(f.load_kw[t] - f.pv_kw[t]) for f in inputs.facilities}
        for i, fid in enumerate(ev_fac):
            net[fid] += d.ev_charge_kw[i, t]
        _batteries_slot(inputs, d, bat_soc, net, t, floors)
        if site is not None:  # the plant serves its facility's load (at most that) behind the meter
            d.plant_self_kw[t] = min(d.plant_kw[t], max(0.0, net[site]), float(site_load[t]))
            net[site] -= d.plant_self_kw[t]
        for j, f in enumerate(inputs.facilities):
            d.import_kw[j, t] = max(0.0, net[f.id])
            d.export_kw[j, t] = max(0.0, -net[f.id])
            if f.export_limit_kw is not None and d.export_kw[j, t] > f.export_limit_kw:  # curtail PV above it
                d.pv_used_kw[j, t] -= d.export_kw[j, t] - f.export_limit_kw
                d.export_kw[j, t] = f.export_limit_kw
        position = d.import_kw[:, t].sum() - d.export_kw[:, t].sum() - (d.plant_kw[t] - d.plant_self_kw[t])
        d.buy_kw[t] = max(0.0, position)
        d.sell_kw[t] = max(0.0, -position)
    return d
