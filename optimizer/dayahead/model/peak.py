"""add_peak: 30-minute import above max(contract kW, peak already set this month) per facility (soft)."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.model.params import ParamValues, declare


def peak_params(inputs: PlanInputs) -> ParamValues:
    """peak_ref_kw[f]: the import level (kW) above which the peak charge applies."""
    return {"peak_ref_kw": {f.id: f.peak_reference_kw for f in inputs.facilities}}


def add_peak(m: pyo.ConcreteModel, inputs: PlanInputs) -> None:
    """Over FP (``inputs.peak_facilities()``, where a peak is possible): peak_kw[f] >= every slot's fac_import
    (peak_track[f,t]) and peak_excess[f] >= peak_kw - peak_ref_kw (peak_above_reference[f]). Elsewhere the
    import is bounded by peak_ref_kw, which cannot bind there (see PlanInputs.peak_facilities)."""
    declare(m, "peak_ref_kw", (m.F,), peak_params(inputs)["peak_ref_kw"], "peak reference kW")
    m.FP = pyo.Set(initialize=inputs.peak_facilities(), ordered=True, doc="facilities that could set a peak")
    m.peak_kw = pyo.Var(m.FP, within=pyo.NonNegativeReals, doc="highest 30-min import kW in the horizon")
    m.peak_excess = pyo.Var(m.FP, within=pyo.NonNegativeReals, doc="kW above the reference")
    m.peak_track = pyo.Constraint(m.FP, m.T, rule=lambda m, f, t: m.fac_import[f, t] <= m.peak_kw[f])
    m.peak_above_reference = pyo.Constraint(m.FP, rule=lambda m, f: m.peak_kw[f] - m.peak_excess[f] <= m.peak_ref_kw[f])
    capable = set(m.FP)
    for f in m.F:
        if f not in capable:
            for t in m.T:
                m.fac_import[f, t].setub(m.peak_ref_kw[f])
