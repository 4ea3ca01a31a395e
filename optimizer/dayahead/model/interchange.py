"""add_interchange: physical links (private feeders) between facilities, with losses and a per-kWh charge.

Energy a facility exports at its meter is used by the other facilities of the balancing group before
JEPX sees it (the group balance nets it); how much and between whom is reported from the solution
(``optimizer.dayahead.frames.interchange_flows``). A declared link moves power behind the meters, within its
limit, losing ``loss_fraction`` of what is sent and costing ``charge_jpy_per_kwh`` per kWh sent, so a plan
sends only what saves more than that (without a cost a link's flow would be arbitrary).
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.dayahead.inputs import PlanInputs


def add_interchange(m: pyo.ConcreteModel, inputs: PlanInputs) -> None:
    """link_ab[l,t], link_ba[l,t] in [0, limit] kW sent a->b and b->a; the facility balance
    (add_facility_balance) takes what is sent out of the sending end and adds (1 - loss) x it at the other."""
    spec = {lk.id: lk for lk in inputs.links}
    m.link_ab = pyo.Var(m.L, m.T, bounds=lambda m, k, t: (0, spec[k].limit_kw), doc="kW sent a->b")
    m.link_ba = pyo.Var(m.L, m.T, bounds=lambda m, k, t: (0, spec[k].limit_kw), doc="kW sent b->a")
