"""add_peak: each facility's 30-minute demand above its billing reference (the demand charge, money).

A facility's demand in a slot is its mean import over the 30 minutes. In a partial first slot the energy
already metered counts: demand = (metered kWh + hours[0] x import) / 0.5 h. The reference is max(contract kW,
this month's peak) and, for a ratchet contract, the 12-month peak (``FacilityInput.peak_reference_kw``); a kW
above it is billed ``demand_bills`` times (12 under the ratchet) at the plan's basic charge.
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.model.params import ParamValues, declare
from scenarios.timegrid import SLOT_HOURS


def peak_params(inputs: PlanInputs) -> ParamValues:
    """peak_ref_kw[f]: the demand (kW) above which a new peak is billed; peak_metered_kwh[f]: kWh already
    imported in slot 0 before the plan starts."""
    return {
        "peak_ref_kw": {f.id: f.peak_reference_kw for f in inputs.facilities},
        "peak_metered_kwh": {f.id: f.metered_kwh_first_slot for f in inputs.facilities},
    }


def add_peak(m: pyo.ConcreteModel, inputs: PlanInputs) -> None:
    """Over FP (``inputs.peak_facilities()``, where a peak is possible): peak_kw[f] >= every slot's demand
    (peak_track[f,t]; slot 0: (2 hours[0]) import - peak <= -2 metered) and peak_excess[f] >= peak_kw -
    peak_ref_kw (peak_above_reference[f]). Elsewhere the import is bounded by peak_ref_kw, which cannot bind
    there (see PlanInputs.peak_facilities)."""
    values = peak_params(inputs)
    declare(m, "peak_ref_kw", (m.F,), values["peak_ref_kw"], "peak reference kW")
    declare(m, "peak_metered_kwh", (m.F,), values["peak_metered_kwh"], "kWh imported in slot 0 before the plan")
    m.FP = pyo.Set(initialize=inputs.peak_facilities(), ordered=True, doc="facilities that could set a peak")
    m.peak_kw = pyo.Var(m.FP, within=pyo.NonNegativeReals, doc="highest 30-min demand kW in the horizon")
    m.peak_excess = pyo.Var(m.FP, within=pyo.NonNegativeReals, doc="kW above the reference")

    def track(m: pyo.ConcreteModel, f: str, t: int) -> pyo.Expression:
        if t == 0:
            return (m.hours_first / SLOT_HOURS) * m.fac_import[f, 0] - m.peak_kw[f] <= -m.peak_metered_kwh[
                f
            ] / SLOT_HOURS
        return m.fac_import[f, t] - m.peak_kw[f] <= 0

    m.peak_track = pyo.Constraint(m.FP, m.T, rule=track)
    m.peak_above_reference = pyo.Constraint(m.FP, rule=lambda m, f: m.peak_kw[f] - m.peak_excess[f] <= m.peak_ref_kw[f])
    capable = set(m.FP)
    for f in m.F:
        if f not in capable:
            for t in m.T:
                m.fac_import[f, t].setub(m.peak_ref_kw[f])
