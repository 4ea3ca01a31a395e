"""add_interchange: physical links (private feeders) and the group's export/import totals.

Energy a facility exports at its meter is used by the other facilities of the balancing group before
JEPX sees it (the group balance nets it); how much and between whom is reported from the solution
(``optimizer.dayahead.frames.interchange_flows``). A declared link moves power behind the meters, within +/- its limit.
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.dayahead.inputs import PlanInputs


def add_interchange(m: pyo.ConcreteModel, inputs: PlanInputs) -> None:
    """link_flow[l,t] in [-limit, +limit] kW (positive = from a to b); the facility balance (add_facility_balance)
    adds it at b and subtracts it at a."""
    spec = {lk.id: lk for lk in inputs.links}
    m.link_flow = pyo.Var(m.L, m.T, bounds=lambda m, k, t: (-spec[k].limit_kw, spec[k].limit_kw), doc="kW a->b")
