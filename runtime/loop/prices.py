"""JEPX prices of the loop's horizon from the shipped recorded data, with a proxy year outside it."""

from __future__ import annotations

import pandas as pd

from scenarios.datasets import jepx_prices
from scenarios.model import Scenario

WEEKS_PER_YEAR = 52


def price_series(scenario: Scenario, index: pd.DatetimeIndex, area: str | None = None) -> tuple[pd.Series, str]:
    """JEPX prices (JPY/kWh) of `area` (default the scenario's) for `index`; outside the shipped data, the same
    weekday 52·k weeks earlier.

    Returns the series on `index` and a note saying which proxy (if any) was used.
    """
    end = index[-1] + pd.Timedelta(minutes=30)
    for years in range(0, 8):
        shift = pd.Timedelta(weeks=WEEKS_PER_YEAR * years)
        try:
            series = jepx_prices(index[0] - shift, end - shift, area=area or scenario.market.price_area)
        except ValueError:
            continue
        series = series.reindex(index - shift)
        if series.isna().any():
            continue
        note = f"JEPX {area or scenario.market.price_area}" + (
            "" if years == 0 else f" proxy: same weekday {WEEKS_PER_YEAR * years} weeks earlier"
        )
        return pd.Series(series.to_numpy(), index=index, name="price_jpy_per_kwh"), note
    raise ValueError(f"price: no JEPX data for {index[0].isoformat()}..{end.isoformat()} or a proxy year")
