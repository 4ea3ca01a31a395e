"""Indexed sets of the plan model and the slot-length Param."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.inputs import PlanInputs
from optimizer.model.params import ParamValues, declare


def time_params(inputs: PlanInputs) -> ParamValues:
    """Slot length in hours per slot (Param ``hours``)."""
    return {"hours": {t: float(h) for t, h in enumerate(inputs.hours)}}


def add_sets(m: pyo.ConcreteModel, inputs: PlanInputs) -> None:
    """T slots, F facilities, B batteries, E EVs, EB EVs needing a binary, L physical links."""
    m.T = pyo.Set(initialize=range(inputs.n_slots), ordered=True, doc="slot number 0..T-1")
    m.F = pyo.Set(initialize=inputs.facility_ids, ordered=True, doc="supplied facility ids")
    m.B = pyo.Set(initialize=[b.key for b in inputs.batteries], ordered=True, doc="battery keys facility/battery")
    m.E = pyo.Set(initialize=[e.id for e in inputs.evs], ordered=True, doc="planned EV ids")
    m.EB = pyo.Set(initialize=inputs.binary_evs, ordered=True, doc="EVs with a minimum charge power (binary)")
    m.L = pyo.Set(initialize=[lk.id for lk in inputs.links], ordered=True, doc="physical links")
    declare(m, "hours", (m.T,), time_params(inputs)["hours"], "slot length in h")
