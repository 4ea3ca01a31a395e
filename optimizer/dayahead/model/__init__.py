"""The plan model, built from one ``PlanInputs`` by named steps (one module per family).

Order: sets -> add_supply -> add_battery -> add_ev -> add_interchange -> add_exclusive -> add_facility_balance ->
add_market -> add_reserve -> add_peak -> add_capacity -> add_objective. Component names carry the family prefix
(plant_, market_, fac_, bat_, ev_, link_, reserve_, peak_, cap_, cost_) so they are searchable.
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.model.battery import add_battery, battery_params
from optimizer.dayahead.model.capacity import add_capacity, capacity_params
from optimizer.dayahead.model.ev import add_ev, ev_params
from optimizer.dayahead.model.exclusive import add_exclusive
from optimizer.dayahead.model.facility import add_facility_balance, facility_params
from optimizer.dayahead.model.interchange import add_interchange
from optimizer.dayahead.model.market import add_market, market_params
from optimizer.dayahead.model.objective import TERMS, add_objective, terminal_params
from optimizer.dayahead.model.params import ParamValues, assign
from optimizer.dayahead.model.peak import add_peak, peak_params
from optimizer.dayahead.model.reserve import add_reserve, reserve_params
from optimizer.dayahead.model.sets import add_sets, time_params
from optimizer.dayahead.model.supply import add_supply, supply_params
from optimizer.dayahead.position import add_position

__all__ = ["TERMS", "build_model", "param_values", "update_params"]


def build_model(inputs: PlanInputs, relax: bool = False) -> pyo.ConcreteModel:
    """The Pyomo model of `inputs`; relax=True makes every binary (EV minimum power, exclusivity) continuous.

    Python's cyclic garbage collector is paused while building (as Pyomo's own writers do): the build makes
    ~10^5 objects and nothing cyclic to free, so collections would only walk the growing heap (halves the build).
    """
    with PauseGC():
        m = pyo.ConcreteModel(name="yge_plan")
        add_sets(m, inputs)
        add_supply(m, inputs)
        add_battery(m, inputs)
        add_ev(m, inputs, relax=relax)
        add_interchange(m, inputs)
        add_exclusive(m, inputs, relax=relax)
        add_facility_balance(m, inputs)
        add_market(m, inputs)
        add_reserve(m, inputs)
        add_peak(m, inputs)
        add_capacity(m, inputs)
        add_objective(m, inputs)
        add_position(m, inputs)  # market position / gate-closure locks (optimizer.dayahead.position)
    return m


def param_values(inputs: PlanInputs) -> ParamValues:
    """Every mutable Param's values for `inputs` (what a data-only re-plan rewrites)."""
    out: ParamValues = {}
    for family in (
        time_params,
        supply_params,
        market_params,
        facility_params,
        battery_params,
        ev_params,
        reserve_params,
        peak_params,
        capacity_params,
        terminal_params,
    ):
        out.update(family(inputs))
    return out


def update_params(m: pyo.ConcreteModel, inputs: PlanInputs) -> None:
    """Rewrite all mutable Params of a model built for inputs with the same ``structure_key()`` (GC paused, as
    in build_model)."""
    with PauseGC():
        assign(m, param_values(inputs))
