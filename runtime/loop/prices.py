"""JEPX prices of the loop's horizon from the shipped recorded data, with a proxy year for any other date.

The shipped file holds the day-ahead prices of FY2023–FY2024 (``scenarios.datasets.jepx_span``). A horizon inside
it gets its own prices. Any other horizon, before or after the data and however far (the service must keep running
in 2035 on the data shipped today), gets the prices of the recorded days a whole number of weeks away that lie
nearest the same calendar dates: y years earlier (later, for a date before the data) is shifted by
round(y × 365.2425 / 7) weeks, so the proxy keeps the weekday (the day type drives the load and the price shape)
and stays within ±3.5 days of the same date of that year (the season). Of the years whose window the data covers
in full, the most recent is taken. If none does (a horizon longer than the data, or a gap in every candidate year),
:func:`price_series` raises ValueError naming the window; the loop's fallback chain then follows the last valid
plan shifted, or the safe plan with prices unknown (0 JPY/kWh, no objective), and raises an event saying why.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import httpx
import pandas as pd

from forecasts.providers import get_jepx_spot, read_jepx_spot
from scenarios.datasets import jepx_prices, jepx_span
from scenarios.model import Scenario
from scenarios.timegrid import SLOT, TZ

DAYS_PER_YEAR = 365.2425
"""Mean Gregorian year in days."""


def proxy_weeks(years: int) -> int:
    """Whole weeks nearest `years` years (negative: forward in time); 1 → 52, 2 → 104, 3 → 157, 10 → 522."""
    return round(years * DAYS_PER_YEAR / 7)


def _proxy_years(start: pd.Timestamp, end: pd.Timestamp, first: pd.Timestamp, stop: pd.Timestamp) -> Iterator[int]:
    """Years y (0 first, then back in time nearest first, then forward) whose shifted window [start, end) lies
    inside the recorded [first, stop)."""
    year = pd.Timedelta(days=DAYS_PER_YEAR)
    low = math.floor((end - stop) / year) - 1  # the data ends too early for any smaller y
    high = math.ceil((start - first) / year) + 1  # ... and starts too late for any larger y
    ordered = sorted(range(low, high + 1), key=lambda y: (y != 0, y < 0, abs(y)))
    for years in ordered:
        shift = pd.Timedelta(weeks=proxy_weeks(years))
        if start - shift >= first and end - shift <= stop:
            yield years


def price_series(scenario: Scenario, index: pd.DatetimeIndex, area: str | None = None) -> tuple[pd.Series, str]:
    """JEPX day-ahead prices (JPY/kWh) of `area` (default the scenario's) on `index`, recorded or proxied (see the
    module docstring); returns the series and a note naming the proxy ("JEPX chugoku proxy: same weekday 522 weeks
    earlier"). ValueError naming the window if no recorded year covers it."""
    area = area or scenario.market.price_area
    first, last = jepx_span()
    start, end = index[0], index[-1] + SLOT
    for years in _proxy_years(start, end, first, last + SLOT):
        weeks = proxy_weeks(years)
        shift = pd.Timedelta(weeks=weeks)
        try:
            series = jepx_prices(start - shift, end - shift, area=area).reindex(index - shift)
        except ValueError:  # a gap in that year's data: try the next
            continue
        if series.isna().any():
            continue
        note = f"JEPX {area}"
        if years:
            note += f" proxy: same weekday {abs(weeks)} weeks {'earlier' if years > 0 else 'later'}"
        return pd.Series(series.to_numpy(), index=index, name="price_jpy_per_kwh"), note
    raise ValueError(
        f"price: no recorded JEPX {area} prices cover {start.isoformat()}..{end.isoformat()} in any year "
        f"(data {first.date()} to {last.date()}); the horizon must be shorter than the data and free of gaps"
    )


def fiscal_years(index: pd.DatetimeIndex) -> list[int]:
    """JEPX fiscal years (April to March, named by the April's year) the slots of `index` fall in."""
    local = pd.DatetimeIndex(index).tz_convert(TZ)
    return sorted({int(y) for y in (local.year - (local.month < 4).astype(int))})


def published_prices(
    source: str, index: pd.DatetimeIndex, area: str, timeout_s: float = 10.0, client: httpx.Client | None = None
) -> pd.Series:
    """The published JEPX spot prices (JPY/kWh) of `area` for the slots of `index` that have them (NaN where the
    exchange has not published yet, e.g. tomorrow before about 10:00 JST). `source` is a JEPX spot file or an
    http(s) URL template with {fiscal_year}; raises OSError/ValueError/httpx errors as the readers do."""
    parts = []
    for year in fiscal_years(index):
        if source.startswith(("http://", "https://")):
            parts.append(get_jepx_spot(year, area, url=source, timeout=timeout_s, client=client))
        else:
            parts.append(read_jepx_spot(source.format(fiscal_year=year), area))
            if "{fiscal_year}" not in source:
                break
    prices = pd.concat(parts).sort_index()
    prices = prices[~prices.index.duplicated(keep="last")]
    on_index: pd.Series = prices.reindex(index).rename("price_jpy_per_kwh")
    return on_index


def live_price_series(
    scenario: Scenario,
    index: pd.DatetimeIndex,
    source: str,
    timeout_s: float = 10.0,
    client: httpx.Client | None = None,
) -> tuple[pd.Series, str]:
    """Published prices where the exchange has them, the recorded/proxy series (:func:`price_series`) for the
    rest of the horizon; the note says how many slots are published. Raises like :func:`published_prices` when
    the source cannot be read, and ValueError when it has none of the horizon's slots."""
    area = scenario.market.price_area
    published = published_prices(source, index, area, timeout_s, client)
    known = int(published.notna().sum())
    if known == 0:
        raise ValueError(f"JEPX spot source {source}: no published price for {index[0].isoformat()} onwards")
    if known == len(index):
        return published, f"JEPX {area} published ({known} slots)"
    proxy, note = price_series(scenario, index, area)
    merged = published.fillna(proxy)
    return merged.rename("price_jpy_per_kwh"), f"JEPX {area} published for {known} of {len(index)} slots; rest: {note}"
