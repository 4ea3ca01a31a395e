"""Imbalance prices by the post-April-2022 rule, and the expected imbalance cost of a position under forecast error.

Rule (OCCTO/METI, since FY2022): the imbalance price of a slot is the higher of the marginal kWh price of the
balancing power used (調整力の限界的なkWh価格) and the scarcity-adjusted price (kW需給ひっ迫時補正インバランス料金),
which rises as the wide-area reserve margin falls, up to C: 200 JPY/kWh in the interim since 2022, 300 JPY/kWh for
delivery from 2026-10-01 (``ImbalanceParams.cap_jpy_per_kwh`` / ``cap_from_2026_10_jpy_per_kwh``). The price
here is capped at C. Real imbalance prices are not shipped, so the balancing price is modelled (configurable):
spot + spread for a shortage, spot - spread (floored at 0) for a surplus (``ImbalanceParams.spread_jpy_per_kwh``);
the scarcity price (``MarketOperations.scarcity_curve``) applies to both sides, as the rule's single price does.

Sign convention: imbalance_kwh = actual need - position (kWh per slot; > 0 a shortage the group pays for at the
shortage price, < 0 a surplus it is paid for at the surplus price). Cost in JPY (a surplus gives a negative cost).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from scenarios.market_ops import MarketOperations
from scenarios.model import ImbalanceParams
from scenarios.timegrid import TZ, require_aware_index

__all__ = [
    "CAP_CHANGE_DAY",
    "cap_for",
    "expected_imbalance_cost",
    "imbalance_cost",
    "imbalance_prices",
    "scarcity_price",
]

CAP_CHANGE_DAY = dt.date(2026, 10, 1)
"""First delivery day of the 300 JPY/kWh cap C (delayed from 2026-04 with JEPX's intraday system update)."""


def cap_for(day: dt.date, params: ImbalanceParams) -> float:
    """The cap C (JPY/kWh) for a delivery day: the interim cap before 2026-10-01, the new one from then."""
    return params.cap_from_2026_10_jpy_per_kwh if day >= CAP_CHANGE_DAY else params.cap_jpy_per_kwh


def scarcity_price(reserve_margin: np.ndarray, cap_jpy_per_kwh: float, ops: MarketOperations) -> np.ndarray:
    """Scarcity price (JPY/kWh) at each reserve margin (fraction): C at or below the lowest breakpoint, linear
    between breakpoints, 0 (no correction) above the highest."""
    margins = np.array([p.reserve_margin for p in ops.scarcity_curve], dtype=float)
    prices = np.array(
        [cap_jpy_per_kwh if p.price_jpy_per_kwh is None else p.price_jpy_per_kwh for p in ops.scarcity_curve]
    )
    values = np.asarray(reserve_margin, dtype=float)
    if not len(margins):
        return np.zeros_like(values)
    inside = np.interp(values, margins, np.minimum(prices, cap_jpy_per_kwh))
    return np.where(values > margins[-1], 0.0, inside)


def imbalance_prices(
    spot: pd.Series,
    params: ImbalanceParams,
    ops: MarketOperations,
    reserve_margin: pd.Series | None = None,
) -> pd.DataFrame:
    """Shortage and surplus imbalance prices (JPY/kWh) per slot of ``spot`` (the area's day-ahead price, JPY/kWh,
    tz-aware slot starts). reserve_margin: wide-area reserve margin per slot (fraction; None: the configured
    ``assumed_reserve_margin``). Columns: balancing_short, balancing_surplus, scarcity, short_jpy_per_kwh,
    surplus_jpy_per_kwh, cap_jpy_per_kwh."""
    index = require_aware_index(spot.index, "spot.index")
    price = np.asarray(spot.to_numpy(), dtype=float)
    if reserve_margin is None:
        margin = np.full(len(price), ops.assumed_reserve_margin)
    else:
        margin = np.asarray(reserve_margin.reindex(index).to_numpy(), dtype=float)
        if np.isnan(margin).any():
            raise ValueError("reserve_margin: a value is needed for every slot of the spot prices")
    caps = np.array([cap_for(d, params) for d in index.tz_convert(TZ).date])
    scarcity = np.array([scarcity_price(np.array([m]), c, ops)[0] for m, c in zip(margin, caps, strict=True)])
    short = price + params.spread_jpy_per_kwh
    surplus = np.maximum(price - params.spread_jpy_per_kwh, 0.0)
    return pd.DataFrame(
        {
            "balancing_short": short,
            "balancing_surplus": surplus,
            "scarcity": scarcity,
            "short_jpy_per_kwh": np.minimum(np.maximum(short, scarcity), caps),
            "surplus_jpy_per_kwh": np.minimum(np.maximum(surplus, scarcity), caps),
            "cap_jpy_per_kwh": caps,
        },
        index=index,
    )


def imbalance_cost(imbalance_kwh: np.ndarray, short_price: np.ndarray, surplus_price: np.ndarray) -> np.ndarray:
    """Cost per slot (JPY) of imbalances (kWh; > 0 shortage paid at short_price, < 0 surplus paid at surplus_price,
    both JPY/kWh)."""
    x = np.asarray(imbalance_kwh, dtype=float)
    return np.asarray(np.where(x > 0, x * np.asarray(short_price), x * np.asarray(surplus_price)), dtype=float)


def expected_imbalance_cost(
    position_kwh: np.ndarray,
    need_scenarios_kwh: Sequence[np.ndarray],
    weights: Sequence[float],
    short_price: np.ndarray,
    surplus_price: np.ndarray,
) -> np.ndarray:
    """Expected imbalance cost per slot (JPY) of holding ``position_kwh`` (net purchase, kWh per slot) when the
    group's net need (load - own supply, kWh per slot) is each of ``need_scenarios_kwh`` with probability
    ``weights`` (e.g. the P10/P50/P90 net-load forecasts with 0.3/0.4/0.3)."""
    if len(need_scenarios_kwh) != len(weights) or not weights:
        raise ValueError("weights: one probability per need scenario is needed")
    if abs(sum(weights) - 1.0) > 1e-9 or min(weights) < 0:
        raise ValueError(f"weights: probabilities >= 0 that sum to 1, not {list(weights)}")
    position = np.asarray(position_kwh, dtype=float)
    total = np.zeros_like(position)
    for need, w in zip(need_scenarios_kwh, weights, strict=True):
        total += w * imbalance_cost(np.asarray(need, dtype=float) - position, short_price, surplus_price)
    return total
