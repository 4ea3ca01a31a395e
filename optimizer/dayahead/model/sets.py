"""Indexed sets of the plan model and the slot-length Param."""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.model.params import ParamValues, declare
from scenarios.timegrid import SLOT_HOURS


def time_params(inputs: PlanInputs) -> ParamValues:
    """Length in hours of the first slot (Param ``hours_first``; it may be partial)."""
    return {"hours_first": {None: float(inputs.hours[0])}}


def slot_hours(m: pyo.ConcreteModel, t: int) -> Any:
    """Slot length in h: the mutable ``hours_first`` for slot 0, the constant 0.5 for the others (validated in
    PlanInputs), so only slot-0 coefficients are pushed to HiGHS again on a re-plan."""
    return m.hours_first if t == 0 else SLOT_HOURS


def add_sets(m: pyo.ConcreteModel, inputs: PlanInputs) -> None:
    """T slots, F facilities, B batteries, E EVs, EB EVs needing a binary, L physical links."""
    m.T = pyo.Set(initialize=range(inputs.n_slots), ordered=True, doc="slot number 0..T-1")
    m.F = pyo.Set(initialize=inputs.facility_ids, ordered=True, doc="supplied facility ids")
    m.B = pyo.Set(initialize=[b.key for b in inputs.batteries], ordered=True, doc="battery keys facility/battery")
    m.E = pyo.Set(initialize=[e.id for e in inputs.evs], ordered=True, doc="planned EV ids")
    m.EB = pyo.Set(initialize=inputs.binary_evs, ordered=True, doc="EVs with a minimum charge power (binary)")
    m.L = pyo.Set(initialize=[lk.id for lk in inputs.links], ordered=True, doc="physical links")
    m.FPV = pyo.Set(initialize=[f.id for f in inputs.facilities if f.has_pv], ordered=True, doc="facilities with PV")
    declare(m, "hours_first", (), time_params(inputs)["hours_first"], "length of slot 0 in h")
