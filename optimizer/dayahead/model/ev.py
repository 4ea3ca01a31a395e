"""add_ev: EV charging (and V2H discharge where charger and car allow it) at the home charger.

Binaries: only for chargers with min_power_kw > 0 (semi-continuous charging: 0 or in [min, max] kW), one
``ev_on[e,t]`` per such EV and slot; ``relax=True`` makes them continuous in [0, 1] (pure LP).
Soft: the departure target (ev_departure_short) and the trip energy / SoC floor (ev_trip_short).
The owner's limit on V2H energy per 24 h (``EVInput.v2h_max_kwh_per_24h``) is hard: ev_v2h_used[e,t] counts
the kWh discharged since the horizon start, and every window of 48 slots ending at t stays within the limit.
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.model.params import ParamValues, declare
from optimizer.dayahead.model.sets import slot_hours

SLOTS_PER_24H = 48


def ev_params(inputs: PlanInputs) -> ParamValues:
    """ev_soc0, ev_lo (kWh); ev_plugged (0/1), ev_target (kWh, 0 = none), ev_trip (kWh) per EV and slot;
    ev_v2h_cap (kWh per 24 h) and ev_v2h_room (kWh left in the first windows: cap - what the 24 h before the
    horizon used, >= 0) per capped V2H car."""
    out: ParamValues = {"ev_soc0": {}, "ev_lo": {}, "ev_plugged": {}, "ev_target": {}, "ev_trip": {}}
    capped = set(inputs.capped_evs)
    out["ev_v2h_cap"] = {e.id: float(e.v2h_max_kwh_per_24h or 0.0) for e in inputs.evs if e.id in capped}
    out["ev_v2h_room"] = {
        e.id: max(0.0, float(e.v2h_max_kwh_per_24h or 0.0) - e.v2h_prior_kwh) for e in inputs.evs if e.id in capped
    }
    for e in inputs.evs:
        out["ev_soc0"][e.id] = e.initial_kwh
        out["ev_lo"][e.id] = e.lower_kwh
        for t in range(inputs.n_slots):
            out["ev_plugged"][e.id, t] = float(e.plugged[t])
            out["ev_target"][e.id, t] = float(e.target_kwh[t])
            out["ev_trip"][e.id, t] = float(e.trip_kwh[t])
    return out


def add_ev(m: pyo.ConcreteModel, inputs: PlanInputs, relax: bool = False) -> None:
    """ev_charge/ev_discharge (kW; upper bounds = power x ev_plugged, so 0 while away), ev_soc (kWh at slot end),
    ev_soc_dynamics, ev_departure_target (soft), ev_on binaries with ev_charge_min_on/ev_charge_max_on."""
    values = ev_params(inputs)
    spec = {e.id: e for e in inputs.evs}
    declare(m, "ev_soc0", (m.E,), values["ev_soc0"], "initial EV energy kWh")
    declare(m, "ev_lo", (m.E,), values["ev_lo"], "EV SoC floor kWh")
    for name, doc in (
        ("ev_plugged", "1 if at the charger"),
        ("ev_target", "departure target kWh"),
        ("ev_trip", "trip energy removed on return kWh"),
    ):
        declare(m, name, (m.E, m.T), values[name], doc)
    m.ev_charge = pyo.Var(
        m.E,
        m.T,
        bounds=lambda m, e, t: (0, spec[e].charge_kw * m.ev_plugged[e, t]),
        doc="kW, only while plugged (bound follows ev_plugged)",
    )
    m.ev_discharge = pyo.Var(
        m.E,
        m.T,
        bounds=lambda m, e, t: (0, spec[e].discharge_kw * m.ev_plugged[e, t]),
        doc="kW (V2H), only while plugged",
    )
    m.ev_soc = pyo.Var(m.E, m.T, bounds=lambda m, e, t: (m.ev_lo[e], spec[e].capacity_kwh), doc="kWh at slot end")
    m.ev_trip_short = pyo.Var(
        m.E,
        m.T,
        bounds=lambda m, e, t: (0, m.ev_trip[e, t]),
        doc="kWh the trip lacked (at most the trip itself: the slack cannot create energy)",
    )
    m.ev_departure_short = pyo.Var(m.E, m.T, within=pyo.NonNegativeReals, doc="kWh below departure target")

    def dynamics(m: pyo.ConcreteModel, e: str, t: int) -> pyo.Expression:
        # soc - prev - h eta charge + (h / eta) discharge - trip_short = -trip (slot 0: + initial energy)
        eta, h = spec[e].efficiency, slot_hours(m, t)
        terms = [m.ev_soc[e, t], -(h * eta) * m.ev_charge[e, t], (h / eta) * m.ev_discharge[e, t]]
        terms.append(-m.ev_trip_short[e, t])
        if t == 0:
            return pyo.quicksum(terms) == m.ev_soc0[e] - m.ev_trip[e, t]
        return pyo.quicksum([*terms, -m.ev_soc[e, t - 1]]) == -m.ev_trip[e, t]

    m.ev_soc_dynamics = pyo.Constraint(m.E, m.T, rule=dynamics)
    m.ev_departure_target = pyo.Constraint(
        m.E, m.T, rule=lambda m, e, t: m.ev_soc[e, t] + m.ev_departure_short[e, t] >= m.ev_target[e, t]
    )
    m.ev_on = pyo.Var(m.EB, m.T, within=pyo.UnitInterval if relax else pyo.Binary, doc="1 if charging")
    m.ev_charge_max_on = pyo.Constraint(
        m.EB, m.T, rule=lambda m, e, t: m.ev_charge[e, t] <= spec[e].charge_kw * m.ev_on[e, t]
    )
    m.ev_charge_min_on = pyo.Constraint(
        m.EB, m.T, rule=lambda m, e, t: m.ev_charge[e, t] >= spec[e].min_charge_kw * m.ev_on[e, t]
    )
    _add_v2h_limit(m, inputs, values)


def _add_v2h_limit(m: pyo.ConcreteModel, inputs: PlanInputs, values: ParamValues) -> None:
    """EV2 (capped V2H cars): ev_v2h_used[e,t] (kWh discharged from the horizon start to the end of slot t);
    ev_v2h_count[e,t]: used[t] - used[t-1] - h discharge[t] = 0; ev_v2h_24h[e,t]: used[t] - used[t-48] <= cap
    (t >= 48) and used[t] <= room (t < 48: those windows reach back before the horizon)."""
    m.EV2 = pyo.Set(initialize=inputs.capped_evs, ordered=True, doc="V2H cars with a 24-h V2H energy limit")
    declare(m, "ev_v2h_cap", (m.EV2,), values["ev_v2h_cap"], "V2H kWh allowed in any 24 h")
    declare(m, "ev_v2h_room", (m.EV2,), values["ev_v2h_room"], "V2H kWh left for windows reaching before the start")
    m.ev_v2h_used = pyo.Var(m.EV2, m.T, within=pyo.NonNegativeReals, doc="kWh discharged since the horizon start")

    def count(m: pyo.ConcreteModel, e: str, t: int) -> pyo.Expression:
        terms = [m.ev_v2h_used[e, t], -slot_hours(m, t) * m.ev_discharge[e, t]]
        if t > 0:
            terms.append(-m.ev_v2h_used[e, t - 1])
        return pyo.quicksum(terms) == 0

    def window(m: pyo.ConcreteModel, e: str, t: int) -> pyo.Expression:
        if t < SLOTS_PER_24H:
            return m.ev_v2h_used[e, t] <= m.ev_v2h_room[e]
        return m.ev_v2h_used[e, t] - m.ev_v2h_used[e, t - SLOTS_PER_24H] <= m.ev_v2h_cap[e]

    m.ev_v2h_count = pyo.Constraint(m.EV2, m.T, rule=count)
    m.ev_v2h_24h = pyo.Constraint(m.EV2, m.T, rule=window)
