"""The day's money of the balancing group as the dashboard shows it (JPY; + = YGE pays, - = earns).

Per slot, the JEPX net purchase is buy kW x 0.5 h x spot price minus sell kW x 0.5 h x (spot - the sale discount);
a settled slot adds its imbalance settlement (`Imbalance.cost_jpy`, + = pay) and takes its JEPX figures from the
plan that was fixed for it (`Imbalance.plan_id`). "So far" covers today's settled slots (JST day), "planned" the
slots from the current one to the end of the day in the plan in force. Penalties are not money and are not here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from runtime.store.models import Imbalance, PlanSlot
from scenarios.timegrid import SLOT_HOURS, TZ


@dataclass(frozen=True)
class DayMoney:
    """Today's money in JPY: JEPX net purchases and imbalance of settled slots, JEPX net purchases planned for the
    rest of the day, and the slot counts behind each."""

    settled_slots: int
    jepx_so_far_jpy: float
    imbalance_so_far_jpy: float
    planned_slots: int
    jepx_planned_jpy: float

    @property
    def so_far_jpy(self) -> float:
        """Settled JEPX net purchases plus imbalance settlement, JPY."""
        return self.jepx_so_far_jpy + self.imbalance_so_far_jpy

    @property
    def day_total_jpy(self) -> float:
        """So far plus planned, JPY."""
        return self.so_far_jpy + self.jepx_planned_jpy


def jepx_net_jpy(slot: PlanSlot, sale_discount_jpy_per_kwh: float) -> float:
    """JEPX net purchase of one planned slot in JPY (+ = pays)."""
    buy = slot.jepx_buy_kw * SLOT_HOURS * slot.price_jpy_per_kwh
    sell = slot.jepx_sell_kw * SLOT_HOURS * max(slot.price_jpy_per_kwh - sale_discount_jpy_per_kwh, 0.0)
    return buy - sell


def day_bounds(now: dt.datetime) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Start and end (exclusive) of the JST day containing `now`, tz-aware."""
    start = pd.Timestamp(now).tz_convert(TZ).normalize()
    return start, start + pd.Timedelta(days=1)


def day_money(
    now: dt.datetime,
    settled: Iterable[Imbalance],
    slots_of_plan: Callable[[int], list[PlanSlot]],
    plan_slots: list[PlanSlot],
    sale_discount_jpy_per_kwh: float,
) -> DayMoney:
    """Today's money from the settled imbalances of today, the plan rows of each plan behind them
    (`slots_of_plan(plan_id)`), and the slots of the plan in force."""
    start, end = day_bounds(now)
    current = pd.Timestamp(now).floor("30min")
    cache: dict[int, dict[pd.Timestamp, PlanSlot]] = {}
    n_settled, jepx, imbalance = 0, 0.0, 0.0
    for row in settled:
        t = pd.Timestamp(row.slot_start)
        if not start <= t < end:
            continue
        n_settled += 1
        imbalance += row.cost_jpy
        if row.plan_id is not None:
            if row.plan_id not in cache:
                cache[row.plan_id] = {pd.Timestamp(s.slot_start): s for s in slots_of_plan(row.plan_id)}
            slot = cache[row.plan_id].get(t)
            jepx += jepx_net_jpy(slot, sale_discount_jpy_per_kwh) if slot is not None else 0.0
    rest = [s for s in plan_slots if current <= pd.Timestamp(s.slot_start) < end]
    planned = sum(jepx_net_jpy(s, sale_discount_jpy_per_kwh) for s in rest)
    return DayMoney(n_settled, jepx, imbalance, len(rest), planned)
