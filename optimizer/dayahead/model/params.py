"""Mutable Params: declared once from a values dict, re-filled from new inputs for a rolling re-plan.

Every time-series value and initial state is a mutable Param, so new data changes only Param values and a
persistent solver pushes just those coefficients and bounds to HiGHS. A family module supplies a function
``inputs -> {param name: {index: value}}``; the key ``None`` marks a scalar Param.
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

ParamValues = dict[str, dict[Any, float]]


def declare(m: pyo.ConcreteModel, name: str, sets: tuple[Any, ...], values: dict[Any, float], doc: str) -> None:
    """Add a mutable Param `name` over `sets` (empty for a scalar) initialised from `values`."""
    if sets:
        setattr(m, name, pyo.Param(*sets, initialize=values, mutable=True, within=pyo.Reals, doc=doc))
    else:
        setattr(m, name, pyo.Param(initialize=values[None], mutable=True, within=pyo.Reals, doc=doc))


def assign(m: pyo.ConcreteModel, values: ParamValues) -> None:
    """Write new values into existing mutable Params (a data-only change)."""
    for name, data in values.items():
        component = getattr(m, name)
        if None in data:
            component.set_value(data[None])
        else:
            component.store_values(data, check=False)
