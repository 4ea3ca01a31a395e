"""add_exclusive: charge/discharge exclusivity binaries, only in slots where disposing of energy pays.

Elsewhere the model stays continuous (reference note: exclusivity does not bind at positive prices). In a
slot of ``PlanInputs.disposal_slots()`` (price below sale discount - wheeling) a battery or a V2H car charging
and discharging at once (or a lossy link sending both ways) would burn energy in its losses and earn money for
it, a loop no device can run.
One binary ``x_charging[u,t]`` per storage unit able to discharge and such slot; ``relax=True`` makes it
continuous in [0, 1] (the LP relaxation then may show the loop; its result says it is relaxed).
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.dayahead.inputs import PlanInputs


def add_exclusive(m: pyo.ConcreteModel, inputs: PlanInputs, relax: bool = False) -> None:
    """x_charging[u,t] over XU (batteries 'bat:key', V2H cars 'ev:id', lossy links 'link:id' with a->b as
    'charge') x XT (disposal slots); x_charge_only[u,t]: charge <= P_c x; x_discharge_only[u,t]: discharge <=
    P_d (1 - x). Needs add_interchange first."""
    slots = inputs.disposal_slots()
    units: dict[str, tuple[pyo.Var, pyo.Var, str, float, float]] = {}
    for b in inputs.batteries:
        if b.available and b.discharge_kw > 0 and b.charge_kw > 0:
            units[f"bat:{b.key}"] = (m.bat_charge, m.bat_discharge, b.key, b.charge_kw, b.discharge_kw)
    for e in inputs.evs:
        if e.discharge_kw > 0 and e.charge_kw > 0:
            units[f"ev:{e.id}"] = (m.ev_charge, m.ev_discharge, e.id, e.charge_kw, e.discharge_kw)
    for lk in inputs.links:
        if lk.loss_fraction > 0:  # sending both ways at once would burn the losses
            units[f"link:{lk.id}"] = (m.link_ab, m.link_ba, lk.id, lk.limit_kw, lk.limit_kw)
    m.XU = pyo.Set(initialize=list(units) if slots else [], ordered=True, doc="storage units with exclusivity")
    m.XT = pyo.Set(initialize=slots, ordered=True, doc="slots where disposing of energy pays")
    m.x_charging = pyo.Var(m.XU, m.XT, within=pyo.UnitInterval if relax else pyo.Binary, doc="1 if charging")

    def charge_only(m: pyo.ConcreteModel, u: str, t: int) -> pyo.Expression:
        charge, _, key, p_c, _ = units[u]
        return charge[key, t] <= p_c * m.x_charging[u, t]

    def discharge_only(m: pyo.ConcreteModel, u: str, t: int) -> pyo.Expression:
        _, discharge, key, _, p_d = units[u]
        return discharge[key, t] <= p_d * (1 - m.x_charging[u, t])

    m.x_charge_only = pyo.Constraint(m.XU, m.XT, rule=charge_only)
    m.x_discharge_only = pyo.Constraint(m.XU, m.XT, rule=discharge_only)
