"""The group's market position in a re-plan: the filled day-ahead position and the slots locked at gate closure.

After the 10:00 clearing the day-ahead fill of every slot is fixed, and after gate closure (1 h before a slot)
the slot's 計画値 is fixed too. A plan made on :class:`PositionedInputs` keeps that position as a constraint of
the MILP (powers in kW as slot means, + = the group buys; energies kWh = kW x ``hours``):

    market_buy[t] - market_sell[t] = base_net_kw[t] + pos_buy[t] - pos_sell[t]

base_net_kw is the filled day-ahead net position (an open slot) or the submitted plan, fill + intraday trades
(a slot past gate closure). The deviation pos_buy/pos_sell (kW, >= 0) costs ``deviation_jpy_per_kwh[t]`` per kWh
on top of the slot's price: in an open slot where the intraday market trades, the intraday premium against the
day-ahead price; in a locked slot or one with no intraday trades, what the deviation would be: imbalance, priced
high so a plan keeps the lock unless physics forbids it. ``inf`` makes the slot a hard equality (no deviation
variable). The deviation cost is a planning weight of the re-plan; the money of the trades and of the imbalance
is settled elsewhere (``optimizer.market``). Slots are the plan's (``PlanInputs.index``, interval starts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo

from optimizer.dayahead.inputs import InputError, PlanInputs

__all__ = ["MarketPosition", "PositionedInputs", "add_position"]


@dataclass(frozen=True)
class MarketPosition:
    """Per plan slot: base_net_kw (the position the market net is held to, kW, + = buy), deviation_jpy_per_kwh
    (cost of each kWh away from it, JPY/kWh >= 0, ``inf`` = hard) and locked (True where the gate has closed:
    for reports, the constraint is the same)."""

    base_net_kw: np.ndarray
    deviation_jpy_per_kwh: np.ndarray
    locked: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.base_net_kw)
        if len(self.deviation_jpy_per_kwh) != n or len(self.locked) != n:
            raise InputError("position: base_net_kw, deviation_jpy_per_kwh and locked need one value per slot each")
        if not np.isfinite(np.asarray(self.base_net_kw, dtype=float)).all():
            raise InputError("position.base_net_kw: every slot needs a finite net position in kW")
        cost = np.asarray(self.deviation_jpy_per_kwh, dtype=float)
        if np.isnan(cost).any() or (cost < 0).any():
            raise InputError("position.deviation_jpy_per_kwh: costs must be >= 0 JPY/kWh (inf: a hard lock)")

    @property
    def hard(self) -> np.ndarray:
        """True where the net is an equality without deviation."""
        return np.asarray(np.isinf(np.asarray(self.deviation_jpy_per_kwh, dtype=float)))


@dataclass(frozen=True)
class PositionedInputs(PlanInputs):
    """Plan inputs with the group's market position (``None``: an unconstrained plan, as ``PlanInputs``)."""

    position: MarketPosition | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.position is not None and len(self.position.base_net_kw) != self.n_slots:
            raise InputError(
                f"position: {len(self.position.base_net_kw)} slots given, the plan has {self.n_slots}; "
                "give the position of every plan slot"
            )

    def structure_key(self) -> tuple[Any, ...]:
        """The plan's key plus which slots are hard (they have no deviation variable)."""
        hard = () if self.position is None else tuple(np.flatnonzero(self.position.hard).tolist())
        return (*super().structure_key(), ("position", self.position is not None, hard))


def add_position(m: pyo.ConcreteModel, inputs: PlanInputs) -> None:
    """position_net[t] (module doc) and the deviation cost added to the objective; nothing without a position.
    Needs add_market and add_objective first."""
    position = getattr(inputs, "position", None)
    if position is None:
        return
    base = [float(v) for v in position.base_net_kw]
    cost = np.asarray(position.deviation_jpy_per_kwh, dtype=float)
    soft = [t for t in m.T if np.isfinite(cost[t])]
    m.position_buy = pyo.Var(soft, within=pyo.NonNegativeReals, doc="kW bought beyond the held position")
    m.position_sell = pyo.Var(soft, within=pyo.NonNegativeReals, doc="kW sold beyond the held position")
    soft_set = set(soft)

    def net(m: pyo.ConcreteModel, t: int) -> pyo.Expression:
        deviation = m.position_buy[t] - m.position_sell[t] if t in soft_set else 0.0
        return m.market_buy[t] - m.market_sell[t] == base[t] + deviation

    m.position_net = pyo.Constraint(m.T, rule=net)
    hours = np.asarray(inputs.hours, dtype=float)
    m.cost_position = pyo.Expression(
        expr=sum(float(cost[t] * hours[t]) * (m.position_buy[t] + m.position_sell[t]) for t in soft)
    )
    m.total_cost.set_value(m.total_cost.expr + m.cost_position)
