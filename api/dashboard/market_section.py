"""The market day on /supply: the delivery day's intraday trades and the submitted 需要調達計画 (plan values per JEPX
slot, whole kWh) with a link to download the submitted file, read through ``runtime.market`` (the same
``market_day_view`` as /api/v1/market/days/{day}, so the page shows the API's numbers).

Which day: ``?day=YYYY-MM-DD`` if it has a bid, else today (JST) if it has one, else the newest day up to tomorrow
(the plan for tomorrow is due at 12:00 today). Operators only, like the API (bids and positions are commercial).

The view is kept per day while its files are unchanged (size and modification time of each): reading them takes
about 46 ms on a Yamaguchi day (bid curves of 40 steps), a page refresh then only stats them.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from runtime.loop.service import Service
from runtime.market.files import MarketFiles
from runtime.market.view import MarketDayView, market_day_view
from scenarios.market_ops import MarketOperations
from scenarios.timegrid import TZ

__all__ = ["MarketSection", "cached_view", "choose_day", "market_section", "plan_file"]
KINDS = ("bid", "fill", "intraday", "plan")
KEEP = 16
_views: OrderedDict[tuple[object, ...], MarketDayView] = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True)
class MarketSection:
    """What the page shows of one delivery day: the days there are, the chosen day's view (None before the first
    bid), whether its plan file was written, and the totals of its trades (kWh bought/sold, JPY expected)."""

    days: list[dt.date]
    view: MarketDayView | None
    plan_written: bool
    bought_kwh: float
    sold_kwh: float


def choose_day(days: list[dt.date], today: dt.date, asked: dt.date | None) -> dt.date | None:
    """The day to show (see the module docstring); None if no day has a bid yet."""
    if asked is not None and asked in days:
        return asked
    if today in days:
        return today
    earlier = [d for d in days if d <= today + dt.timedelta(days=1)]
    return earlier[-1] if earlier else None


def _stamp(files: MarketFiles, day: dt.date, ops: MarketOperations) -> tuple[object, ...]:
    out: list[object] = [str(files.root), day, ops.balancing_group_code]
    for kind in KINDS:
        path = files.path(kind, day, ops.balancing_group_code)
        try:
            stat = path.stat()
            out.append((stat.st_size, stat.st_mtime_ns))
        except FileNotFoundError:
            out.append(None)
    return tuple(out)


def cached_view(files: MarketFiles, day: dt.date, ops: MarketOperations) -> MarketDayView:
    """``market_day_view`` of `day`, read again only when one of its files changed (the last KEEP kept)."""
    key = _stamp(files, day, ops)
    with _lock:
        view = _views.get(key)
        if view is not None:
            _views.move_to_end(key)
            return view
    view = market_day_view(files, day, ops)
    with _lock:
        _views[key] = view
        while len(_views) > KEEP:
            _views.popitem(last=False)
    return view


def market_section(svc: Service, now: dt.datetime, asked: dt.date | None) -> MarketSection:
    """The market part of the supply page at ``now`` (tz-aware)."""
    files = MarketFiles(svc.settings.market_dir)
    days = files.days()
    day = choose_day(days, pd.Timestamp(now).tz_convert(TZ).date(), asked)
    if day is None:
        return MarketSection(days, None, False, 0.0, 0.0)
    ops = svc.scenario.market.operations
    view = cached_view(files, day, ops)
    written = files.path("plan", day, ops.balancing_group_code).exists()
    bought = sum(t.trade_kwh for t in view.intraday if t.trade_kwh > 0)
    sold = -sum(t.trade_kwh for t in view.intraday if t.trade_kwh < 0)
    return MarketSection(days, view, written, bought, sold)


def plan_file(svc: Service, day: dt.date) -> Path | None:
    """Path of the submitted plan file of ``day``, None if it was not written."""
    ops = svc.scenario.market.operations
    path = MarketFiles(svc.settings.market_dir).path("plan", day, ops.balancing_group_code)
    return path if path.exists() else None
