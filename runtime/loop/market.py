"""The market-day jobs of the live loop (with ``EMS_MARKET_ENABLED``): bid, 需要調達計画 and intraday steps.

For delivery day D+1 (JST), run on day D:

- ``market_bid`` (``EMS_MARKET_BID_AT``, 09:30): forecast D+1's prices from those known (today's published prices
  when ``EMS_JEPX_SPOT_SOURCE`` is set, else the recorded/proxy series of ``runtime.loop.prices``), plan D+1 on the
  latest stored PV/load forecast and bid the P10/P50/P90 curves; writes the forecast and the bid. After the 10:00
  close it only raises a 'market_bid_missed' event.
- ``market_plan`` (``EMS_MARKET_PLAN_AT``, 11:30): fill the bid at D+1's published prices, plan D+1 on them and
  write the fill and the 需要調達計画 file (due 12:00).
- ``market_intraday`` (minutes 5 and 35 of every hour): for today and tomorrow, once filled, re-plan the day on the
  latest forecasts and choose the intraday trades of the slots before their gate closure
  (``optimizer.market.intraday``); appended to the intraday file. The expected intraday price is the recorded
  intraday result on the shipped days, the slot's spot price elsewhere (the exchange publishes intraday results
  after delivery). The service places no orders itself: the file is the operator's order list.

Every step is idempotent per delivery day (a restart resumes from the files in ``EMS_MARKET_DIR``), takes ``now``
and stamps events and job runs with it. Units: kWh per slot, JPY/kWh, JPY.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd

from forecasts.prices import forecast_day_ahead_prices
from optimizer.dayahead.from_scenario import build_inputs
from optimizer.dayahead.inputs import PlanInputs
from optimizer.market.clearing import clear_bid
from runtime.loop.optimise import horizon_prices
from runtime.loop.optimiser_planner import solve_options
from runtime.loop.service import Service
from runtime.market.day import (
    bid_day,
    held_position,
    intraday_day,
    intraday_prices,
    market_inputs,
    plan_day,
)
from runtime.market.files import MarketFiles
from runtime.market.plan_values import plan_values, write_plan_values
from runtime.store import journal
from scenarios.timegrid import TZ, day_slots, require_aware, slots

__all__ = ["delivery_day", "market_bid", "market_intraday", "market_plan"]

HISTORY_DAYS = 400
"""Days of prices before delivery given to the price forecast (its 364-day window and the lags)."""


def delivery_day(now: dt.datetime | pd.Timestamp) -> dt.date:
    """The delivery day the day-ahead steps at ``now`` work for: tomorrow in JST."""
    return require_aware(now, "now").tz_convert(TZ).date() + dt.timedelta(days=1)


def _at(day: dt.date, hhmm: str) -> pd.Timestamp:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return pd.Timestamp(dt.datetime.combine(day, dt.time(hour, minute)), tz=TZ)


def _files(svc: Service) -> MarketFiles:
    return MarketFiles(svc.settings.market_dir)


def _inputs(svc: Service, index: pd.DatetimeIndex, price: pd.Series) -> PlanInputs:
    """Plan inputs of a delivery day on ``price``: the latest stored PV/load forecast where it covers the day,
    else the forecasts package's own (clear-sky PV, day-type load)."""
    _, frames = journal.latest_forecast(svc.store)
    if frames and all(index[0] in f.index and index[-1] in f.index for f in frames.values()):
        pv = {fid: f["pv"].reindex(index).fillna(0.0) for fid, f in frames.items() if "pv" in f}
        load = {fid: f["load"].reindex(index).fillna(0.0) for fid, f in frames.items() if "load" in f}
        return build_inputs(svc.scenario, index, pv, load, price.reindex(index))
    return market_inputs(svc.scenario, index, price)


def _done(svc: Service, job: str, now: dt.datetime, started: float, ok: bool, message: str) -> None:
    journal.mark_job(svc.store, job, now, ok, message)
    svc.timed(job, started, ok)


