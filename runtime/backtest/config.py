"""Settings of a backtest run and the unit of work handed to a Dask worker (one week of delivery days).

Times are Asia/Tokyo; a delivery day D has 48 slots of 30 min named by their start (JEPX コマ 1 = 00:00).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scenarios.model import Scenario

STRATEGIES = ("baseline", "forecast", "perfect")
"""rule-based baseline; the engine on forecast prices and forecast PV/load; the engine with perfect foresight
(real prices and the actual PV/load known when planning: the upper bound)."""


@dataclass(frozen=True)
class BacktestConfig:
    """How the operator's day is replayed.

    bid_unit_kwh: JEPX bid quantity step per 30-min slot (kWh; 0.1 MW x 0.5 h = 50 kWh), day-ahead fills are
    whole units. replan_every_h: hours between intraday re-plans of the forecast engine (each at gate closure,
    ``gate_closure_h`` before the first slot it changes). load_error / pv_error: standard deviation of the
    simulated relative error of the day-ahead load / PV forecast (fraction); error_rho: its slot-to-slot
    correlation (AR(1)); seed: the simulation's random seed (a day's errors depend on seed and date only).
    intraday_price: "average" trades intraday at the slot's recorded average price, "adverse" buys at its high
    and sells at its low (a pessimistic bound). Imbalance prices follow the scenario's ``market.imbalance``.
    """

    bid_unit_kwh: float = 50.0
    replan_every_h: int = 3
    gate_closure_h: float = 1.0
    load_error: float = 0.10
    pv_error: float = 0.25
    error_rho: float = 0.9
    seed: int = 2023
    intraday_price: str = "average"
    time_limit_s: float = 60.0

    def __post_init__(self) -> None:
        checks = {
            "bid_unit_kwh": self.bid_unit_kwh > 0,
            "replan_every_h": 1 <= self.replan_every_h <= 24 and 24 % self.replan_every_h == 0,
            "gate_closure_h": 0.5 <= self.gate_closure_h <= 12 and (self.gate_closure_h * 2).is_integer(),
            "load_error": 0 <= self.load_error < 1,
            "pv_error": 0 <= self.pv_error < 1,
            "error_rho": 0 <= self.error_rho < 1,
            "intraday_price": self.intraday_price in ("average", "adverse"),
            "time_limit_s": self.time_limit_s > 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(
                f"BacktestConfig.{bad[0]}: {getattr(self, bad[0])!r} is out of range; see the class docstring "
                "(replan_every_h divides 24, gate_closure_h is whole slots, errors are fractions < 1, "
                "intraday_price is 'average' or 'adverse')"
            )


@dataclass(frozen=True)
class WeekTask:
    """One Dask task: ``days`` consecutive delivery days from ``start``, the state carried from day to day and
    started afresh from the scenario's own state (its SoC, peaks) on the first day."""

    scenario: Scenario
    start: dt.date
    days: int
    config: BacktestConfig
    strategies: tuple[str, ...] = STRATEGIES


def weeks(start: dt.date, end: dt.date, scenario: Scenario, config: BacktestConfig) -> list[WeekTask]:
    """The tasks covering the delivery days start..end (inclusive), 7 days each (the last may be shorter)."""
    if end < start:
        raise ValueError(f"--to: {end} is before --from {start}; give an end on or after the start")
    total = (end - start).days + 1
    return [
        WeekTask(scenario, start + dt.timedelta(days=first), min(7, total - first), config)
        for first in range(0, total, 7)
    ]
