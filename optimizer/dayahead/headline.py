"""Money apart from penalties: a plan's cost breakdown grouped the way an operator reads it (JPY).

* Money, JPY actually paid (+) or earned (-): energy (JEPX purchase less sales), wheeling, link charges,
  imbalance (when the breakdown has that term), demand (basic charge on new 30-min peaks), capacity
  (容量拠出金), wear (battery throughput and V2H), curtailment (plant output given up). A term this module does
  not know (e.g. the safe plan's ``jepx_net_jpy``) counts as money.
* Penalties (``penalty_*``): soft-target shortfalls priced to steer the plan (a shelter below its reserve, a
  car short at departure). Nobody pays them; a "saving" that is mostly the baseline's penalty is not a saving.
* Stored-energy value (from ``terminal_value``, shown as a positive value): what energy left in storage at the
  horizon end is worth. A valuation, not a payment.

total = money + penalties - stored-energy value = the plan's objective.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

MONEY_ORDER = ("energy", "wheeling", "link", "imbalance", "demand", "capacity", "wear", "curtailment")
PENALTY_PREFIX = "penalty_"
STORED_VALUE_TERM = "terminal_value"


@dataclass(frozen=True)
class CostSplit:
    """A breakdown split into money (by term), penalties (by term) and the stored-energy value, JPY."""

    money_jpy: dict[str, float]
    penalties_jpy: dict[str, float]
    stored_energy_value_jpy: float

    @property
    def money_total_jpy(self) -> float:
        """Money paid (+) or earned (-) in JPY."""
        return float(sum(self.money_jpy.values()))

    @property
    def penalties_total_jpy(self) -> float:
        """Sum of the soft-target penalties in JPY."""
        return float(sum(self.penalties_jpy.values()))

    @property
    def total_jpy(self) -> float:
        """money + penalties - stored-energy value: the objective the plan minimised."""
        return self.money_total_jpy + self.penalties_total_jpy - self.stored_energy_value_jpy


def split_costs(breakdown: Mapping[str, float]) -> CostSplit:
    """Group a cost breakdown (term -> JPY, as ``optimizer.dayahead.costs.cost_breakdown`` gives it)."""
    known = [t for t in MONEY_ORDER if t in breakdown]
    other = [t for t in breakdown if t not in MONEY_ORDER and not t.startswith(PENALTY_PREFIX)]
    money = {t: float(breakdown[t]) for t in [*known, *other] if t != STORED_VALUE_TERM}
    penalties = {t: float(v) for t, v in breakdown.items() if t.startswith(PENALTY_PREFIX)}
    return CostSplit(money, penalties, -float(breakdown.get(STORED_VALUE_TERM, 0.0)))
