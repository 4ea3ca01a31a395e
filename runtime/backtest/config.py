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

    bid_unit_kwh: JEPX bid and intraday quantity step per 30-min slot (kWh; None: the scenario's
    ``market.operations`` bid and intraday units, 0.1 MW x 0.5 h = 50 kWh); fills and trades are whole units.
    bid: "curve" (price-quantity curves from the plans on the P10/P50/P90 forecast prices) or "point" (the P50
    plan as price-taker steps). replan_every_h: hours between intraday re-plans of the forecast engine (each
    made at a slot start from the state measured then; the slots within ``gate_closure_h`` of it are locked to
    the position held). load_error / pv_error: standard deviation of the simulated relative error of the
    day-ahead load / PV forecast (fraction); error_rho: its slot-to-slot correlation (AR(1)); seed: the
    simulation's random seed (a day's errors depend on seed and date only). intraday_price: which price the
    intraday money is booked at, "average" (the slot's recorded average) or "adverse" (high for buys, low for
    sales); the other is reported apart. intraday_premium_jpy_per_kwh: in a re-plan, what a kWh traded beyond
    the day-ahead fill costs on top of the price (planning weight; assumed); lock_penalty_jpy_per_kwh: what a
    kWh away from a locked (or untradeable) slot's position costs in a re-plan (planning weight). band_days:
    days of the strategy's own need errors (metered - planned JEPX net) the intraday step's P10/P90 are learned
    from (fewer than ``band_min_days``: +/- the scenario's ``need_error_fraction`` of the load). task_span:
    "season" (one task per month, a capacity season's months in one task, the state and peaks carried day by
    day inside it) or "week" (7-day tasks, each from the scenario's own state). checkpoint_dir: where each task
    appends its finished days (CSV) so a run that is stopped still leaves its measured days (None: nowhere).
    Imbalance prices follow the scenario's ``market.imbalance`` and ``market.operations``.
    """

    bid_unit_kwh: float | None = None
    bid: str = "curve"
    replan_every_h: int = 3
    gate_closure_h: float = 1.0
    load_error: float = 0.10
    pv_error: float = 0.25
    error_rho: float = 0.9
    seed: int = 2023
    intraday_price: str = "average"
    time_limit_s: float = 60.0
    intraday_premium_jpy_per_kwh: float = 1.0
    lock_penalty_jpy_per_kwh: float = 100.0
    band_days: int = 14
    band_min_days: int = 3
    task_span: str = "season"
    checkpoint_dir: str | None = None

    def __post_init__(self) -> None:
        checks = {
            "bid_unit_kwh": self.bid_unit_kwh is None or self.bid_unit_kwh > 0,
            "bid": self.bid in ("curve", "point"),
            "intraday_premium_jpy_per_kwh": self.intraday_premium_jpy_per_kwh >= 0,
            "lock_penalty_jpy_per_kwh": self.lock_penalty_jpy_per_kwh >= 0,
            "band_days": self.band_days >= 1,
            "band_min_days": 1 <= self.band_min_days <= self.band_days,
            "task_span": self.task_span in ("season", "week"),
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
                "intraday_price is 'average' or 'adverse', bid 'curve' or 'point', task_span 'season' or 'week')"
            )


@dataclass(frozen=True)
class WeekTask:
    """One Dask task: ``days`` consecutive delivery days from ``start`` (a week, a month or a capacity season),
    the state (SoC, this month's, 12 months' and the season's peaks) carried from day to day and started afresh
    from the scenario's own state on the first day."""

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


def _block(day: dt.date, scenario: Scenario) -> tuple[int, int]:
    """The task a day belongs to under task_span="season": its month, or its capacity season (a season's months
    share one task so the season's peak is carried; a winter season spans the new year)."""
    capacity = scenario.market.capacity
    for months in (capacity.summer_months, capacity.winter_months):
        if day.month in months:
            year = day.year - 1 if months == capacity.winter_months and day.month < 7 else day.year
            return (year, -min(months))
    return (day.year, day.month)


def seasons(start: dt.date, end: dt.date, scenario: Scenario, config: BacktestConfig) -> list[WeekTask]:
    """The tasks covering start..end (inclusive) under task_span="season" (``_block``), longest first (so two
    workers finish together: longest-processing-time order)."""
    if end < start:
        raise ValueError(f"--to: {end} is before --from {start}; give an end on or after the start")
    tasks: list[WeekTask] = []
    day = start
    while day <= end:
        first, key = day, _block(day, scenario)
        while day + dt.timedelta(days=1) <= end and _block(day + dt.timedelta(days=1), scenario) == key:
            day += dt.timedelta(days=1)
        tasks.append(WeekTask(scenario, first, (day - first).days + 1, config))
        day += dt.timedelta(days=1)
    return sorted(tasks, key=lambda t: -t.days)


def tasks_for(start: dt.date, end: dt.date, scenario: Scenario, config: BacktestConfig) -> list[WeekTask]:
    """The Dask tasks of a run: ``seasons`` or ``weeks`` by ``config.task_span``."""
    return (seasons if config.task_span == "season" else weeks)(start, end, scenario, config)