def market_bid(svc: Service, now: dt.datetime) -> Path | None:
    """Bid for tomorrow (see the module docstring); the bid file, or None if it exists already or it is too late."""
    started = time.perf_counter()
    day = delivery_day(now)
    files, ops = _files(svc), svc.scenario.market.operations
    if files.path("bid", day).exists():
        _done(svc, "market_bid", now, started, True, f"bid for {day} already written")
        return None
    deadline = _at(day - dt.timedelta(days=1), ops.bid_deadline)
    if pd.Timestamp(now) >= deadline:
        message = f"no bid for {day}: the spot market closed at {deadline.isoformat()}"
        journal.raise_event(svc.store, "market_bid_missed", message, severity="alarm", ts=now)
        _done(svc, "market_bid", now, started, False, message)
        return None
    history, _note = horizon_prices(
        svc, slots(pd.Timestamp(day, tz=TZ) - pd.Timedelta(days=HISTORY_DAYS), _at(day, "00:00"))
    )
    inputs = _inputs(svc, day_slots(day), forecast_day_ahead_prices(history, day).p50)
    run = bid_day(svc.scenario, day, history=history, inputs=inputs, options=solve_options(svc.settings))
    files.write_frame("forecast", day, run.forecast.frame)
    path = files.write_bid(run.bid)
    message = (
        f"bid for {day}: {len(run.bid.steps)} steps, buy {run.bid.total_kwh('buy').sum():,.0f} kWh, sell "
        f"{run.bid.total_kwh('sell').sum():,.0f} kWh"
    )
    journal.raise_event(svc.store, "market_bid", message, severity="info", ts=now)
    _done(svc, "market_bid", now, started, True, message)
    return path


def market_plan(svc: Service, now: dt.datetime) -> Path | None:
    """Fill tomorrow's bid at the published prices and write the 需要調達計画; the plan file, or None (written
    already, or no bid: a 'market_plan_without_bid' alarm)."""
    started = time.perf_counter()
    day = delivery_day(now)
    files, ops = _files(svc), svc.scenario.market.operations
    plan_path = files.path("plan", day, ops.balancing_group_code)
    if plan_path.exists():
        _done(svc, "market_plan", now, started, True, f"plan for {day} already written")
        return None
    if not files.path("bid", day).exists():
        message = f"no 需要調達計画 for {day}: no bid was made"
        journal.raise_event(svc.store, "market_plan_without_bid", message, severity="alarm", ts=now)
        _done(svc, "market_plan", now, started, False, message)
        return None
    index = day_slots(day)
    price, note = horizon_prices(svc, index)
    fill = clear_bid(files.read_bid(day, ops.bid_unit_kwh), price)
    plan = plan_day(_inputs(svc, index, price), price, solve_options(svc.settings))
    files.write_frame("fill", day, fill.frame)
    path = write_plan_values(plan_values(plan, fill, ops, now), files.root)
    message = f"需要調達計画 {path.name}: net spot {fill.net_kwh.sum():,.0f} kWh at {note}"
    journal.raise_event(svc.store, "market_plan", message, severity="info", ts=now)
    _done(svc, "market_plan", now, started, True, message)
    return path


def _expected_intraday(day: dt.date, spot: pd.Series) -> pd.DataFrame:
    """Intraday prices to decide on: the recorded results on shipped days, else the spot price (JPY/kWh)."""
    try:
        return intraday_prices(day)
    except ValueError:
        values = spot.to_numpy(dtype=float)
        frame = {c: values for c in ("average_jpy_per_kwh", "high_jpy_per_kwh", "low_jpy_per_kwh")}
        return pd.DataFrame(frame, index=spot.index)


def market_intraday(svc: Service, now: dt.datetime) -> int:
    """One intraday step for today and tomorrow (once filled); the number of slots traded. The re-plan is held to
    the market position (``runtime.market.day.held_position``): slots past gate closure locked to fill + trades,
    open slots to the fill with a premium per kWh beyond it."""
    started = time.perf_counter()
    files, local = _files(svc), require_aware(now, "now").tz_convert(TZ).date()
    traded = 0
    for day in (local, local + dt.timedelta(days=1)):
        if not files.path("fill", day).exists():
            continue
        index = day_slots(day)
        fill = files.read_fill(day)
        spot = fill.frame["price_jpy_per_kwh"]
        expected = _expected_intraday(day, spot)
        traded_kwh = files.traded_kwh(day, index)
        held = held_position(index, fill.net_kwh, traded_kwh, now, expected)
        plan = plan_day(_inputs(svc, index, spot), spot, solve_options(svc.settings), position=held)
        position = fill.net_kwh + traded_kwh
        trades = intraday_day(svc.scenario, plan, position, now, expected)
        if (trades["trade_kwh"] != 0).any():
            files.append_intraday(day, trades, pd.Timestamp(now).tz_convert(TZ))
        traded += int(np.count_nonzero(trades["trade_kwh"].to_numpy()))
    _done(svc, "market_intraday", now, started, True, f"{traded} slot(s) traded")
    return traded
