"""The day-ahead position that weighs the expected imbalance cost of the need's forecast error (a newsvendor).

At the bid the group knows its net need (kWh per slot) only as scenarios (P10/P50/P90 with weights). Buying one
more kWh ahead costs the forecast spot price; what the real need then lacks is paid at the shortage price, what
it leaves over is paid at the surplus price (``optimizer.market.imbalance``). :func:`hedged_net_kwh` moves the
planned net purchase of each slot to the candidate (the plan itself or the need of one scenario, in bid units)
with the least spot cost + expected imbalance cost, ties to the plan. With the default symmetric spread
(shortage spot + 5, surplus spot - 5) and weights 0.3/0.4/0.3 the optimum is the median need, so the plan stays;
a scarcity price or an asymmetric model makes the position lean long. Units: kWh per slot, JPY/kWh.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from optimizer.market.intraday import intraday_trades

__all__ = ["hedged_net_kwh"]


def hedged_net_kwh(
    index: pd.DatetimeIndex,
    planned_net_kwh: np.ndarray,
    need_scenarios_kwh: Sequence[np.ndarray],
    weights: Sequence[float],
    spot_jpy_per_kwh: np.ndarray,
    imbalance: pd.DataFrame,
    unit_kwh: float = 50.0,
) -> np.ndarray:
    """The net purchase per slot (kWh, + = buy) to bid: the plan's, moved where the need's uncertainty makes another
    candidate cheaper in expectation (see the module docstring). imbalance: ``imbalance_prices`` on the forecast."""
    spot = np.asarray(spot_jpy_per_kwh, dtype=float)
    prices = pd.DataFrame({"average_jpy_per_kwh": spot, "high_jpy_per_kwh": spot, "low_jpy_per_kwh": spot}, index=index)
    before = index[0] - pd.Timedelta(days=2)  # every slot open: the bid is a day ahead
    moves = intraday_trades(
        index, before, planned_net_kwh, need_scenarios_kwh, weights, prices, imbalance, unit_kwh=unit_kwh
    )
    return np.asarray(np.asarray(planned_net_kwh, dtype=float) + moves["trade_kwh"].to_numpy(dtype=float))
